"""Batched forward passes, the same for every family."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch

# Items per forward pass in batch work: bounds memory on CPU while keeping the matrix work dense.
IMAGES_PER_PASS = 16
TEXTS_PER_PASS = 64


def chunked(forward: Callable[[Sequence], torch.Tensor], items: Sequence, size: int) -> torch.Tensor:
    """forward over items `size` at a time (a tensor is split along its first dimension), concatenated.

    The passes run in inference mode; the result is joined outside it, so it is an ordinary tensor
    that later training (a linear probe on these features) may use.
    """
    parts = (
        items.split(size)
        if isinstance(items, torch.Tensor)
        else [items[i : i + size] for i in range(0, len(items), size)]
    )
    with torch.inference_mode():
        outputs = [forward(part) for part in parts]
    return torch.cat(outputs)


def unit(features: torch.Tensor) -> torch.Tensor:
    """Rows scaled to length 1, in float32 (cosine similarity becomes a dot product)."""
    features = features.float()
    return features / features.norm(dim=-1, keepdim=True).clamp_min(1e-12)
