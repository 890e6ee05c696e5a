"""Models from the Hugging Face hub: loading by id, and what every hub family shares."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch

from i18n import N_, Text
from models.base import LoadedModel
from models.device import place
from models.errors import unavailable

HUB_FIX = N_(
    "It is downloaded from the Hugging Face hub on first use: connect to the internet, or put it in "
    "the cache that HF_HOME points at (`hf download {model_id}`)."
)

_tokenizer_locks: dict[int, threading.Lock] = {}
_tokenizer_locks_guard = threading.Lock()


def from_hub(model_id: str, *loaders: Callable[[str], Any]) -> list[Any]:
    """Each loader's from_pretrained result for model_id, or ModelUnavailable saying how to get it."""
    try:
        return [load(model_id) for load in loaders]
    except (OSError, ValueError) as error:
        raise unavailable(model_id, error, Text(HUB_FIX, {"model_id": model_id})) from error


def encode(tokenizer: Any, *args, **kwargs):
    """tokenizer(*args, **kwargs), one call at a time per tokenizer.

    A fast tokenizer keeps padding and truncation settings as state that each call sets; two tabs
    sharing one (similarity pads, attention truncates) corrupt each other's batches when calls
    overlap (bench/RESULTS.md, section 5).
    """
    with _tokenizer_locks_guard:
        lock = _tokenizer_locks.setdefault(id(tokenizer), threading.Lock())
    with lock:
        return tokenizer(*args, **kwargs)


@dataclass
class HubModel(LoadedModel):
    """A transformers network and its tokenizer, placed for inference.

    `model` is None once every network a family runs has moved to the accelerated runtime (its
    PyTorch copy freed); `config` stays.
    """

    model: torch.nn.Module | None
    tokenizer: Any
    config: Any = None

    def __post_init__(self) -> None:
        if self.config is None:
            self.config = self.model.config

    @classmethod
    def wrap(cls, model: torch.nn.Module, tokenizer: Any, model_id: str, **extra):
        """Places a network (loaded, or built with random weights by tests) and wraps it."""
        model, device, dtype = place(model)
        return cls(model_id, device, dtype, model, tokenizer, **extra)

    def encode(self, *args, **kwargs):
        return encode(self.tokenizer, *args, **kwargs)

    def to_device(self, tokens) -> dict[str, torch.Tensor]:
        return {name: tensor.to(self.device) for name, tensor in tokens.items()}

    def save(self, folder) -> None:
        """Hugging Face format: from_pretrained(folder) loads it again."""
        self.model.save_pretrained(folder)
        self.tokenizer.save_pretrained(folder)
