"""Where and how models run: the device, the precision, and timing that waits for the device."""

from __future__ import annotations

import os
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import torch


def pick_device() -> torch.device:
    """CUDA when present, else CPU; SHOWCASE_DEVICE=cpu|cuda forces one."""
    wanted = os.environ.get("SHOWCASE_DEVICE")
    if wanted:
        return torch.device(wanted)
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def unusable_gpu(driver_gpus: Path = Path("/proc/driver/nvidia/gpus")) -> bool:
    """An NVIDIA GPU with its driver is attached, but this PyTorch build cannot use it: most often a
    CUDA build newer than the driver (PyPI's torch is built for CUDA 13)."""
    attached = driver_gpus.is_dir() and any(driver_gpus.iterdir())
    return attached and not torch.cuda.is_available()


def on_zero_gpu() -> bool:
    """A Hugging Face ZeroGPU Space: a GPU is attached only inside functions decorated with spaces.GPU."""
    return os.environ.get("SPACES_ZERO_GPU", "").lower() in ("1", "t", "true")


def inference_dtype(device: torch.device) -> torch.dtype:
    # Half precision halves memory and roughly doubles speed on GPUs; CPUs have no fast fp16 path.
    return torch.float16 if device.type == "cuda" else torch.float32


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

    def take_conversion_seconds(self) -> float:
        """Seconds this process spent converting the model for the accelerated runtime, reported once."""
        seconds = sum(runner.converted_s or 0 for runner in self.runners())
        for runner in self.runners():
            runner.converted_s = None
        return seconds

    def warm(self) -> None:
        """Runs the model once on a dummy input, so the first visitor does not wait for compilation."""


def place(module: torch.nn.Module, channels_last: bool = False) -> tuple[torch.nn.Module, torch.device, torch.dtype]:
    """A network in eval mode on the best device and precision, once, at load time."""
    device = pick_device()
    dtype = inference_dtype(device)
    layout = {"memory_format": torch.channels_last} if channels_last else {}
    return module.eval().to(device=device, dtype=dtype, **layout), device, dtype


class Stopwatch:
    """Milliseconds of a block; on CUDA it waits for the GPU so the figure is real."""

    def __init__(self) -> None:
        self.ms = 0.0

    @contextmanager
    def measure(self, device: torch.device | None = None):
        started = time.perf_counter()
        yield self
        if device is not None and device.type == "cuda":
            torch.cuda.synchronize(device)
        self.ms += (time.perf_counter() - started) * 1000
