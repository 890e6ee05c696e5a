"""SST-2 sentiment with all-MiniLM-L6-v2: linear probe against full fine-tuning, accuracy and wall time.

    python -m bench.finetune_sst2 [--train-rows 2000] [--epochs 2]

Trains on a class-balanced sample of GLUE SST-2's training set and validates on its whole dev set
(872 sentences), both from ../shared/data/sst2, through the same code as the "Fine-tune text" tab.
"""

from __future__ import annotations

import argparse
import os
import platform
import time

import torch

from harness import offline  # noqa: F401  (first: offline model caches, before huggingface_hub reads them)

# isort: split

from harness.offline import SHARED
from models.device import pick_device
from tasks import finetune_text
from toolkit import text_data

MINILM = finetune_text.TASK.default()
SST2 = SHARED / "data" / "sst2"


def load(name: str, rows: int) -> text_data.TextDataset:
    return text_data.read_dataset(SST2 / name, "sentence", "label", max_rows=rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--train-rows", type=int, default=2000)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--max-length", type=int, default=64)
    parser.add_argument("--learning-rate", type=float, default=5e-5)
    args = parser.parse_args()

    train_set = load("train.tsv", args.train_rows)
    dev_set = load("dev.tsv", 10_000)
    print(
        f"device: {pick_device()}, torch {torch.__version__}, {torch.get_num_threads()} threads, "
        f"{os.cpu_count()} CPU cores, {platform.machine()}"
    )
    print(
        f"SST-2: {len(train_set.texts)} training sentences (balanced sample of 67,349), "
        f"{len(dev_set.texts)} dev sentences\n"
    )
    print("| mode | dev accuracy | dev macro-F1 | wall time s | settings |")
    print("|---|---:|---:|---:|---|")
    runs = [
        (
            "linear probe",
            finetune_text.Settings(mode="probe", max_length=args.max_length),
            "frozen mean-pooled embeddings, L-BFGS logistic regression",
        ),
        (
            "full fine-tuning",
            finetune_text.Settings(
                mode="full",
                epochs=args.epochs,
                learning_rate=args.learning_rate,
                batch_size=args.batch_size,
                max_length=args.max_length,
            ),
            f"{args.epochs} epochs, batch {args.batch_size}, lr {args.learning_rate}, "
            f"max {args.max_length} tokens, AdamW",
        ),
    ]
    for name, settings, described in runs:
        started = time.perf_counter()
        *_, trained = finetune_text.train(train_set, MINILM, settings, validation=dev_set)
        seconds = time.perf_counter() - started
        print(
            f"| {name} | {trained.scores.accuracy:.3f} | {trained.scores.macro_f1:.3f} | {seconds:.0f} | {described} |"
        )
    print("\nwall time includes validation passes over the dev set (once per epoch for fine-tuning).")


if __name__ == "__main__":
    main()
