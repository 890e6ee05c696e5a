"""First-request and warm latency of each vision tab's handler, on this machine.

    python -m bench.tab_latency [--repeats 5]

YOLO uses its real weights (SHOWCASE_MODEL_DIR). ResNet-50 and CLIP ViT-B/32 weights are not
downloadable here, so full-size random-weight models stand in (speed does not depend on weight
values); for them "first request" counts building the model instead of reading it from disk.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time

import torch

from tests import conftest  # noqa: F401  (offline model caches, as in the tests)
from tests import random_models

import examples
from tasks import common, compare, detection, image_classification, zero_shot


def timed(fn) -> float:
    started = time.perf_counter()
    fn()
    return (time.perf_counter() - started) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()

    clip_id = zero_shot.CHOICES[0]
    loaders = {
        "resnet50": lambda: random_models.resnet("resnet50", tiny=False),
        clip_id: lambda: random_models.clip(clip_id, tiny=False),
    }

    def first_use(model_id: str) -> None:
        if model_id in loaders and model_id not in common.MODELS:
            common.MODELS.put(model_id, loaders[model_id]())

    tabs = [
        ("/detect", detection.default_choice(), lambda: detection.run(examples.bus(), 0.25, 0.45, detection.default_choice())),
        ("/classify_image", "resnet50", lambda: image_classification.run(examples.cheetah(), "resnet50")),
        ("/zero_shot", clip_id, lambda: zero_shot.run(examples.cheetah(), "cheetah, lion, house cat, dog, car", False, clip_id)),
        ("/zero_shot ensemble", clip_id, lambda: zero_shot.run(examples.cheetah(), "cheetah, lion, house cat, dog, car", True, clip_id)),
        ("/compare (1,000 labels)", clip_id, lambda: compare.run(examples.lion(), "", False, clip_id)),
    ]
    device = common.pick_device()
    print(f"device: {device} ({common.inference_dtype(device)}), torch {torch.__version__}, "
          f"{os.cpu_count()} CPU cores, {platform.processor() or platform.machine()}")
    print()
    print("| tab | model | first request ms | warm median ms |")
    print("|---|---|---:|---:|")
    for name, model_id, call in tabs:
        first = timed(lambda: (first_use(model_id), call()))
        warm = statistics.median(timed(call) for _ in range(args.repeats))
        real = "" if model_id in loaders else " (real weights)"
        print(f"| {name} | {model_id}{real} | {first:.0f} | {warm:.0f} |")
    print()
    print("first request: model load (or random-weight build) + first call; for /compare also the")
    print("1,000 ImageNet label prompts' text embeddings, cached afterwards. CLIP ViT-B/32 is already")
    print("loaded by the time /compare runs; ResNet-50 too.")


if __name__ == "__main__":
    main()
