"""Concurrent clients over every tab: failed requests, latency per tab, the server's memory and
what it leaves on disk.

    python -m bench.load [--clients 16] [--seconds 120] [--tiny] [--soak]

Serves the dashboard in its own process (harness.stand_in_server: full-size random-weight stand-ins
where real weights are missing, or tiny ones with --tiny), with a Gradio cache folder of its own,
warms every tab once and then under load, then runs the clients, each cycling through the tabs'
endpoints with gradio_client. With --soak, beside them all the while: a webcam streaming as the page
does, clips annotated through /detect_video, and a Stop storm (generations and clips started, then
cancelled twice at once), and files kept a minute (SHOWCASE_FILES_MINUTES=1) so that the soak shows
the sweeper keeping up. Memory is read when the first minute of load ends, at the end, and after
rest (30 s; with --soak, two minutes: long enough for a sweep of what the load left).
"""

from __future__ import annotations

import argparse
import concurrent.futures
import os
import random
import statistics
import tempfile
import threading
import time
import uuid
from collections import defaultdict
from pathlib import Path

import cv2
import httpx
import psutil
from gradio_client import handle_file

from harness import offline  # noqa: F401  (first: offline model caches, before huggingface_hub reads them)

# isort: split

import examples
from harness import live_client
from harness.server import local_client, spawned
from tasks import detection, generation, image_classification, similarity, text_classification, tokenizer, zero_shot

CLIP, GPT2, SENTIMENT, MINILM = (
    task.TASK.default() for task in (zero_shot, generation, text_classification, similarity)
)


def requests() -> dict[str, tuple]:
    """One valid request per endpoint, as the tabs' examples make them."""
    return {
        "/detect": (handle_file(examples.bus()), 0.25, 0.45, detection.TASK.default()),
        "/classify_image": (handle_file(examples.cheetah()), image_classification.TASK.default()),
        "/zero_shot": (handle_file(examples.cheetah()), "cheetah, lion, house cat, dog, car", False, CLIP),
        "/compare": (handle_file(examples.lion()), "", False, CLIP),
        "/generate": ("Once upon a time", GPT2, 20, "sampling", 0.8, 50, 0.95, 0, 1.0, 1),
        "/classify_text": ("I loved it\nI hated it\nIt was fine", SENTIMENT),
        "/similarity": ("I can't log in", similarity.EXAMPLE_SENTENCES, MINILM),
        "/tokenize": (tokenizer.EXAMPLE_TEXTS[1], *tokenizer.TASK.choices()[:2]),
        "/attention": ("The animal didn't cross the street because it was too tired.", 1, 1, MINILM),
    }


def p95(times: list[float]) -> float:
    ordered = sorted(times)
    return ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]


def run_load(
    url: str, clients: int, seconds: float, chosen: dict[str, tuple] | None = None
) -> tuple[dict[str, list[float]], list[str]]:
    """Each client cycles through the endpoints (every tab's, or those chosen) until time is up;
    returns latencies (s) and failures."""
    calls = list((chosen or requests()).items())
    latencies: dict[str, list[float]] = defaultdict(list)
    failures: list[str] = []
    deadline = time.perf_counter() + seconds

    def client(offset: int) -> None:
        session = local_client(url)
        turn = offset
        while time.perf_counter() < deadline:
            endpoint, arguments = calls[turn % len(calls)]
            turn += 1
            started = time.perf_counter()
            try:
                session.predict(*arguments, api_name=endpoint)
                latencies[endpoint].append(time.perf_counter() - started)
            except Exception as error:  # every failure is reported, none should happen
                failures.append(f"{endpoint}: {type(error).__name__}: {error}")

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return latencies, failures


def warm_up(url: str, chosen: dict[str, tuple] | None = None) -> None:
    session = local_client(url)
    for endpoint, arguments in (chosen or requests()).items():
        session.predict(*arguments, api_name=endpoint)


def stream_live(url: str, deadline: float, failures: list[str]) -> int:
    """A webcam streaming the bus photo as the page does until the deadline, a new stream whenever
    one ends (each may last 5 minutes); returns the frames answered."""
    frame = cv2.resize(cv2.imread(examples.bus()), (480, 640), interpolation=cv2.INTER_AREA)
    answered = 0
    while (left := deadline - time.perf_counter()) > 1:
        try:
            answered += len(
                live_client.stream(url, frame, [0.25, 0.45, detection.TASK.default(), None, False, ""], min(left, 280))
            )
        except Exception as error:
            failures.append(f"live stream: {type(error).__name__}: {error}")
    return answered


def annotate_clips(url: str, deadline: float, failures: list[str]) -> int:
    """The example clip through /detect_video, again and again; returns the clips annotated."""
    session, clip, done = local_client(url), examples.street_clip(), 0
    while time.perf_counter() < deadline:
        try:
            session.predict(handle_file(clip), 0.25, 0.45, detection.TASK.default(), api_name="/detect_video")
            done += 1
        except Exception as error:
            failures.append(f"/detect_video: {type(error).__name__}: {error}")
    return done


def listen(url: str, session: str) -> None:
    """A page's event stream for its session, read to the end of the run, as the page reads it."""
    with httpx.stream("GET", f"{url}gradio_api/queue/data", params={"session_hash": session}, timeout=120) as events:
        for line in events.iter_lines():
            if "process_completed" in line or "close_stream" in line:
                return


