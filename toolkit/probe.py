"""Evaluating classifiers: stratified splits, metrics, cross-validated linear probes (scikit-learn's),
and a leaderboard of probes over backbones and settings (AutoML, as AutoGluon's ImagePredictor does it)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch

from i18n import N_
from models.errors import ModelUnavailable
from models.linear_probe import logistic_regression, one_blas_thread
from toolkit.messages import message


def stratified_split(labels: list[str], fraction: float, seed: int = 0) -> tuple[list[int], list[int]]:
    """Row indices for training and validation, each class split in the same proportion (every
    class needs two rows; each keeps at least one on either side)."""
    from sklearn.model_selection import train_test_split

    classes = len(set(labels))
    held_out = min(max(round(len(labels) * fraction), classes), len(labels) - classes)
    train, valid = train_test_split(range(len(labels)), test_size=held_out, stratify=labels, random_state=seed)
    return sorted(train), sorted(valid)


def stratified_sample(labels: list[str], size: int, seed: int = 0) -> list[int]:
    """At most `size` row indices, keeping each class's share (a plain random sample where a class
    is too small to split)."""
    from sklearn.model_selection import train_test_split

    if len(labels) <= size:
        return list(range(len(labels)))
    try:
        keep, _ = train_test_split(range(len(labels)), train_size=size, stratify=labels, random_state=seed)
    except ValueError:  # a class of one row, or more classes than rows kept
        keep, _ = train_test_split(range(len(labels)), train_size=size, random_state=seed)
    return sorted(keep)


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
    """Accuracy, macro-F1 and the confusion matrix (none yet: zeros)."""
    from sklearn.metrics import accuracy_score, confusion_matrix, f1_score

    if not truth:
        return Scores(0.0, 0.0, pd.DataFrame(0, index=classes, columns=classes))
    confusion = pd.DataFrame(confusion_matrix(truth, predicted, labels=classes), index=classes, columns=classes)
    macro_f1 = f1_score(truth, predicted, labels=classes, average="macro", zero_division=0)
    return Scores(float(accuracy_score(truth, predicted)), float(macro_f1), confusion)


def fold_count(labels: list[str], most: int = 5) -> int:
    """Folds for cross-validation: at most `most`, and no more than the smallest class has rows."""
    return min(most, min(labels.count(label) for label in set(labels)))


def cross_validate(features: torch.Tensor, labels: list[str], count: int = 5, weight_decay: float = 1e-3) -> Scores:
    """Stratified k-fold scores of the linear probe: every row is predicted by a probe that never saw it."""
    from sklearn.model_selection import StratifiedKFold, cross_val_predict

    folds = StratifiedKFold(count, shuffle=True, random_state=0)
    probe = logistic_regression(weight_decay, len(labels) * (count - 1) // count)
    with one_blas_thread():
        predicted = cross_val_predict(probe, features.float().numpy(), np.asarray(labels), cv=folds)
    return score(labels, predicted.tolist(), sorted(set(labels)))


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
                N_("rank"): n if trial.scores else "",
                N_("backbone"): trial.backbone,
                N_("weight decay"): f"{trial.weight_decay:g}" if trial.scores else "",
                N_("CV accuracy"): f"{trial.scores.accuracy:.1%}" if trial.scores else trial.note,
                N_("macro-F1"): round(trial.scores.macro_f1, 3) if trial.scores else None,
                N_("features (s)"): round(trial.features_s, 1) if trial.scores else None,
                N_("fit (s)"): round(trial.fit_s, 2) if trial.scores else None,
            }
            for n, trial in enumerate(trials, start=1)
        ]
    )
