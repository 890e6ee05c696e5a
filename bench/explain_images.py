"""What explaining an image answer costs against giving it, and whether the explanation means
something (deletion and model randomisation, on the real YOLOv8n weights).

    python -m bench.explain_images [--rounds 5]

Times, median of the rounds, on the bus photo: YOLOv8n (real weights) and ResNet-50 (full size,
random weights: its speed does not depend on the weights' values). Each explanation is set against
the same model's PyTorch fp32 prediction (the issue's yardstick) and the answer the app gives
(OpenVINO). Deletion: on the 12 shared photos' three most confident boxes each, the drop in the
box's confidence when the 20% of its pixels the heat ranks highest are blanked grey, against as
many random pixels; randomisation: Spearman's rank correlation between the heat of the trained
and of re-randomised weights.
"""

from __future__ import annotations

import argparse
import statistics
import time

from harness import offline  # noqa: F401  (first: offline model caches, before huggingface_hub reads them)

# isort: split

import numpy as np
import torch

import examples
import models
from bench import machine
from harness import sanity, stand_ins
from models import runtime
from toolkit.inputs import open_image


def median_ms(call, rounds: int) -> float:
    call()  # warm: conversions and first-call costs are not what a visitor waits for again
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        call()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def timing_rows(rounds: int) -> list[tuple[str, float, float, float]]:
    photo = open_image(examples.bus())
    detector = models.load("yolov8n.pt")
    (found,) = detector.detect([photo], 0.25, 0.45)
    from ultralytics import YOLO

    pytorch = YOLO(str(offline.SHARED / "models" / "yolo" / "yolov8n.pt"))
    bgr = np.ascontiguousarray(np.asarray(photo)[..., ::-1])
    yolo = (
        "YOLOv8n (real weights): HiResCAM of a box + runner-ups",
        median_ms(lambda: pytorch.predict(bgr, verbose=False), rounds),
        median_ms(lambda: detector.detect([photo], 0.25, 0.45), rounds),
        median_ms(lambda: detector.explain_box(photo, found, 0), rounds),
    )
    from torchvision.models import resnet50

    classifier = stand_ins.resnet(tiny=False)
    plain = resnet50().eval()  # the same network in PyTorch

    def pytorch_resnet():
        with torch.inference_mode():
            plain(classifier.preprocess([photo])).softmax(-1)

    resnet = (
        "ResNet-50 (random weights): class activation map",
        median_ms(pytorch_resnet, rounds),
        median_ms(lambda: classifier.top_k([photo]), rounds),
        median_ms(lambda: classifier.class_maps([photo], [0]), rounds),
    )
    return [yolo, resnet]


def sanity_rows() -> tuple[float, float, float, int]:
    drops, correlations = sanity.on_shared_photos(models.load("yolov8n.pt"))
    salient, random = np.median(drops, axis=0)
    return float(salient), float(random), float(np.median(correlations)), len(drops)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    print(f"{machine()}, OpenVINO {runtime.openvino_version()}; the bus photo; medians of {args.rounds} rounds\n")
    print("| model: explanation | PyTorch fp32 predict ms | app's answer ms | explain ms | explain / PyTorch predict |")
    print("|---|---:|---:|---:|---:|")
    for name, pytorch_ms, answer_ms, explain_ms in timing_rows(args.rounds):
        print(f"| {name} | {pytorch_ms:.0f} | {answer_ms:.0f} | {explain_ms:.0f} | {explain_ms / pytorch_ms:.2f}x |")
    salient, random, correlation, boxes = sanity_rows()
    print()
    print(f"Deletion, YOLOv8n, {boxes} boxes of the 12 shared photos: median confidence drop")
    print(f"  20% most salient pixels blanked: {salient:.3f}; 20% random pixels: {random:.3f}")
    print(f"Randomisation: median rank correlation, trained against re-randomised weights: {correlation:.2f}")


if __name__ == "__main__":
    main()
