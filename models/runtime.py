"""The accelerated CPU runtime: a network's forward pass compiled by OpenVINO on first use, kept on disk.

On the CPU every family's networks run through OpenVINO unless SHOWCASE_RUNTIME=torch; on CUDA they
stay PyTorch in half precision. A network that fails to convert keeps running in PyTorch, with a
log line, never an error for the visitor. Converted networks are written to SHOWCASE_CACHE (default
~/.cache/model-showcase), keyed by model id, part, a fingerprint of the weights and the OpenVINO
version, so a restart reads them back instead of converting again.

SHOWCASE_PRECISION=int8 quantizes them with NNCF after conversion: weights and activations to INT8,
calibrated on the family's calibration set (the photos and sentences the project ships), or, for a
network without one (GPT-2's decode step), its weights alone. The runtime ledger builds copies of a
model under another Choice (choosing()), which a model captures when it is built.
"""

from __future__ import annotations

import ctypes
import functools
import gc
import hashlib
import importlib.util
import logging
import os
import re
import threading
import time
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path

import torch

log = logging.getLogger("showcase")

OPENVINO = "OpenVINO"
PYTORCH = "PyTorch"
# OpenVINO's element types, named as the info line names precisions.
PRECISION_NAMES = {"f32": "fp32", "bf16": "bf16", "f16": "fp16"}
# What SHOWCASE_PRECISION may ask for ("": the precision OpenVINO picks on this CPU).
PRECISIONS = ("", "fp32", "bf16", "int8")


@dataclass(frozen=True)
class Choice:
    """Where and how a model's networks run: the device ("": CUDA when present), the runtime on the
    CPU ("openvino" or "torch") and the precision (one of PRECISIONS)."""

    device: str = ""
    runtime: str = "openvino"
    precision: str = ""


_chosen: ContextVar[Choice | None] = ContextVar("showcase_runtime_choice", default=None)


def chosen() -> Choice:
    """The choice in force: one set by choosing(), else SHOWCASE_DEVICE, SHOWCASE_RUNTIME and SHOWCASE_PRECISION."""
    made = _chosen.get()
    if made is not None:
        return made
    name = os.environ.get("SHOWCASE_RUNTIME", "openvino").strip().lower()
    if name not in ("openvino", "torch"):
        log.warning("SHOWCASE_RUNTIME=%s is neither 'openvino' nor 'torch'; using openvino", name)
        name = "openvino"
    precision = os.environ.get("SHOWCASE_PRECISION", "").strip().lower()
    if precision not in PRECISIONS:
        log.warning("SHOWCASE_PRECISION=%s is none of fp32, bf16, int8; using the CPU's default", precision)
        precision = ""
    return Choice(os.environ.get("SHOWCASE_DEVICE", ""), name, precision)


@contextmanager
def choosing(choice: Choice) -> Iterator[None]:
    """Models built inside run as `choice` says (the runtime ledger's copies), whatever the settings."""
    token = _chosen.set(choice)
    try:
        yield
    finally:
        _chosen.reset(token)


def wanted(device: torch.device, choice: Choice | None = None) -> bool:
    """Whether networks on this device should run through OpenVINO."""
    choice = choice or chosen()
    return device.type == "cpu" and choice.runtime != "torch" and importlib.util.find_spec("openvino") is not None


def cache_dir() -> Path:
    return Path(os.environ.get("SHOWCASE_CACHE") or Path.home() / ".cache" / "model-showcase")


def cache_folder(model_id: str) -> Path:
    """The model's folder in the cache (an id like 'openai/clip-vit-base-patch32' made one name)."""
    return cache_dir() / re.sub(r"[^A-Za-z0-9._-]+", "--", model_id)


def fingerprint(network: torch.nn.Module) -> str:
    """A short hash of the weights: a fine-tuned or random-weight copy never reads another's conversion."""
    digest = hashlib.sha1(usedforsecurity=False)
    for name, tensor in network.state_dict().items():
        digest.update(f"{name}{tuple(tensor.shape)}{tensor.dtype}".encode())
        digest.update(tensor.detach().cpu().contiguous().reshape(-1).view(torch.uint8).numpy())
    return digest.hexdigest()[:16]


