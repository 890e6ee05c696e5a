"""Evaluating classifiers: stratified splits and folds, metrics, cross-validated linear probes, and a
leaderboard of probes over backbones and settings (AutoML, as AutoGluon's ImagePredictor does it)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch

from models.errors import ModelUnavailable
from models.linear_probe import fit_linear
from toolkit.messages import message


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
        return message(
            "accuracy {accuracy:.1%} · macro-F1 {macro_f1:.3f}", accuracy=self.accuracy, macro_f1=self.macro_f1
        )


def score(truth: list[str], predicted: list[str], classes: list[str]) -> Scores:
    confusion = pd.DataFrame(0, index=classes, columns=classes)
    for t, p in zip(truth, predicted):
        confusion.loc[t, p] += 1
    hits = np.diag(confusion.values)
    precision = np.divide(
        hits, confusion.sum(axis=0).values, out=np.zeros(len(classes)), where=confusion.sum(axis=0).values > 0
    )
    recall = np.divide(
        hits, confusion.sum(axis=1).values, out=np.zeros(len(classes)), where=confusion.sum(axis=1).values > 0
    )
    f1 = np.divide(
        2 * precision * recall, precision + recall, out=np.zeros(len(classes)), where=(precision + recall) > 0
    )
    return Scores(float(hits.sum() / max(len(truth), 1)), float(f1.mean()), confusion)


def fold_count(labels: list[str], most: int = 5) -> int:
    """Folds for cross-validation: at most `most`, and no more than the smallest class has rows."""
    return min(most, min(labels.count(label) for label in set(labels)))


def cross_validate(features: torch.Tensor, labels: list[str], count: int = 5, weight_decay: float = 1e-3) -> Scores:
    """Stratified k-fold accuracy of the linear probe: every row is predicted by a probe that never saw it."""
    predicted = [""] * len(labels)
    for fold in folds(labels, count):
        held_out = set(fold)
        train = [i for i in range(len(labels)) if i not in held_out]
        probe = fit_linear(features[train], [labels[i] for i in train], weight_decay)
        for row, label in zip(fold, probe.predict(features[fold])):
            predicted[row] = label
    return score(labels, predicted, sorted(set(labels)))


# The regularisation strengths Auto tries on each backbone (fit_linear's default is the second).
WEIGHT_DECAYS = (1e-4, 1e-3, 1e-2, 1e-1)


@dataclass
class Trial:
    backbone: str
    weight_decay: float
    scores: Scores | None  # None: not tried (its reason in `note`)
    features_s: float = 0.0  # computing the backbone's features, shared by its trials
    fit_s: float = 0.0  # fitting and cross-validating this setting
    note: str = ""

    def sort_key(self) -> tuple:
        return (-self.scores.accuracy, -self.scores.macro_f1, self.fit_s) if self.scores else (1.0, 0.0, 0.0)


def search(
    backbones: dict[str, Callable[[], torch.Tensor]],
    labels: list[str],
    count: int,
    budget_s: float,
    weight_decays=WEIGHT_DECAYS,
    on_trial: Callable[[Trial], None] | None = None,
) -> list[Trial]:
    """Cross-validates a linear probe for every backbone (name -> its features, computed on call) and
    weight decay, best first. No backbone starts once `budget_s` is spent, but the first always runs;
    a backbone that fails is listed with the reason."""
    started = time.perf_counter()
    trials: list[Trial] = []
    for name, features_of in backbones.items():
        if trials and time.perf_counter() - started > budget_s:
            trials.append(Trial(name, float("nan"), None, note=message("not tried: the time budget was spent")))
            continue
        clock = time.perf_counter()
        try:
            features = features_of()
        except ModelUnavailable as error:  # a backbone whose weights cannot be had: the others still run
            trials.append(Trial(name, float("nan"), None, note=message("not available: {reason}", reason=error.text)))
            continue
        features_s = time.perf_counter() - clock
        for weight_decay in weight_decays:
            clock = time.perf_counter()
            scores = cross_validate(features, labels, count, weight_decay)
            trials.append(Trial(name, weight_decay, scores, features_s, time.perf_counter() - clock))
            if on_trial:
                on_trial(trials[-1])
    return sorted(trials, key=Trial.sort_key)


def leaderboard(trials: list[Trial]) -> pd.DataFrame:
    """The trials as a table, best first, as people read it (AutoGluon's leaderboard, for probes)."""
    return pd.DataFrame(
        [
            {
                "rank": n if trial.scores else "",
                "backbone": trial.backbone,
                "weight decay": f"{trial.weight_decay:g}" if trial.scores else "",
                "CV accuracy": f"{trial.scores.accuracy:.1%}" if trial.scores else trial.note,
                "macro-F1": round(trial.scores.macro_f1, 3) if trial.scores else None,
                "features (s)": round(trial.features_s, 1) if trial.scores else None,
                "fit (s)": round(trial.fit_s, 2) if trial.scores else None,
            }
            for n, trial in enumerate(trials, start=1)
        ]
    )
