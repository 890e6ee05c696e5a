"""Throughput under concurrent load, with Gradio's batching (batch=True endpoints) against without.

    python -m bench.batching [--clients 8] [--seconds 30] [--rounds 3]

Serves the dashboard in its own process with full-size stand-ins (harness.stand_in_server), then for
each of image classification, zero-shot and text classification runs the clients against the
plain endpoint and against its `_batched` twin (max_batch_size 8), and reports requests per second.
First it times the bare model forward on 8 inputs at once against 8 forwards of one: the most that
batching the forward pass can gain on this machine.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import threading
import time

from harness import offline  # noqa: F401  (first: offline model caches, before huggingface_hub reads them)

# isort: split

from gradio_client import handle_file

import examples
from bench.speed import paired_ms
from harness import stand_ins
from harness.server import local_client, spawned
from tasks import image_classification, text_classification, zero_shot
from toolkit.inputs import open_image
from toolkit.ui import MAX_BATCH

LINE = "What a wonderful, moving film."
WORKLOADS = {
    "image classification (ResNet-50)": (
        "/classify_image",
        lambda: (handle_file(examples.cheetah()), image_classification.TASK.default()),
    ),
    "zero-shot (CLIP ViT-B/32, 5 labels)": (
        "/zero_shot",
        lambda: (
            handle_file(examples.cheetah()),
            "cheetah, lion, house cat, dog, car",
            False,
            zero_shot.TASK.default(),
        ),
    ),
    "text classification (DistilBERT, 1 line)": ("/classify_text", lambda: (LINE, text_classification.TASK.default())),
}


def forward_passes() -> dict:
    """Per workload: the task's bare forward function, its prepared input for one request and for 8."""
    photo = open_image(examples.cheetah())
    resnet = stand_ins.build(image_classification.TASK.default(), tiny=False)
    clip = stand_ins.build(zero_shot.TASK.default(), tiny=False)
    sentiment = stand_ins.build(text_classification.TASK.default(), tiny=False)
    passes = {}
    for name, model, preprocess, item in (
        ("image classification (ResNet-50)", resnet, resnet.preprocess, photo),
        ("zero-shot (CLIP ViT-B/32, 5 labels)", clip, clip.preprocess, photo),
        ("text classification (DistilBERT, 1 line)", sentiment, lambda items: sentiment.preprocess(items)[0], LINE),
    ):
        passes[name] = (model.forward, preprocess([item]), preprocess([item] * MAX_BATCH))
    return passes


def forward_gain(forward, one, batch, repeats: int = 8) -> float:
    """How much faster one forward over a batch of MAX_BATCH is than MAX_BATCH forwards of one."""
    one_by_one, together = paired_ms(lambda: [forward(one) for _ in range(MAX_BATCH)], lambda: forward(batch), repeats)
    return one_by_one / together


def throughput(url: str, endpoint: str, arguments, clients: int, seconds: float) -> tuple[float, int]:
    """Requests answered per second by `clients` concurrent callers, and the number that failed."""
    done, failed = [0], [0]
    lock = threading.Lock()
    deadline = time.perf_counter() + seconds

    def caller() -> None:
        session = local_client(url)
        while time.perf_counter() < deadline:
            try:
                session.predict(*arguments(), api_name=endpoint)
                with lock:
                    done[0] += 1
            except Exception:
                with lock:
                    failed[0] += 1

    started = time.perf_counter()
    threads = [threading.Thread(target=caller) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return done[0] / (time.perf_counter() - started), failed[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--rounds", type=int, default=3, help="alternate plain and batched runs this many times")
    args = parser.parse_args()
    print(
        f"{os.cpu_count()} CPU cores, {platform.machine()}; {args.clients} concurrent gradio_client clients, "
        f"{args.rounds} alternating rounds of {args.seconds:.0f} s per endpoint (medians), "
        f"max_batch_size {MAX_BATCH}\n"
    )
    ceilings = {name: forward_gain(*passes) for name, passes in forward_passes().items()}
    print(
        "| workload | without batching req/s | with batching req/s | speed-up | failed "
        "| bare forward, 8 at once vs one by one |"
    )
    print("|---|---:|---:|---:|---:|---:|")
    with spawned(["-m", "harness.stand_in_server"]) as (_, url, _seconds):
        for name, (endpoint, arguments) in WORKLOADS.items():
            local_client(url).predict(*arguments(), api_name=endpoint)  # warm: load the model
            rates: dict[str, list[float]] = {endpoint: [], f"{endpoint}_batched": []}
            failed = 0
            # Alternated, so that this machine's drift over minutes hits both alike.
            for _ in range(args.rounds):
                for api_name, bucket in rates.items():
                    rate, failures = throughput(url, api_name, arguments, args.clients, args.seconds)
                    bucket.append(rate)
                    failed += failures
            plain, batched = (statistics.median(bucket) for bucket in rates.values())
            print(
                f"| {name} | {plain:.2f} | {batched:.2f} | {batched / plain:.2f}x | {failed} | {ceilings[name]:.2f}x |",
                flush=True,
            )


if __name__ == "__main__":
    main()
