"""Plumbing every task shares: device choice, the model cache, image and text checks, errors, timing,
batching.

Task modules import this; nothing here knows about a particular model.
"""

from __future__ import annotations

import functools
import html
import inspect
import io
import logging
import os
import re
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import gradio as gr
import numpy as np
import torch
import yaml
from PIL import Image, ImageOps, UnidentifiedImageError

log = logging.getLogger("showcase")

ROOT = Path(__file__).resolve().parent.parent
SPACES_FILE = ROOT / "spaces.yaml"

# Images above this many pixels are refused before they are decoded (a 12000x12000 photo is 144 MP).
MAX_IMAGE_PIXELS = 64_000_000
# Larger images are shrunk first: every model here works at <= 1024 px, and resizing a 40 MP
# array inside each model's own preprocessing costs more than doing it once.
MAX_IMAGE_SIDE = 4096


class ShowcaseError(Exception):
    """A problem the user can act on; its message is shown in the page as it is."""


class ModelUnavailable(ShowcaseError):
    """A model's weights could not be loaded (no network, missing file)."""


# ---------------------------------------------------------------- device


def pick_device() -> torch.device:
    """CUDA when present, else CPU; SHOWCASE_DEVICE=cpu|cuda forces one."""
    wanted = os.environ.get("SHOWCASE_DEVICE")
    if wanted:
        return torch.device(wanted)
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def inference_dtype(device: torch.device) -> torch.dtype:
    # Half precision halves memory and roughly doubles speed on GPUs; CPUs have no fast fp16 path.
    return torch.float16 if device.type == "cuda" else torch.float32


# ---------------------------------------------------------------- model cache


class ModelCache:
    """Loads each model once per process and keeps it.

    A lock per key means two first requests for the same model wait for one load, while loads of
    different models proceed in parallel. Failed loads are not cached, so a later request retries.
    """

    def __init__(self) -> None:
        self._models: dict[str, Any] = {}
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()

    def get(self, key: str, loader: Callable[[], Any]) -> Any:
        if key in self._models:
            return self._models[key]
        with self._guard:
            lock = self._locks.setdefault(key, threading.Lock())
        with lock:
            if key not in self._models:
                started = time.perf_counter()
                self._models[key] = loader()
                log.info("loaded %s in %.1f s", key, time.perf_counter() - started)
            return self._models[key]

    def put(self, key: str, model: Any) -> None:
        """Installs an already built model (tests use it for small random-weight models)."""
        self._models[key] = model

    def __contains__(self, key: str) -> bool:
        return key in self._models

    def clear(self) -> None:
        self._models.clear()


MODELS = ModelCache()


# ---------------------------------------------------------------- configuration


@functools.lru_cache(maxsize=1)
def spaces_config() -> dict:
    with open(SPACES_FILE, encoding="utf-8") as f:
        return yaml.safe_load(f)


def model_choices(task: str) -> list[str]:
    """The models spaces.yaml names for a task; the first is the default."""
    return list(spaces_config()["tasks"][task]["models"])


def local_model_file(name: str) -> Path | None:
    """A model file named in spaces.yaml, if SHOWCASE_MODEL_DIR holds it."""
    folder = os.environ.get("SHOWCASE_MODEL_DIR")
    if folder and (Path(folder) / name).is_file():
        return Path(folder) / name
    return None


def unavailable(model_id: str, error: BaseException, how_to_fix: str) -> ModelUnavailable:
    reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    return ModelUnavailable(
        f"The model '{model_id}' could not be loaded ({reason[:200]}). {how_to_fix} "
        "The other tabs keep working."
    )


HUB_FIX = (
    "It is downloaded from the Hugging Face hub on first use: connect to the internet, or put it in "
    "the cache that HF_HOME points at (`hf download {model_id}`)."
)


# ---------------------------------------------------------------- Hugging Face models


@dataclass
class HubModel:
    """A transformers model and its tokenizer, on the best device, ready for inference."""

    model: torch.nn.Module
    tokenizer: Any
    model_id: str
    device: torch.device
    dtype: torch.dtype


def prepare_hub_model(model: torch.nn.Module, tokenizer: Any, model_id: str) -> HubModel:
    device = pick_device()
    dtype = inference_dtype(device)
    return HubModel(model.eval().to(device=device, dtype=dtype), tokenizer, model_id, device, dtype)


def from_hub(model_id: str, *loaders: Callable[[str], Any]) -> list[Any]:
    """Each loader's from_pretrained result for model_id, or ModelUnavailable saying how to get it."""
    try:
        return [load(model_id) for load in loaders]
    except (OSError, ValueError) as error:
        raise unavailable(model_id, error, HUB_FIX.format(model_id=model_id)) from error


def hub_key(model_class: type, model_id: str) -> str:
    return f"{model_class.__name__}:{model_id}"


