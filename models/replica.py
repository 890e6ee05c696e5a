"""What runs in a Ray Serve replica of a model family's deployment (models/remote.py is the caller).

A replica is the embedded model layer in its own process: it loads the family's models with
models.load (the embedded backend, in that process) and answers RemoteModels' method calls on them.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import logging
import pickle
from collections.abc import Callable
from typing import Any

import torch
from ray import serve

import models
from models.base import Answers
from models.errors import ShowcaseError

log = logging.getLogger("showcase")

PLAIN = (str, int, float, bool, type(None), torch.device, torch.dtype)
_END = object()


def plain(value: Any) -> bool:
    """Whether a model's attribute is data the tabs can have a copy of, rather than a network."""
    from transformers import PretrainedConfig, PreTrainedTokenizerBase

    if isinstance(value, (list, tuple)):
        return all(plain(item) for item in value)
    if isinstance(value, dict):
        return all(plain(key) and plain(item) for key, item in value.items())
    return isinstance(value, PLAIN + (PretrainedConfig, PreTrainedTokenizerBase))


class Elsewhere:
    """Stands for an attribute that stays in the replica (a network, a compiled runner)."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return f"<{self.name}: held by the Serve replica>"


def rows(value: Any) -> int:
    return value.shape[0] if isinstance(value, torch.Tensor) else len(value)


def split(output: Any, sizes: list[int]) -> list[Any]:
    """A batched call's output (Answers, a list, a tensor, or a tuple of them, one row per input)
    cut back into each caller's rows."""
    if isinstance(output, Answers):
        return output.split(sizes)
    if isinstance(output, tuple):
        return list(zip(*(split(part, sizes) for part in output)))
    parts, start = [], 0
    for size in sizes:
        parts.append(output[start : start + size])
        start += size
    return parts


def joined(items: list[Any]) -> Any:
    return torch.cat(items) if isinstance(items[0], torch.Tensor) else [row for item in items for row in item]


class FamilyServer:
    """One replica of a family's deployment: the embedded model layer, with the family's default
    models loaded before it takes requests (a replacement replica warms up first too)."""

    def __init__(self, family: str, preload: list[str], setup: Callable[[str], None] | None = None) -> None:
        if setup is not None:
            setup(family)
        self.family = models.family(family)
        for model_id in preload:
            try:
                models.load(model_id)
            except ShowcaseError as error:  # the request for it will carry the message
                log.warning("replica of %s: %s", family, error)

    @staticmethod
    def model(model_id: str) -> Any:
        return models.load(model_id)

    def describe(self, model_id: str) -> dict[str, Any]:
        """What a RemoteModel needs: the model's attributes, its class, and which methods stream."""
        model = self.model(model_id)
        cls = type(model)
        names = set(getattr(model, "__dict__", {})) | {
            name for name, value in inspect.getmembers(cls) if isinstance(value, property | functools.cached_property)
        }
        attributes = {}
        for name in sorted(n for n in names if not n.startswith("_")):
            value = getattr(model, name)
            attributes[name] = value if plain(value) else Elsewhere(name)
        streams = [name for name, value in inspect.getmembers(cls) if inspect.isgeneratorfunction(value)]
        return {
            "attributes": attributes,
            "class": cls,
            "streams": streams,
            "batched": list(getattr(self.family, "BATCHED", ())),
        }

    @staticmethod
    def generations() -> int:
        """Text generations still at work in this replica (Stop ends one between two tokens)."""
        from models import causal_lm

        return causal_lm.running()

    async def call(self, model_id: str, method: str, args: tuple, kwargs: dict) -> Any:
        return await asyncio.to_thread(lambda: getattr(self.model(model_id), method)(*args, **kwargs))

    @serve.batch(max_batch_size=16, batch_wait_timeout_s=0.005)
    async def call_batched(self, requests: list[tuple]) -> list[Any]:
        """Concurrent calls of one model's row-wise method with the same settings, run as one."""
        groups: dict[tuple, list[int]] = {}
        for index, (model_id, method, _, args, kwargs) in enumerate(requests):
            groups.setdefault((model_id, method, pickle.dumps((args, sorted(kwargs.items())))), []).append(index)
        answers: list[Any] = [None] * len(requests)
        for members in groups.values():
            model_id, method, _, args, kwargs = requests[members[0]]
            firsts = [requests[index][2] for index in members]
            output = await self.call(model_id, method, (joined(firsts), *args), kwargs)
            for index, part in zip(members, split(output, [rows(first) for first in firsts])):
                answers[index] = part
        return answers

    async def stream(self, model_id: str, method: str, args: tuple, kwargs: dict):
        iterator = getattr(self.model(model_id), method)(*args, **kwargs)
        pending = None
        try:
            while True:
                pending = asyncio.ensure_future(asyncio.to_thread(next, iterator, _END))
                item = await asyncio.shield(pending)  # cancelled, the thread still finishes its step
                if item is _END:
                    return
                yield item
        finally:  # the caller closed the stream (Stop) or it ended: let the model stop its work
            if pending is not None and not pending.done():
                await asyncio.wait([pending])
            await asyncio.to_thread(iterator.close)
