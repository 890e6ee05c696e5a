"""What the training tabs share: one run per server, progress reports, the optimisation loop, the
loss curve, and trained models zipped for download. Stopping a run is closing its iterator; work
that is not an iterator itself runs in_steps."""

from __future__ import annotations

import atexit
import contextvars
import math
import queue
import shutil
import tempfile
import threading
from collections import deque
from collections.abc import Callable, Generator, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import pandas as pd
import torch

from models.errors import ShowcaseError
from toolkit.messages import message

# One training run per server: training saturates the CPU (or GPU) it runs on.
_slot = threading.Lock()


@contextmanager
def training_slot():
    """Holds the server's training slot, or says it is busy; released when training ends or is stopped."""
    if not _slot.acquire(blocking=False):
        raise ShowcaseError(
            "Another training run is in progress on this server. Try again when it finishes (or stop it)."
        )
    try:
        yield
    finally:
        _slot.release()


T = TypeVar("T")


class Stopped(Exception):
    """Raised inside work run in_steps once its iterator is closed: the work ends at its next step."""


_DONE = object()


def in_steps(work: Callable[[Callable[[], None]], T], update: Any) -> Generator[Any, None, T]:
    """Runs work(step_done) in a thread of its own, in this request's context (its language, its
    progress bar), and yields `update` each time the work calls step_done(). Closing this iterator
    (Stop, the visitor gone) makes the work's next step_done() raise Stopped, and waits for the work
    to end there. Returns what the work returns; raises what it raises. For a handler that is a
    generator so that it can be stopped: `result = yield from in_steps(work, skip_outputs)`."""
    steps: queue.Queue = queue.Queue()
    stop = threading.Event()
    outcome: dict[str, Any] = {}

    def step_done() -> None:
        if stop.is_set():
            raise Stopped
        steps.put(None)

    def run() -> None:
        try:
            outcome["result"] = work(step_done)
        except BaseException as error:  # handed to the request's thread, which raises it
            outcome["error"] = error
        finally:
            steps.put(_DONE)

    worker = threading.Thread(target=contextvars.copy_context().run, args=(run,), name="training", daemon=True)
    worker.start()
    try:
        while steps.get() is not _DONE:
            yield update
    finally:
        stop.set()
        worker.join()
    if "error" in outcome:
        raise outcome["error"]
    return outcome["result"]


@dataclass
class Progress:
    """One report from a training run: how far it is, what it is doing, the losses so far."""

    step: int
    total_steps: int
    message: str
    losses: list[tuple[int, float]] = field(default_factory=list)  # (step, training loss)
    epoch_done: int = 0  # set on the report that closes an epoch

    @property
    def fraction(self) -> float:
        return self.step / max(self.total_steps, 1)


def loss_frame(losses: list[tuple[int, float]]) -> pd.DataFrame:
    """The loss curve as the tab's line plot takes it."""
    return pd.DataFrame(losses or [(0, None)], columns=["step", "loss"]).dropna()


def optimise(
    model: torch.nn.Module,
    batches: Callable[[], Iterable[Any]],
    loss_of: Callable[[Any], torch.Tensor],
    steps_per_epoch: int,
    epochs: int,
    learning_rate: float,
    weight_decay: float = 0.01,
) -> Iterator[Progress]:
    """Trains with AdamW, a linear warm-up over the first tenth then linear decay, and gradients
    clipped at 1. `batches()` gives one epoch's batches; yields Progress after every step, and one
    with epoch_done set at the end of each epoch (the caller validates there)."""
    total = steps_per_epoch * epochs
    optimiser = torch.optim.AdamW(
        [p for p in model.parameters() if p.requires_grad], lr=learning_rate, weight_decay=weight_decay
    )
    warmup = max(1, total // 10)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimiser, lambda s: min((s + 1) / warmup, max(0.0, (total - s) / max(1, total - warmup)))
    )
    losses: list[tuple[int, float]] = []
    step = 0
    for epoch in range(1, epochs + 1):
        model.train()
        for batch in batches():
            loss = loss_of(batch)
            if not math.isfinite(loss.item()):
                raise ShowcaseError(
                    "Training diverged at step {step} (the loss is {loss}); try a smaller learning rate.",
                    step=step + 1,
                    loss=loss.item(),
                )
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimiser.step()
            schedule.step()
            optimiser.zero_grad()
            step += 1
            losses.append((step, round(loss.item(), 4)))
            report = message(
                "Epoch {epoch}/{epochs}, step {step}/{total}, loss {loss:.3f}",
                epoch=epoch,
                epochs=epochs,
                step=step,
                total=total,
                loss=losses[-1][1],
            )
            yield Progress(step, total, report, losses)
        model.eval()
        yield Progress(step, total, message("Epoch {epoch} done", epoch=epoch), losses, epoch_done=epoch)


class RunStore:
    """Trained models saved for download, each in a fresh folder; the oldest are deleted past `kept`,
    the rest when the process ends (a download link does not outlive the server)."""

    def __init__(self, kept: int = 3) -> None:
        self.kept = kept
        self._folders: deque[Path] = deque()
        self._lock = threading.Lock()
        atexit.register(self.remove_all)

    def remove_all(self) -> None:
        with self._lock:
            while self._folders:
                shutil.rmtree(self._folders.popleft(), ignore_errors=True)

    def save_zip(self, save: Callable[[Path], None], name: str) -> Path:
        """save(folder) writes the model's files; returns them zipped as <name>.zip."""

        def archive(path: Path) -> None:
            save(path.parent / "model")
            shutil.make_archive(str(path.parent / name), "zip", path.parent / "model")

        return self.save_file(archive, f"{name}.zip")

    def save_file(self, save: Callable[[Path], None], name: str) -> Path:
        """save(path) writes the model as one file; returns its path, named `name`."""
        folder = Path(tempfile.mkdtemp(prefix="showcase-model-"))
        save(folder / name)
        with self._lock:
            self._folders.append(folder)
            while len(self._folders) > self.kept:
                shutil.rmtree(self._folders.popleft(), ignore_errors=True)
        return folder / name