def get_hub_model(model_class: type, model_id: str, **model_kwargs) -> HubModel:
    """A cached transformers model: tabs asking for the same class and id share one copy."""

    def load() -> HubModel:
        from transformers import AutoTokenizer

        model, tokenizer = from_hub(
            model_id, lambda i: model_class.from_pretrained(i, **model_kwargs), AutoTokenizer.from_pretrained
        )
        return prepare_hub_model(model, tokenizer, model_id)

    return MODELS.get(hub_key(model_class, model_id), load)


def check_choice(model_id: str, choices: list[str], what: str) -> None:
    if model_id not in choices:
        raise ShowcaseError(f"Unknown {what} '{model_id}'; choose one of {choices}.")


# ---------------------------------------------------------------- text

_tokenizer_locks: dict[int, threading.Lock] = {}
_tokenizer_locks_guard = threading.Lock()


def encode(tokenizer: Any, *args, **kwargs):
    """tokenizer(*args, **kwargs), one call at a time per tokenizer.

    A fast tokenizer keeps padding and truncation settings as state that each call sets; two tabs
    sharing one (similarity pads, attention truncates) corrupt each other's batches when calls
    overlap: a 16-client load run hit it, 735 of 20,000 concurrent calls failed without this lock.
    """
    with _tokenizer_locks_guard:
        lock = _tokenizer_locks.setdefault(id(tokenizer), threading.Lock())
    with lock:
        return tokenizer(*args, **kwargs)


# Control characters other than tab and newline are dropped: they only confuse tokenizers' output.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def clean_text(text: str | None, what: str = "some text", max_chars: int = 100_000) -> str:
    """User text without control characters, or a ShowcaseError if nothing usable is left."""
    text = CONTROL_CHARACTERS.sub("", text or "")
    if not text.strip():
        raise ShowcaseError(f"Please enter {what} first (or click one of the examples).")
    if len(text) > max_chars:
        raise ShowcaseError(f"The text is {len(text):,} characters long; the limit here is {max_chars:,}.")
    return text


def text_lines(text: str | None, what: str, max_lines: int) -> list[str]:
    """Non-empty lines of a text box, each trimmed."""
    lines = [line.strip() for line in clean_text(text, what).splitlines() if line.strip()]
    if len(lines) > max_lines:
        raise ShowcaseError(f"{len(lines):,} lines is too many; the limit here is {max_lines:,}.")
    return lines


# ---------------------------------------------------------------- images


def _to_8bit(image: Image.Image) -> Image.Image:
    """16-bit and float greyscale images scaled to 0-255 (PIL's convert would clip them)."""
    array = np.asarray(image, dtype=np.float64)
    low, high = float(array.min()), float(array.max())
    scaled = (array - low) / (high - low) * 255 if high > low else np.zeros_like(array)
    return Image.fromarray(scaled.astype(np.uint8), mode="L")


EXIF_ORIENTATION = 0x0112


def to_rgb(image: Image.Image) -> Image.Image:
    """Any PIL mode to 8-bit RGB: transparency on white, CMYK and palettes converted, phone photos
    turned upright. An upright RGB image comes back as it is: copying a photo costs more than decoding it."""
    if image.getexif().get(EXIF_ORIENTATION, 1) != 1:
        image = ImageOps.exif_transpose(image)
    if image.mode == "RGB":
        return image
    if image.mode in ("I", "I;16", "I;16B", "I;16L", "F"):
        image = _to_8bit(image)
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        background = Image.new("RGB", rgba.size, (255, 255, 255))
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    return image.convert("RGB")


def _open(source, name: str) -> Image.Image:
    try:
        return Image.open(source)
    except Image.DecompressionBombError as error:
        raise ShowcaseError(f"The image is too large to open safely ({error}). Please resize it first.")
    except UnidentifiedImageError:
        raise ShowcaseError(f"{name} is not an image this app can read (try JPEG or PNG).")
    except OSError as error:
        raise ShowcaseError(f"{name} could not be read: {error}.")


def open_image(value: Any) -> Image.Image:
    """A user's image (file path, bytes, PIL image or array) as RGB PIL, or a ShowcaseError saying why not."""
    if value is None or (isinstance(value, str) and not value.strip()):
        raise ShowcaseError("Please upload an image first (or click one of the examples).")
    if isinstance(value, np.ndarray):
        if value.ndim not in (2, 3) or value.size == 0:
            raise ShowcaseError(f"Expected an image array, got shape {value.shape}.")
        value = Image.fromarray(value)
    if isinstance(value, (str, Path)):
        path = Path(value)
        if not path.is_file():
            raise ShowcaseError(f"The image file '{path.name}' was not found.")
        image = _open(path, f"'{path.name}'")
    elif isinstance(value, bytes):
        image = _open(io.BytesIO(value), "The file")
    elif isinstance(value, Image.Image):
        image = value
    else:
        raise ShowcaseError(f"Expected an image, got {type(value).__name__}.")

    width, height = image.size
    if width * height > MAX_IMAGE_PIXELS:
        raise ShowcaseError(
            f"The image is {width}x{height} ({width * height / 1e6:.0f} megapixels); the limit is "
            f"{MAX_IMAGE_PIXELS / 1e6:.0f} megapixels. Please resize it first."
        )
    try:
        image.load()
        rgb = to_rgb(image)
    except (OSError, ValueError, SyntaxError) as error:
        raise ShowcaseError(f"The image file is damaged or truncated and could not be decoded ({error}).")
    if max(rgb.size) > MAX_IMAGE_SIDE:
        rgb.thumbnail((MAX_IMAGE_SIDE, MAX_IMAGE_SIDE), Image.Resampling.BILINEAR)
    return rgb


