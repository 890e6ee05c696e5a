"""Where and how models run: the device and the precision."""

from __future__ import annotations

import os
from pathlib import Path

import torch

from models.runtime import chosen


def pick_device() -> torch.device:
    """CUDA when present, else CPU; SHOWCASE_DEVICE=cpu|cuda (or the runtime ledger's choice) forces one."""
    wanted = chosen().device
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


def place(module: torch.nn.Module, channels_last: bool = False) -> tuple[torch.nn.Module, torch.device, torch.dtype]:
    """A network in eval mode on the best device and precision, once, at load time."""
    device = pick_device()
    dtype = inference_dtype(device)
    layout = {"memory_format": torch.channels_last} if channels_last else {}
    return module.eval().to(device=device, dtype=dtype, **layout), device, dtype
