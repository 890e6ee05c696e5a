"""Self-supervised pretraining and AutoML, through the tabs' own code and their HTTP round trip.

    python -m bench.self_supervised [--epochs 10 30 60] [--seeds 0 1 2] [--budget 300]

1. On the CIFAR-10 sample of ../shared (200 test images, 20 per class; CIFAR-10 itself cannot be
   downloaded here), the linear-probe accuracy (5-fold cross-validated) of the contrastive encoder
   after pretraining against the same CNN with its random starting weights, per epochs and seed.
2. Few-shot images on a labelled folder made from the ImageNet sample (animals: ImageNet classes
   0 to 397, against everything else), one default backbone against Auto, each a /finetune_image
   call through gradio_client on a served app. ResNet-50 and CLIP are full-size random-weight
   stand-ins (their weights cannot be had here): their times are real, their accuracies are not;
   the self-supervised encoder is real, pretrained in part 1.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import tempfile
import time
from pathlib import Path

import torch

from harness import offline  # noqa: F401  (first: offline model caches, before huggingface_hub reads them)

# isort: split

from harness import stand_ins
from harness.offline import IMAGENET_SAMPLE
from harness.server import serve
from tasks import finetune_image, self_supervised
from toolkit import image_data

FIRST_OBJECT_CLASS = 398  # ImageNet's classes 0 to 397 are animals


def pretraining_table(epochs_list: list[int], seeds: list[int]) -> Path:
    """Part 1; returns the file of the last encoder pretrained, for part 2."""
    data = image_data.cifar10(10_000)
    print(f"## CIFAR-10 sample: {len(data.images)} images, {len(data.counts())} classes, batch 64, Adam(W) lr 1e-3\n")
    print("| epochs | seed | steps | wall time s | probe: pretrained | probe: random weights | gain (points) |")
    print("|---:|---:|---:|---:|---:|---:|---:|")
    gains = []
    for epochs in epochs_list:
        for seed in seeds:
            torch.manual_seed(seed)
            started = time.perf_counter()
            *_, result = self_supervised.pretrain(data, epochs, 64, 1e-3, seed=seed)
            seconds = time.perf_counter() - started
            table = self_supervised.evaluate(result).table
            pretrained, random = (float(value.rstrip("%")) for value in table["probe accuracy"])
            gains.append(pretrained - random)
            print(
                f"| {epochs} | {seed} | {len(result.losses)} | {seconds:.0f} | {pretrained:.1f}% | {random:.1f}% | "
                f"{pretrained - random:+.1f} |"
            )
    print(f"\nmean gain {sum(gains) / len(gains):+.1f} points over {len(gains)} runs; chance is 10%.\n")
    path = Path(tempfile.mkdtemp()) / "encoder.safetensors"
    result.encoder.save(path)
    return path


def animal_folder() -> Path:
    """The ImageNet sample as a labelled folder: animal/ and object/, by class index."""
    import csv

    folder = Path(tempfile.mkdtemp(prefix="imagenet-two-classes-"))
    with open(IMAGENET_SAMPLE / "labels.csv") as rows:
        for row in csv.DictReader(rows):
            kind = "animal" if int(row["class_index"]) < FIRST_OBJECT_CLASS else "object"
            (folder / kind).mkdir(exist_ok=True)
            shutil.copy(IMAGENET_SAMPLE / row["file"], folder / kind / row["file"])
    return Path(shutil.make_archive(str(folder), "zip", folder))


def automl_table(encoder: Path, budget: float) -> None:
    from gradio_client import handle_file

    archive = animal_folder()
    print("## Few-shot images on the ImageNet sample (animal 40, object 60), through gradio_client\n")
    print("| run | backbone kept | weight decay | CV accuracy | trials | round trip s |")
    print("|---|---|---:|---:|---:|---:|")
    for client in serve(stand_ins.defaults(tiny=False)):
        runs = [
            ("one backbone (the default)", finetune_image.TASK.default(), finetune_image.ONE),
            (f"Auto, budget {budget:.0f} s", finetune_image.TASK.default(), finetune_image.AUTO),
        ]
        for name, backbone_id, mode in runs:
            started = time.perf_counter()
            summary, _, _, board = client.predict(
                [handle_file(str(archive))],
                backbone_id,
                mode,
                budget,
                handle_file(str(encoder)),
                api_name="/finetune_image",
            )
            seconds = time.perf_counter() - started
            board = board.get("value", board)  # an update: the table, and its visibility
            kept = summary.split("with **", 1)[1].split("**", 1)[0]
            accuracy = summary.split("accuracy ", 1)[1].split(" ", 1)[0]
            decay = summary.split("weight decay ", 1)[1].split(",", 1)[0] if "weight decay" in summary else "0.001"
            trials = sum(1 for row in board["data"] if row[0] != "") if board and board.get("data") else 1
            print(f"| {name} | {kept} | {decay} | {accuracy} | {trials} | {seconds:.1f} |")
            if mode == finetune_image.AUTO:
                print("\nAuto's leaderboard:\n")
                print("| " + " | ".join(board["headers"]) + " |")
                print("|" + "---|" * len(board["headers"]))
                for row in board["data"]:
                    print("| " + " | ".join("" if value is None else str(value) for value in row) + " |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, nargs="+", default=[10, 30, 60])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--budget", type=float, default=300)
    args = parser.parse_args()
    print(
        f"device: cpu, torch {torch.__version__}, {torch.get_num_threads()} threads, {os.cpu_count()} CPU cores, "
        f"{platform.machine()}\n"
    )
    encoder = pretraining_table(args.epochs, args.seeds)
    automl_table(encoder, args.budget)


if __name__ == "__main__":
    main()