def stop_storm(url: str, deadline: float, failures: list[str]) -> int:
    """Generations and clips started as a page starts them (listening to their events), then stopped
    after a moment with two cancels at once (a Stop pressed twice); every cancel must be answered
    200. Returns the runs stopped."""
    config = httpx.get(f"{url}config").json()
    fn_index = {d.get("api_name"): d["id"] for d in config["dependencies"]}
    runs = {
        "generate": ["Once upon a time", GPT2, 300, "sampling", 0.8, 50, 0.95, 0, 1.0, 1],
        "detect_video": [
            {"path": examples.street_clip(), "meta": {"_type": "gradio.FileData"}},
            0.25,
            0.45,
            detection.TASK.default(),
            False,  # tracking
            None,  # lines and zones
        ],
    }
    stopped = 0
    with httpx.Client(timeout=60) as http, concurrent.futures.ThreadPoolExecutor(2) as pool:
        upload = http.post(f"{url}gradio_api/upload", files={"files": open(examples.street_clip(), "rb")}).json()
        runs["detect_video"][0]["path"] = upload[0]
        while time.perf_counter() < deadline:
            name = random.choice(list(runs))
            session = uuid.uuid4().hex[:11]
            body = {"data": runs[name], "fn_index": fn_index[name], "session_hash": session}
            event_id = http.post(f"{url}gradio_api/queue/join", json=body).json()["event_id"]
            listening = threading.Thread(target=listen, args=(url, session))
            listening.start()
            time.sleep(random.uniform(0.2, 1.5))
            cancel = {"session_hash": session, "fn_index": fn_index[name], "event_id": event_id}
            answers = pool.map(lambda body: http.post(f"{url}gradio_api/cancel", json=body), [cancel] * 2)
            failures += [f"/cancel {name}: HTTP {a.status_code}" for a in answers if a.status_code != 200]
            listening.join()
            stopped += 1
    return stopped


def folder_size(folder: Path) -> tuple[int, float]:
    """Files under the folder, and their MB."""
    sizes = [path.stat().st_size for path in folder.rglob("*") if path.is_file()]
    return len(sizes), sum(sizes) / 2**20


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=120)
    parser.add_argument("--warm-up-seconds", type=float, default=30)
    parser.add_argument("--tiny", action="store_true")
    parser.add_argument("--soak", action="store_true", help="a live stream, clips and a Stop storm beside the clients")
    args = parser.parse_args()
    cache = Path(tempfile.mkdtemp(prefix="showcase-load-cache-"))
    os.environ["GRADIO_TEMP_DIR"] = str(cache)  # the served app's own: what it leaves is counted
    if args.soak:
        os.environ["SHOWCASE_FILES_MINUTES"] = "1"
    with spawned(["-m", "harness.stand_in_server", *(["--tiny"] if args.tiny else [])]) as (pid, url, _):
        server = psutil.Process(pid)
        warm_up(url)
        # Warm-up under the same load: worker threads, allocator arenas and caches reach their size.
        _, warm_up_failures = run_load(url, args.clients, args.warm_up_seconds)
        before, files_before = server.memory_info().rss, folder_size(cache)
        samples: list[float] = []
        done = threading.Event()

        def sample() -> None:  # the server's memory every 10 s: growth that levels off, or keeps on
            while not done.wait(10):
                samples.append(server.memory_info().rss / 2**20)

        sampler = threading.Thread(target=sample)
        sampler.start()
        beside: dict[str, int] = {}
        side_failures: list[str] = []
        side_jobs = []
        if args.soak:
            deadline = time.perf_counter() + args.seconds
            for name, job in (("live frames", stream_live), ("clips", annotate_clips), ("runs stopped", stop_storm)):
                thread = threading.Thread(
                    target=lambda name=name, job=job: beside.update({name: job(url, deadline, side_failures)})
                )
                thread.start()
                side_jobs.append(thread)
        latencies, failures = run_load(url, args.clients, args.seconds)
        for thread in side_jobs:
            thread.join()
        done.set()
        sampler.join()
        failures += warm_up_failures + side_failures
        after, files_after = server.memory_info().rss, folder_size(cache)
        rest_s = 120 if args.soak else 30
        time.sleep(rest_s)
        rested, files_rested = server.memory_info().rss, folder_size(cache)
    total = sum(len(v) for v in latencies.values())
    print(
        f"{args.clients} clients for {args.seconds:.0f} s, {'tiny' if args.tiny else 'full-size'} stand-ins: "
        f"{total} requests answered, {len(failures)} failed"
        + (f"; beside them: {', '.join(f'{n:,} {name}' for name, n in beside.items())}" if beside else "")
        + "\n"
    )
    print("| endpoint | requests | p50 s | p95 s |")
    print("|---|---:|---:|---:|")
    for endpoint in requests():
        times = sorted(latencies[endpoint])
        if times:
            print(f"| {endpoint} | {len(times)} | {statistics.median(times):.2f} | {p95(times):.2f} |")
    first_minute = samples[min(5, len(samples) - 1)] if samples else before / 2**20
    print(
        f"\nserver resident memory: {before / 2**20:.0f} MB after {args.warm_up_seconds:.0f} s of warm-up load, "
        f"{first_minute:.0f} MB after the first minute of load, {after / 2**20:.0f} MB at the end "
        f"({(after / 2**20 - first_minute) / first_minute:+.1%} on the first minute), {rested / 2**20:.0f} MB after "
        f"{rest_s} s of rest"
    )
    print("server resident memory every 10 s (MB): " + ", ".join(f"{mb:.0f}" for mb in samples))
    print(
        f"Gradio cache folder: {files_before[0]} files, {files_before[1]:.1f} MB after warm-up; "
        f"{files_after[0]} files, {files_after[1]:.1f} MB at the end; {files_rested[0]} files, "
        f"{files_rested[1]:.1f} MB after rest"
    )
    for failure in failures[:10]:
        print("FAILED", failure)


if __name__ == "__main__":
    main()
