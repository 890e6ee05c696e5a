"""Checks on what visitors send: images, text, label lists. Each returns something a model can
take, or raises a ShowcaseError that says what is wrong."""

from __future__ import annotations

import io
import math
import re
from pathlib import Path
from typing import Any

import numpy as np
from pi_heif import register_heif_opener
from PIL import Image, ImageOps, UnidentifiedImageError

from models.errors import ShowcaseError, Text

# Images above this many pixels are refused before they are decoded (a 12000x12000 photo is 144 MP).
MAX_IMAGE_PIXELS = 64_000_000
# Larger images are shrunk first: every model here works at <= 1024 px, and resizing a 40 MP
# array inside each model's own preprocessing costs more than doing it once.
MAX_IMAGE_SIDE = 4096
# The formats photos come in (JPEG includes phones' MPO; HEIF is iPhones' HEIC, read by pi-heif).
# Pillow reads dozens more, and some hand the file on (EPS to Ghostscript) or reach decoders few
# people use: an upload never reaches those.
IMAGE_FORMATS = ("JPEG", "PNG", "WEBP", "GIF", "BMP", "TIFF", "HEIF")
register_heif_opener()
MAX_LABELS = 2000
# Control characters other than tab and newline are dropped: they only confuse tokenizers' output.
# So are lone surrogates (half of a UTF-16 pair, which JSON can carry): no tokenizer can encode them.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\ud800-\udfff]")
LABEL_SEPARATORS = re.compile(r"[,，、;；\n]")


# ---------------------------------------------------------------- numbers


def number(
    value: Any, what: str, low: float | None = None, high: float | None = None, whole: bool = False
) -> float | int:
    """A setting as a number within [low, high] (an int if whole), or a ShowcaseError naming it."""
    try:
        result = float(value)
    except (TypeError, ValueError):
        result = math.nan
    name = Text(what)  # a setting's name, translated with the message
    if math.isnan(result) or math.isinf(result) or (whole and not result.is_integer()):
        if whole:
            raise ShowcaseError("{what} must be a whole number, got {value}.", what=name, value=repr(value))
        raise ShowcaseError("{what} must be a number, got {value}.", what=name, value=repr(value))
    if low is not None and high is not None and not low <= result <= high:
        raise ShowcaseError(
            "{what} must be from {low:,g} to {high:,g}, got {value:,g}.", what=name, low=low, high=high, value=result
        )
    if low is not None and result < low:
        raise ShowcaseError("{what} must be at least {low:,g}, got {value:,g}.", what=name, low=low, value=result)
    if high is not None and result > high:
        raise ShowcaseError("{what} must be at most {high:,g}, got {value:,g}.", what=name, high=high, value=result)
    if not whole:
        return result
    return value if isinstance(value, int) else int(result)  # an int stays exact; floats hold 53 bits


# ---------------------------------------------------------------- text


def clean_text(text: str | None, what: str = "some text", max_chars: int = 100_000) -> str:
    """User text without control characters, or a ShowcaseError if nothing usable is left."""
    text = CONTROL_CHARACTERS.sub("", text or "")
    if not text.strip():
        raise ShowcaseError("Please enter {what} first (or click one of the examples).", what=Text(what))
    if len(text) > max_chars:
        raise ShowcaseError(
            "The text is {length:,} characters long; the limit here is {limit:,}.", length=len(text), limit=max_chars
        )
    return text


def text_lines(text: str | None, what: str, max_lines: int) -> list[str]:
    """Non-empty lines of a text box, each trimmed."""
    lines = [line.strip() for line in clean_text(text, what).splitlines() if line.strip()]
    if len(lines) > max_lines:
        raise ShowcaseError(
            "{count:,} lines is too many; the limit here is {limit:,}.", count=len(lines), limit=max_lines
        )
    return lines


