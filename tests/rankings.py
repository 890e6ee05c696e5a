"""Rankings (a model's classes by probability, most likely first) back as a matrix, for comparing answers."""

import torch

from models.base import Ranking


def as_matrix(rankings: list[Ranking], classes: int) -> torch.Tensor:
    """[rows, classes]: each row's probability per class, in the classes' order."""
    matrix = torch.zeros(len(rankings), classes)
    for row, ranking in enumerate(rankings):
        matrix[row, ranking.indices] = torch.tensor(ranking.probabilities)
    return matrix
