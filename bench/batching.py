"""Throughput under concurrent load, with Gradio's batching (batch=True endpoints) against without.

    python -m bench.batching [--clients 8] [--seconds 30]

Serves the dashboard in its own process with full-size stand-ins (bench.stand_in_server), then for
each of image classification, zero-shot and text classification runs the clients against the
plain endpoint and against its `_batched` twin (max_batch_size 8), and reports requests per second.
"""

from __future__ import annotations

import argparse
import os
import platform
import threading
import time

from gradio_client import Client, handle_file

import examples
from tasks import common, text_classification, zero_shot
from tests.server import spawned

WORKLOADS = {
    "image classification (ResNet-50)": ("/classify_image", lambda: (handle_file(examples.cheetah()), "resnet50")),
    "zero-shot (CLIP ViT-B/32, 5 labels)": ("/zero_shot", lambda: (handle_file(examples.cheetah()), "cheetah, lion, house cat, dog, car", False, zero_shot.CHOICES[0])),
    "text classification (DistilBERT, 1 line)": ("/classify_text", lambda: ("What a wonderful, moving film.", text_classification.CHOICES[0])),
}


def throughput(url: str, endpoint: str, arguments, clients: int, seconds: float) -> tuple[float, int]:
    """Requests answered per second by `clients` concurrent callers, and the number that failed."""
    done, failed = [0], [0]
    lock = threading.Lock()
    deadline = time.perf_counter() + seconds

    def caller() -> None:
        session = Client(url, verbose=False)
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
    args = parser.parse_args()
    print(f"{os.cpu_count()} CPU cores, {platform.machine()}; {args.clients} concurrent gradio_client clients, "
          f"{args.seconds:.0f} s per run, max_batch_size {common.MAX_BATCH}\n")
    print("| workload | without batching req/s | with batching req/s | speed-up | failed |")
    print("|---|---:|---:|---:|---:|")
    with spawned(["-m", "bench.stand_in_server"]) as (_, url, _seconds):
        for name, (endpoint, arguments) in WORKLOADS.items():
            Client(url, verbose=False).predict(*arguments(), api_name=endpoint)  # warm: load the model
            plain, plain_failed = throughput(url, endpoint, arguments, args.clients, args.seconds)
            batched, batched_failed = throughput(url, f"{endpoint}_batched", arguments, args.clients, args.seconds)
            print(f"| {name} | {plain:.2f} | {batched:.2f} | {batched / plain:.2f}x | {plain_failed + batched_failed} |")


if __name__ == "__main__":
    main()