def parse_labels(text: str | None) -> list[str]:
    """Comma-, semicolon- or line-separated labels (Chinese punctuation too), trimmed, deduplicated."""
    labels: list[str] = []
    seen: set[str] = set()
    for piece in LABEL_SEPARATORS.split(CONTROL_CHARACTERS.sub("", text or "")):
        label = " ".join(piece.split())
        if label and label.casefold() not in seen:
            seen.add(label.casefold())
            labels.append(label)
    if not labels:
        raise ShowcaseError("Enter at least one label, separated by commas (for example: cat, dog, car).")
    if len(labels) > MAX_LABELS:
        raise ShowcaseError("{count} labels is too many; the limit is {limit}.", count=len(labels), limit=MAX_LABELS)
    return labels


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
        return Image.open(source, formats=IMAGE_FORMATS)
    except Image.DecompressionBombError:  # Pillow's own limit, far above ours
        raise ShowcaseError(
            "The image has more than {limit:.0f} megapixels, the limit here. Please resize it first.",
            limit=MAX_IMAGE_PIXELS / 1e6,
        ) from None
    except UnidentifiedImageError:
        raise ShowcaseError("'{name}' is not an image this app can read (try JPEG or PNG).", name=name) from None
    except OSError as error:
        raise ShowcaseError("'{name}' could not be read: {error}.", name=name, error=error) from None


def lazy_image(value: Any, name: str = "upload") -> Image.Image:
    """A user's image (file path, bytes, PIL image or array) opened but not yet decoded: only its
    header is read, so its size is checked before any memory is spent on its pixels. Bytes are
    called `name` in messages (a path by its own name)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        raise ShowcaseError("Please upload an image first (or click one of the examples).")
    if isinstance(value, np.ndarray):
        if value.ndim not in (2, 3) or value.size == 0:
            raise ShowcaseError("Expected an image array, got shape {shape}.", shape=value.shape)
        value = Image.fromarray(value)
    if isinstance(value, (str, Path)):
        path = Path(value)
        if not path.is_file():
            raise ShowcaseError("The image file '{name}' was not found.", name=path.name)
        image = _open(path, path.name)
    elif isinstance(value, bytes):
        image = _open(io.BytesIO(value), name)
    elif isinstance(value, Image.Image):
        image = value
    else:
        raise ShowcaseError("Expected an image, got {kind}.", kind=type(value).__name__)
    width, height = image.size
    if width * height > MAX_IMAGE_PIXELS:
        raise ShowcaseError(
            "The image is {width}x{height} ({megapixels:.0f} megapixels); the limit is {limit:.0f} "
            "megapixels. Please resize it first.",
            width=width,
            height=height,
            megapixels=width * height / 1e6,
            limit=MAX_IMAGE_PIXELS / 1e6,
        )
    return image


def decoded_pixels(image: Image.Image, max_side: int = MAX_IMAGE_SIDE) -> int:
    """How many pixels open_image will decode: JPEGs decode at a reduced scale when that still
    leaves max_side (PIL's draft mode), other formats at full size."""
    if image.format == "JPEG" and max(image.size) > max_side:
        image.draft("RGB", (max_side, max_side))  # only sets the decoder's scale; nothing is decoded yet
    return image.size[0] * image.size[1]


def open_image(value: Any, max_side: int = MAX_IMAGE_SIDE, name: str = "upload") -> Image.Image:
    """A user's image as upright RGB PIL at most max_side pixels on its longer side, or a
    ShowcaseError saying why not. Large images are shrunk before their colours are converted, so
    a huge greyscale image never exists as RGB."""
    image = lazy_image(value, name)
    try:
        decoded_pixels(image, max_side)
        image.load()
        if max(image.size) > max_side:
            if image.mode not in ("RGB", "RGBA", "L", "LA"):
                image = to_rgb(image)
            image.thumbnail((max_side, max_side), Image.Resampling.BILINEAR)
        return to_rgb(image)
    except (OSError, ValueError, SyntaxError) as error:
        raise ShowcaseError(
            "The image file is damaged or truncated and could not be decoded ({error}).", error=error
        ) from None