# ---------------------------------------------------------------- timing and reporting


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


def describe_run(model_id: str, device: torch.device, ms: float | None, note: str = "") -> str:
    """The line under each result: which model answered, where, and how long it took."""
    precision = "fp16" if inference_dtype(device) == torch.float16 else "fp32"
    text = f"**{model_id}** on `{device.type}` ({precision})" + (f" · {ms:.0f} ms" if ms is not None else "")
    return f"{text}\n\n{note}" if note else text


# ---------------------------------------------------------------- Gradio glue


def user_errors(fn: Callable) -> Callable:
    """Wraps a UI handler so that failures show as a message in the page, never a traceback.

    ShowcaseError messages are shown as they are; anything else is logged with its traceback and
    shown as a short internal error, and the server keeps serving. Gradio renders the message as
    HTML, so it is escaped: "<urlopen error>" must show, and a file name must not inject markup.
    """

    def translate(error: BaseException) -> BaseException:
        if isinstance(error, gr.Error):
            return error
        if isinstance(error, ShowcaseError):
            return gr.Error(html.escape(str(error), quote=False), print_exception=False)
        if isinstance(error, torch.cuda.OutOfMemoryError):
            torch.cuda.empty_cache()
            return gr.Error("The GPU ran out of memory on this input; try a smaller one.")
        log.exception("unexpected error in %s", fn.__name__)
        detail = html.escape(f"{type(error).__name__}: {error}", quote=False)
        return gr.Error(f"Something went wrong inside the app ({detail}).")

    if inspect.isgeneratorfunction(fn):

        @functools.wraps(fn)
        def stream(*args, **kwargs):
            try:
                yield from fn(*args, **kwargs)
            except Exception as error:
                raise translate(error) from error

        return stream

    @functools.wraps(fn)
    def call(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except Exception as error:
            raise translate(error) from error

    return call


class ImageInput(gr.Image):
    """An image upload handed to the task as a file path, unopened.

    gr.Image opens the file itself before the handler runs, so a corrupt or non-image upload
    fails there with a hidden error; here open_image gets the file and says what is wrong.
    Gradio builds the page's props from __init__'s signature, so this class keeps gr.Image's.
    """

    is_template = True  # rendered by the frontend as a plain gr.Image

    def preprocess(self, payload):
        if payload is not None and payload.path and not (payload.url or "").startswith("data:"):
            return str(payload.path)
        return super().preprocess(payload)


def image_input(label: str = "Photo") -> ImageInput:
    return ImageInput(type="filepath", image_mode=None, label=label)


# Requests Gradio's queue may put in one batch (batch=True endpoints).
MAX_BATCH = 8


def batch_endpoint(prepare: Callable[..., tuple[Any, Any]], predict: Callable[[Any, list], list[tuple]],
                   failed: Callable[[str], tuple]) -> Callable:
    """A Gradio batch handler (batch=True) built from per-request and per-group steps.

    prepare(*one request's inputs) checks the input and returns (group key, prepared input); requests
    with the same key (same model and settings) go through predict(key, inputs) together, in one
    forward pass. A request whose input is bad gets failed(message) as its outputs; the rest of
    the batch is still answered, which raising gr.Error would not allow.
    """

    def handler(*columns):
        results: list[tuple | None] = [None] * len(columns[0])
        groups: dict[Any, list[tuple[int, Any]]] = {}
        for row, request in enumerate(zip(*columns)):
            try:
                key, prepared = prepare(*request)
                groups.setdefault(key, []).append((row, prepared))
            except ShowcaseError as error:
                results[row] = failed(str(error))
        for key, members in groups.items():
            try:
                outputs = predict(key, [prepared for _, prepared in members])
            except ShowcaseError as error:
                outputs = [failed(str(error))] * len(members)
            for (row, _), output in zip(members, outputs):
                results[row] = output
        return tuple(list(column) for column in zip(*results))

    return handler


def add_batched_api(handler: Callable, inputs: list, outputs: list, api_name: str) -> None:
    """Registers handler as an API-only endpoint whose concurrent requests Gradio's queue batches.

    One batch at a time: Gradio starts a batch with whatever is waiting and never waits to fill
    it, so with two running at once most batches held a single request (41 of 61 in a
    ResNet-50 run with 8 clients); one at a time, the requests that arrive during a batch form
    the next one.
    """
    gr.Button(visible=False).click(handler, inputs, outputs, api_name=api_name, batch=True,
                                   max_batch_size=MAX_BATCH, concurrency_limit=1)
