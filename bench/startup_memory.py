"""Start-up time and resident memory of the dashboard.

    python -m bench.startup_memory [--runs 3]

Page up: seconds from `python app.py` to its page answering (models load lazily). Memory: the
server's resident set with no model loaded, and with every default model loaded (`--preload`),
using full-size random-weight stand-ins where real weights are missing (same size as the real ones).
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics

import psutil

from harness.server import spawned


def resident_mb(pid: int) -> float:
    return psutil.Process(pid).memory_info().rss / 2**20


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    print(
        f"{os.cpu_count()} CPU cores, {psutil.virtual_memory().total / 2**30:.0f} GiB, {platform.machine()}, "
        f"Python {platform.python_version()}\n"
    )

    page_up, idle = [], []
    for _ in range(args.runs):
        with spawned(["app.py"]) as (pid, _, seconds):
            page_up.append(seconds)
            idle.append(resident_mb(pid))
    with spawned(["-m", "harness.stand_in_server", "--preload"]) as (pid, _, seconds):
        loaded_mb, loaded_seconds = resident_mb(pid), seconds

    print("| measure | result | target |")
    print("|---|---:|---|")
    page_s = statistics.median(page_up)
    print(f"| `python app.py` to page answering (median of {args.runs}) | {page_s:.1f} s | under 10 s |")
    print(f"| resident memory, page up, no model loaded | {statistics.median(idle):.0f} MB | |")
    print(f"| resident memory, every default model loaded | {loaded_mb / 1024:.2f} GB | under 4 GB |")
    print(f"| start to page answering with every default model preloaded | {loaded_seconds:.1f} s | |")
    print("\ndefault models: yolov8n.pt, ResNet-50, CLIP ViT-B/32 (+ 1,000 ImageNet label embeddings), GPT-2 124M,")
    print("DistilBERT SST-2, all-MiniLM-L6-v2, and the GPT-2 and WordPiece tokenizers.")


if __name__ == "__main__":
    main()
