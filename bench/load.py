"""Concurrent clients over every tab: failed requests, latency per tab, the server's memory.

    python -m bench.load [--clients 16] [--seconds 120] [--tiny]

Serves the dashboard in its own process (harness.stand_in_server: full-size random-weight stand-ins
where real weights are missing, or tiny ones with --tiny), warms every tab once and then under load,
then runs the clients, each cycling through the tabs' endpoints with gradio_client.
"""

from __future__ import annotations

import argparse
import statistics
import threading
import time
from collections import defaultdict

import psutil
from gradio_client import handle_file

from harness import offline  # noqa: F401  (first: offline model caches, before huggingface_hub reads them)

# isort: split

import examples
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=120)
    parser.add_argument("--warm-up-seconds", type=float, default=30)
    parser.add_argument("--tiny", action="store_true")
    args = parser.parse_args()
    with spawned(["-m", "harness.stand_in_server", *(["--tiny"] if args.tiny else [])]) as (pid, url, _):
        server = psutil.Process(pid)
        warm_up(url)
        # Warm-up under the same load: worker threads, allocator arenas and caches reach their size.
        _, warm_up_failures = run_load(url, args.clients, args.warm_up_seconds)
        before = server.memory_info().rss
        samples: list[float] = []
        done = threading.Event()

        def sample() -> None:  # the server's memory every 10 s: growth that levels off, or keeps on
            while not done.wait(10):
                samples.append(server.memory_info().rss / 2**20)

        sampler = threading.Thread(target=sample)
        sampler.start()
        latencies, failures = run_load(url, args.clients, args.seconds)
        done.set()
        sampler.join()
        failures += warm_up_failures
        after = server.memory_info().rss
    total = sum(len(v) for v in latencies.values())
    print(
        f"{args.clients} clients for {args.seconds:.0f} s, {'tiny' if args.tiny else 'full-size'} stand-ins: "
        f"{total} requests answered, {len(failures)} failed\n"
    )
    print("| endpoint | requests | p50 s | p95 s |")
    print("|---|---:|---:|---:|")
    for endpoint in requests():
        times = sorted(latencies[endpoint])
        if times:
            print(f"| {endpoint} | {len(times)} | {statistics.median(times):.2f} | {p95(times):.2f} |")
    print(
        f"\nserver resident memory: {before / 2**20:.0f} MB after {args.warm_up_seconds:.0f} s of warm-up load, "
        f"{after / 2**20:.0f} MB at the end "
        f"({(after - before) / 2**20:+.0f} MB)"
    )
    print("server resident memory every 10 s (MB): " + ", ".join(f"{mb:.0f}" for mb in samples))
    for failure in failures[:10]:
        print("FAILED", failure)


if __name__ == "__main__":
    main()
