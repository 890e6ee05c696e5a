"""Linear probes: logistic regression on frozen features, the smallest model a tab trains."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import torch

from models.tensors import ranked


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

    def ranked(self, features: torch.Tensor) -> list[dict[str, float]]:
        """Each row's {class: probability}, most likely first."""
        return [ranked(row, self.classes) for row in self.probabilities(features)]

    def save(self, path: Path) -> None:
        from safetensors.torch import save_file

        save_file({"weight": self.weight.contiguous(), "bias": self.bias.contiguous()}, path)

    @classmethod
    def load(cls, path: Path, classes: list[str]) -> LinearProbe:
        from safetensors.torch import load_file

        head = load_file(path)
        return cls(head["weight"], head["bias"], classes)


def fit_linear(features: torch.Tensor, labels: list[str], weight_decay: float = 1e-3, steps: int = 100) -> LinearProbe:
    """Multinomial logistic regression fitted with L-BFGS (full batch: probes are small)."""
    classes = sorted(set(labels))
    targets = torch.tensor([classes.index(y) for y in labels])
    x = features.float()
    layer = torch.nn.Linear(x.shape[1], len(classes))
    torch.nn.init.zeros_(layer.weight)
    torch.nn.init.zeros_(layer.bias)
    optimiser = torch.optim.LBFGS(layer.parameters(), lr=1.0, max_iter=steps, line_search_fn="strong_wolfe")

    def closure():
        optimiser.zero_grad()
        loss = torch.nn.functional.cross_entropy(layer(x), targets) + weight_decay * layer.weight.pow(2).sum()
        loss.backward()
        return loss

    with torch.enable_grad():
        optimiser.step(closure)
    return LinearProbe(layer.weight.detach(), layer.bias.detach(), classes)
