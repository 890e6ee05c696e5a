"""What every family shares: the loaded model's base class, and what its task-level methods answer
with (one row per input, the ranking of classes, and how long each step took)."""

from __future__ import annotations

import functools
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import Generic, TypeVar

import numpy as np
import torch

from models import runtime

T = TypeVar("T")


@dataclass
class LoadedModel:
    """What every family's loaded model carries: its id, and where and how it runs."""

    model_id: str
    device: torch.device
    dtype: torch.dtype

    def runners(self) -> list:
        """The models.runtime.Runner of each network it runs (none: plain PyTorch)."""
        return []

    @property
    def runtime(self) -> str:
        runners = self.runners()
        return runners[0].runtime if runners else "PyTorch"

    @property
    def precision(self) -> str:
        runners = self.runners()
        if runners:
            return runners[0].precision
        return "fp16" if self.dtype == torch.float16 else "fp32"

    @functools.cached_property
    def weights_hash(self) -> str:
        """A short hash of the weights it runs (a shared result names it): its runners' fingerprints,
        else its PyTorch networks'; empty for a model with no weights (a tokenizer)."""
        runners = self.runners()
        if runners:
            return "+".join(dict.fromkeys(runner.fingerprint for runner in runners))
        networks = [value for value in vars(self).values() if isinstance(value, torch.nn.Module)]
        return "+".join(runtime.fingerprint(network) for network in networks)

    def take_conversion_seconds(self) -> float:
        """Seconds this process spent converting the model for the accelerated runtime, reported once."""
        seconds = sum(runner.converted_s or 0 for runner in self.runners())
        for runner in self.runners():
            runner.converted_s = None
        return seconds

    def warm(self) -> None:
        """Runs the model once on a dummy input, so the first visitor does not wait for compilation."""

    def runtimes(self, method: str, *args, **kwargs) -> Iterator:
        """The runtime ledger of one call of a task-level method (models.ledger.measure): a
        models.ledger.RuntimeRun per runtime, built and measured where the model runs."""
        from models import ledger  # the ledger builds models through the backend, which imports families

        yield from ledger.measure(self.model_id, method, args, kwargs)


@dataclass
class ClassMap:
    """The evidence for one class (or label) over one image: positive where its score rises."""

    class_index: int
    probability: float
    evidence: np.ndarray  # [rows, columns]: the network's grid over the part it sees
    region: tuple[int, int, int, int]  # the part of the photo the grid covers, x1, y1, x2, y2


@dataclass
class Timings:
    """Milliseconds per step of one call, in the order the steps ran: preprocess, forward (the
    network, what a runtime changes), postprocess, and any a family adds (CLIP's label prompts)."""

    ms: dict[str, float] = field(default_factory=dict)

    @contextmanager
    def measure(self, step: str, device: torch.device | None = None) -> Iterator[None]:
        """Adds the block's time to the step; on CUDA it waits for the GPU, so the figure is real."""
        started = time.perf_counter()
        yield
        if device is not None and device.type == "cuda":
            torch.cuda.synchronize(device)
        self.ms[step] = self.ms.get(step, 0.0) + (time.perf_counter() - started) * 1000

    def __getitem__(self, step: str) -> float:
        return self.ms.get(step, 0.0)

    @property
    def total_ms(self) -> float:
        return sum(self.ms.values())


@dataclass
class Answers(Generic[T]):
    """What a row-wise task method answers: a row per input, and the timings of the whole call.
    On Ray Serve, concurrent calls are joined into one and the answer is split back (split)."""

    rows: list[T]
    timings: Timings

    def __len__(self) -> int:
        return len(self.rows)

    def __getitem__(self, row: int) -> T:
        return self.rows[row]

    def split(self, sizes: Sequence[int]) -> list[Answers[T]]:
        """Each caller's rows, with the joined call's timings."""
        parts, start = [], 0
        for size in sizes:
            parts.append(replace(self, rows=self.rows[start : start + size]))
            start += size
        return parts


@dataclass
class Ranking:
    """One input's classes (or labels) by probability, most likely first: indices into the model's
    class list and their probabilities."""

    indices: list[int]
    probabilities: list[float]

    @classmethod
    def of(cls, probabilities: torch.Tensor | Sequence[float], k: int | None = None) -> Ranking:
        """The top k (all, if k is None) of one row of probabilities."""
        row = torch.as_tensor(probabilities, dtype=torch.float32).flatten()
        top = row.topk(min(k or len(row), len(row)))
        return cls(top.indices.tolist(), top.values.tolist())

    @property
    def first(self) -> int:
        return self.indices[0]

    def named(self, names: Sequence[str], k: int | None = None) -> dict[str, float]:
        """{name: probability}, most likely first, rounded for reading; the top k if given."""
        pairs = list(zip(self.indices, self.probabilities))[:k]
        return {names[index]: round(probability, 4) for index, probability in pairs}
