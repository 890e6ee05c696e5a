"""Evaluating classifiers: stratified splits and folds, metrics, cross-validated linear probes."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch

from models.linear_probe import fit_linear


def stratified_split(labels: list[str], fraction: float, seed: int = 0) -> tuple[list[int], list[int]]:
    """Row indices for training and validation, each class split in the same proportion."""
    rng = np.random.default_rng(seed)
    train, valid = [], []
    for label in sorted(set(labels)):
        rows = rng.permutation([i for i, y in enumerate(labels) if y == label]).tolist()
        cut = max(1, round(len(rows) * fraction)) if len(rows) > 1 else 0
        valid += rows[:cut]
        train += rows[cut:]
    return sorted(train), sorted(valid)


def stratified_sample(labels: list[str], size: int, seed: int = 0) -> list[int]:
    """At most `size` row indices, keeping each class's share."""
    if len(labels) <= size:
        return list(range(len(labels)))
    keep, _ = stratified_split(labels, 1 - size / len(labels), seed)
    return keep


def folds(labels: list[str], count: int, seed: int = 0) -> list[list[int]]:
    """Stratified k-fold: each class's rows dealt round-robin over `count` folds."""
    rng = np.random.default_rng(seed)
    parts: list[list[int]] = [[] for _ in range(count)]
    for label in sorted(set(labels)):
        for n, row in enumerate(rng.permutation([i for i, y in enumerate(labels) if y == label]).tolist()):
            parts[n % count].append(row)
    return [sorted(part) for part in parts]


@dataclass
class Scores:
    accuracy: float
    macro_f1: float
    confusion: pd.DataFrame  # rows: true class, columns: predicted class

    def summary(self) -> str:
        return f"accuracy {self.accuracy:.1%} · macro-F1 {self.macro_f1:.3f}"


def score(truth: list[str], predicted: list[str], classes: list[str]) -> Scores:
    confusion = pd.DataFrame(0, index=classes, columns=classes)
    for t, p in zip(truth, predicted):
        confusion.loc[t, p] += 1
    hits = np.diag(confusion.values)
    precision = np.divide(hits, confusion.sum(axis=0).values, out=np.zeros(len(classes)), where=confusion.sum(axis=0).values > 0)
    recall = np.divide(hits, confusion.sum(axis=1).values, out=np.zeros(len(classes)), where=confusion.sum(axis=1).values > 0)
    f1 = np.divide(2 * precision * recall, precision + recall, out=np.zeros(len(classes)), where=(precision + recall) > 0)
    return Scores(float(hits.sum() / max(len(truth), 1)), float(f1.mean()), confusion)


def cross_validate(features: torch.Tensor, labels: list[str], count: int = 5) -> Scores:
    """Stratified k-fold accuracy of the linear probe: every row is predicted by a probe that never saw it."""
    predicted = [""] * len(labels)
    for fold in folds(labels, count):
        held_out = set(fold)
        train = [i for i in range(len(labels)) if i not in held_out]
        probe = fit_linear(features[train], [labels[i] for i in train])
        for row, label in zip(fold, probe.predict(features[fold])):
            predicted[row] = label
    return score(labels, predicted, sorted(set(labels)))