def file_fingerprint(path: str | Path) -> str:
    digest = hashlib.sha1(usedforsecurity=False)
    with open(path, "rb") as weights:
        for block in iter(lambda: weights.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()[:16]


def openvino_version() -> str:
    import openvino

    return openvino.__version__.split("-")[0]


def full_precision(choice: Choice | None = None) -> bool:
    """SHOWCASE_PRECISION=fp32: weights kept in fp32 on disk, and fp32 arithmetic on CPUs where
    OpenVINO would pick bf16 (answers as PyTorch's, for more memory and some speed)."""
    return (choice or chosen()).precision == "fp32"


def compile_options(fp32_arithmetic: bool = False, choice: Choice | None = None) -> dict[str, str]:
    # LATENCY: one request at a time uses every core.
    options = {"PERFORMANCE_HINT": "LATENCY"}
    if fp32_arithmetic or full_precision(choice):
        options["INFERENCE_PRECISION_HINT"] = "f32"
    elif (choice or chosen()).precision == "bf16":
        options["INFERENCE_PRECISION_HINT"] = "bf16"
    return options


def default_precision() -> str:
    """The precision OpenVINO computes in on this CPU when nothing else is asked (bf16 where it is fast)."""
    return PRECISION_NAMES.get(_core().get_property("CPU", "INFERENCE_PRECISION_HINT").to_string(), "fp32")


def computes_bf16() -> bool:
    """Whether this CPU computes bf16 natively (AVX-512 bf16 or AMX); OpenVINO refuses it elsewhere."""
    return "BF16" in _core().get_property("CPU", "OPTIMIZATION_CAPABILITIES")


def nncf_version() -> str:
    import nncf

    return nncf.__version__


@dataclass(frozen=True)
class Calibration:
    """What INT8 quantization of a network calibrates on: a few of its inputs, made on demand (the
    family's preprocessing of the project's example photos or sentences), and whether it is a
    transformer (NNCF then keeps the operations that lose most in INT8 in floating point)."""

    samples: Callable[[], list[dict[str, torch.Tensor]]]
    transformer: bool = False


def samples_key(samples: list[dict[str, torch.Tensor]]) -> str:
    """A short hash of a calibration set: a new example set never reads another's quantization."""
    digest = hashlib.sha1(usedforsecurity=False)
    for sample in samples:
        for name, tensor in sorted(sample.items()):
            digest.update(name.encode())
            digest.update(tensor.detach().cpu().contiguous().reshape(-1).view(torch.uint8).numpy())
    return digest.hexdigest()[:12]


# In a transformer, the projections that write into the residual stream (attention's output and the
# feed-forward's second layer, by transformers' names for BERT and RoBERTa, DistilBERT, CLIP and ViT)
# take the activations INT8 loses most on; they stay in floating point (bench/RESULTS.md, section 18).
RESIDUAL_WRITERS = (r".*\.output\.dense/.*", r".*\.out_lin/.*", r".*\.lin2/.*", r".*\.out_proj/.*", r".*\.fc2/.*")


def quantized(model, samples: list[dict[str, torch.Tensor]] | None, transformer: bool = False, **options):
    """An OpenVINO model quantized by NNCF: weights and activations calibrated on the samples, or,
    with none, its weights alone (data-free)."""
    import nncf

    if samples is None:
        return nncf.compress_weights(model, mode=nncf.CompressWeightsMode.INT8_ASYM)
    inputs = [{name: tensor.numpy() for name, tensor in sample.items()} for sample in samples]
    if transformer:
        options = {
            "model_type": nncf.ModelType.TRANSFORMER,
            "ignored_scope": nncf.IgnoredScope(patterns=list(RESIDUAL_WRITERS), validate=False),
            **options,
        }
    return nncf.quantize(model, nncf.Dataset(inputs), subset_size=len(inputs), **options)


@functools.cache
def _libc():
    return ctypes.CDLL("libc.so.6")


def return_freed_memory() -> None:
    """Hands the memory of dropped PyTorch weights back to the system: glibc otherwise keeps it for
    the process, and a server that moved every model to OpenVINO would hold both."""
    gc.collect()
    try:
        _libc().malloc_trim(0)
    except (OSError, AttributeError):  # not glibc (macOS, musl): nothing to trim
        pass


@functools.cache
def _core():
    import openvino

    core = openvino.Core()
    # OpenVINO's own cache of compiled networks: a restart compiles from the IR in a fraction of the time.
    core.set_property({"CACHE_DIR": str(cache_dir() / "openvino-compiled")})
    return core


def convert_once(path: Path, convert: Callable[[], None]) -> float | None:
    """Runs convert() (which writes path) unless path exists; the seconds it took, or None if cached."""
    if path.exists():
        return None
    path.parent.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    convert()
    return time.perf_counter() - started


class Runner:
    """One network's forward pass: PyTorch until its first call on the CPU compiles it with OpenVINO.

    Called with the network's keyword inputs, it returns its first output as a float tensor. Once
    compiled it drops its reference to the PyTorch network: a family that keeps no other reference
    frees PyTorch's copy of the weights. With `fp32_arithmetic` it computes in fp32 even on a CPU
    where OpenVINO would pick bf16. It runs as the Choice in force when it was made says; in INT8,
    calibrated on `calibration`, or with its weights alone compressed if there is none.
    """

    def __init__(
        self,
        network: torch.nn.Module,
        model_id: str,
        part: str,
        device: torch.device,
        dtype: torch.dtype,
        accelerate: bool = True,
        weights_fingerprint: str | None = None,
        fp32_arithmetic: bool = False,
        calibration: Calibration | None = None,
    ) -> None:
        self.network: torch.nn.Module | None = network
        self.model_id = model_id
        self.part = part
        self.device = device
        self.dtype = dtype
        self.choice = chosen()
        self.pending = accelerate and wanted(device, self.choice)
        self.compiled = None
        self.request = None
        self.input_names: list[str] = []
        self.converted_s: float | None = None  # this process converted it, in so many seconds
        self.stored = "fp32"  # the precision of the converted weights: fp32, fp16, int8 or int8 weights
        self.lock = threading.Lock()
        self.fp32_arithmetic = fp32_arithmetic
        self.calibration = calibration
        self.calibration_samples: list[dict[str, torch.Tensor]] | None = None  # made for INT8 only
        self._fingerprint = weights_fingerprint  # given when several runners share one network's weights

    @property
    def fingerprint(self) -> str:
        """The weights' fingerprint, computed once (the network may be dropped after)."""
        if self._fingerprint is None:
            self._fingerprint = fingerprint(self.network)
        return self._fingerprint

    @property
    def runtime(self) -> str:
        return OPENVINO if self.compiled is not None else PYTORCH

    @property
    def precision(self) -> str:
        if self.compiled is not None:
            compute = PRECISION_NAMES.get(self.compiled.get_property("INFERENCE_PRECISION_HINT").to_string(), "fp32")
            if self.stored.startswith("int8"):
                return self.stored if self.stored == "int8" else f"{compute}, {self.stored}"
            return f"{compute}, fp16 weights" if compute == "fp32" and self.stored == "fp16" else compute
        return "fp16" if self.dtype == torch.float16 else "fp32"

    def __call__(self, **inputs: torch.Tensor) -> torch.Tensor:
        return self.outputs(**inputs)[0]

    def outputs(self, **inputs: torch.Tensor) -> tuple[torch.Tensor, ...]:
        """Every output of the network, as float tensors (integer ones as they are)."""
        if self.pending:
            self.compile(inputs)
        if self.compiled is not None:  # set before the PyTorch network is dropped, never after
            with self.lock:  # one inference request per network; a request uses every core anyway
                output = self.request.infer({name: inputs[name].numpy() for name in self.input_names})
            return tuple(torch.from_numpy(array) for array in output.to_tuple())
        with torch.inference_mode():
            moved = {
                name: tensor.to(self.device, dtype=self.dtype if tensor.is_floating_point() else None)
                for name, tensor in inputs.items()
            }
            output = self.network(**moved)
        parts = (
            (output,)
            if isinstance(output, torch.Tensor)
            else (output.to_tuple() if hasattr(output, "to_tuple") else tuple(output))
        )  # transformers' outputs are dicts
        return tuple(part.float() if part.is_floating_point() else part for part in parts)

    def converted_path(self) -> Path:
        """Where the converted network is kept, named by what makes it differ: the weights, how they
        are stored, and for INT8 the calibration set and NNCF's version."""
        name = f"{self.part}-{self.fingerprint}"
        if self.choice.precision == "int8" and self.calibration is not None:
            self.stored = "int8"
            self.calibration_samples = self.calibration.samples()
            name += f"-int8-{samples_key(self.calibration_samples)}-nncf{nncf_version()}"
        elif self.choice.precision == "int8":
            self.stored = "int8 weights"
            name += f"-int8w-nncf{nncf_version()}"
        else:
            # fp16 weights on disk (unless full_precision()): OpenVINO widens them once at compile
            # time and then holds much less memory than with fp32 weights (bench/RESULTS.md, section 8).
            self.stored = "fp32" if full_precision(self.choice) else "fp16"
            name += f"-{self.stored}"
        return cache_folder(self.model_id) / f"{name}-ov{openvino_version()}.xml"

    def compile(self, example: dict[str, torch.Tensor]) -> None:
        """Converts (or reads back) and compiles the network; on failure it stays PyTorch."""
        with self.lock:
            if not self.pending:
                return
            try:
                import openvino

                path = self.converted_path()

                def convert() -> None:
                    with warnings.catch_warnings():  # tracing warns about every shape-dependent branch
                        warnings.simplefilter("ignore")
                        converted = openvino.convert_model(self.network, example_input=dict(example))
                        if self.stored.startswith("int8"):
                            transformer = self.calibration is not None and self.calibration.transformer
                            # What the network takes of the tokenizer's output (DistilBERT: no token types).
                            taken = {name for port in converted.inputs for name in port.get_names()}
                            samples = self.calibration_samples and [
                                {name: tensor for name, tensor in sample.items() if name in taken}
                                for sample in self.calibration_samples
                            ]
                            converted = quantized(converted, samples, transformer)
                    # A part file, then rename: a crash never leaves a half-written network for a restart.
                    partial = path.with_suffix(".partial.xml")
                    openvino.save_model(converted, partial, compress_to_fp16=self.stored == "fp16")
                    partial.with_suffix(".bin").replace(path.with_suffix(".bin"))
                    partial.replace(path)

                with torch.inference_mode():
                    self.converted_s = convert_once(path, convert)
                self.compiled = _core().compile_model(path, "CPU", compile_options(self.fp32_arithmetic, self.choice))
                self.request = self.compiled.create_infer_request()
                # A port has several names ('34', 'input.1', 'pixel_values'); ours is the one the example used.
                self.input_names = [
                    next(name for name in port.get_names() if name in example) for port in self.compiled.inputs
                ]
                self.network = None
                return_freed_memory()
                log.info(
                    "%s %s: OpenVINO %s%s",
                    self.model_id,
                    self.part,
                    self.precision,
                    f", converted in {self.converted_s:.1f} s" if self.converted_s else ", read from the cache",
                )
            except Exception as error:  # any failure: the PyTorch network still answers
                self.compiled = None
                log.warning(
                    "%s %s: OpenVINO conversion failed (%s: %s); running in PyTorch",
                    self.model_id,
                    self.part,
                    type(error).__name__,
                    error,
                )
            finally:
                self.pending = False  # callers waiting on the lock now use the result, either way
