"""The runtime ledger: one input through copies of a model on every runtime this machine has, timed
step by step, with the memory each copy holds and its answer (the tabs compare the answers).

It runs where the model runs (in this process, or in a Ray Serve replica through
LoadedModel.runtimes): each copy is built by the backend as the model was (models.load's loader, or
a stand-in's recipe) under a runtime Choice, warmed (converted, on first use, and kept on disk),
called a few times, then dropped before the next, so that at most one extra copy is held at a time.
"""

from __future__ import annotations

import gc
import os
import statistics
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import torch

from i18n import N_, Text
from models import runtime
from models.errors import ShowcaseError
from models.runtime import Choice

# The runtime every other is compared with: what the model's authors ran.
REFERENCE = "PyTorch fp32"
RUNTIMES: dict[str, Choice] = {
    REFERENCE: Choice("cpu", "torch", "fp32"),
    "OpenVINO fp32": Choice("cpu", "openvino", "fp32"),
    "OpenVINO bf16": Choice("cpu", "openvino", "bf16"),
    "OpenVINO INT8": Choice("cpu", "openvino", "int8"),
    "CUDA fp16": Choice("cuda", "torch", ""),
}
# Timed calls per runtime, after one untimed call: the median and the range are shown.
REPEATS = 5


@dataclass
class RuntimeRun:
    """One runtime's line: its precision, its timings per step (median and range of the timed
    calls, ms), the memory its copy holds (MiB) and the answer's row; or why it cannot run here."""

    name: str
    precision: str = ""
    steps: dict[str, tuple[float, float, float]] = field(default_factory=dict)  # step -> median, min, max
    memory_mib: float | None = None
    row: Any = None
    why_not: Text | None = None

    @property
    def total_ms(self) -> float:
        return sum(median for median, _, _ in self.steps.values())


def why_not(name: str) -> Text | None:
    """Why a runtime cannot run on this machine, or None if it can."""
    choice = RUNTIMES[name]
    if choice.device == "cuda" and not torch.cuda.is_available():
        return Text(N_("No CUDA GPU on this machine."))
    if choice.runtime == "openvino" and not runtime.wanted(torch.device("cpu"), choice):
        return Text(N_("OpenVINO is not installed."))
    if choice.precision == "bf16" and not runtime.computes_bf16():
        return Text(N_("This CPU has no bf16 (AVX-512 BF16 or AMX)."))
    return None


def resident_mib() -> float | None:
    """This process's resident memory (Linux; None elsewhere)."""
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except (OSError, ValueError, IndexError):
        return None


def measure(
    model_id: str, method: str, args: tuple, kwargs: dict, repeats: int = REPEATS
) -> Iterator[RuntimeRun | None]:
    """Each runtime's line for one call of the model's task-level `method` (its first row), the
    reference first, with a None after each step of the work (a copy built, a call made): closing
    the iterator there (Stop) drops the copy at work and ends it within a step."""
    import models

    for name, choice in RUNTIMES.items():
        reason = why_not(name)
        if reason is not None:
            yield RuntimeRun(name, why_not=reason)
            continue
        before = resident_mib()
        copy = None
        try:
            with runtime.choosing(choice):
                copy = models.backend().copy(model_id)
            yield None
            answers = []
            for _ in range(repeats + 1):  # the first untimed: it may still compile
                with runtime.choosing(choice):
                    answers.append(getattr(copy, method)(*args, **kwargs))
                yield None
            answers = answers[1:]
            after = resident_mib()
            steps = {
                step: (statistics.median(times), min(times), max(times))
                for step in answers[0].timings.ms
                for times in [[answer.timings[step] for answer in answers]]
            }
            memory = after - before if before is not None and after is not None else None
            run = RuntimeRun(name, copy.precision, steps, memory, answers[-1].rows[0])
        except ShowcaseError as error:  # the model cannot be had this way (offline, say)
            run = RuntimeRun(name, why_not=error.text)
        finally:
            del copy
            gc.collect()
            runtime.return_freed_memory()
        yield run
