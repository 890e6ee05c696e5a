"""Linear probes: logistic regression on frozen features, the smallest model a tab trains. Fitted by
scikit-learn (the CLIP authors' linear probe is its LogisticRegression too); kept as a weight
matrix and a bias, so that it is saved and applied without scikit-learn."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from models.base import Ranking


@dataclass
class LinearProbe:
    """Logistic regression on frozen features."""

    weight: torch.Tensor  # [classes, features]
    bias: torch.Tensor  # [classes]
    classes: list[str]

    def probabilities(self, features: torch.Tensor) -> torch.Tensor:
        return (features.float() @ self.weight.T + self.bias).softmax(dim=-1)

    def predict(self, features: torch.Tensor) -> list[str]:
        return [self.classes[i] for i in self.probabilities(features).argmax(dim=-1).tolist()]

    def classify(self, features: torch.Tensor) -> list[Ranking]:
        """Each row's classes (indices into `classes`) by probability."""
        return [Ranking.of(row) for row in self.probabilities(features)]

    def save(self, path: Path) -> None:
        from safetensors.torch import save_file

        save_file({"weight": self.weight.contiguous(), "bias": self.bias.contiguous()}, path)

    @classmethod
    def load(cls, path: Path, classes: list[str]) -> LinearProbe:
        from safetensors.torch import load_file

        head = load_file(path)
        return cls(head["weight"], head["bias"], classes)


def logistic_regression(weight_decay: float, rows: int):
    """scikit-learn's multinomial logistic regression minimising the mean cross-entropy plus
    weight_decay times the squared weights, for `rows` training rows (its C is per row, unscaled)."""
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(C=1.0 / (2.0 * weight_decay * max(rows, 1)), max_iter=1000)


def one_blas_thread():
    """Fitting probes with one BLAS thread: on matrices this small, waking OpenBLAS's other threads
    costs more than they save (bench/RESULTS.md, section 12)."""
    from threadpoolctl import threadpool_limits

    return threadpool_limits(1, user_api="blas")


def fit_linear(features: torch.Tensor, labels: list[str], weight_decay: float = 1e-3) -> LinearProbe:
    """A probe fitted on every row (L-BFGS, full batch: probes are small)."""
    x = features.float().numpy()
    with one_blas_thread():
        fitted = logistic_regression(weight_decay, len(x)).fit(x, np.asarray(labels))
    weight, bias = torch.from_numpy(fitted.coef_).float(), torch.from_numpy(fitted.intercept_).float()
    if len(fitted.classes_) == 2:  # one logit for the second class: as two, the first at zero
        weight, bias = torch.cat([torch.zeros_like(weight), weight]), torch.cat([torch.zeros_like(bias), bias])
    return LinearProbe(weight, bias, [str(c) for c in fitted.classes_])
