"""Checks on what visitors send: images, text, label lists. Each returns something a model can
take, or raises a ShowcaseError that says what is wrong."""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from models.errors import ShowcaseError

# Images above this many pixels are refused before they are decoded (a 12000x12000 photo is 144 MP).
MAX_IMAGE_PIXELS = 64_000_000
# Larger images are shrunk first: every model here works at <= 1024 px, and resizing a 40 MP
# array inside each model's own preprocessing costs more than doing it once.
MAX_IMAGE_SIDE = 4096
MAX_LABELS = 2000
# Control characters other than tab and newline are dropped: they only confuse tokenizers' output.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
LABEL_SEPARATORS = re.compile(r"[,，、;；\n]")
CJK = re.compile(r"[\u3400-\u9fff]")


# ---------------------------------------------------------------- text


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


def parse_labels(text: str | None) -> list[str]:
    """Comma-, semicolon- or line-separated labels (Chinese punctuation too), trimmed, deduplicated."""
    labels: list[str] = []
    seen: set[str] = set()
    for piece in LABEL_SEPARATORS.split(text or ""):
        label = " ".join(piece.split())
        if label and label.casefold() not in seen:
            seen.add(label.casefold())
            labels.append(label)
    if not labels:
        raise ShowcaseError("Enter at least one label, separated by commas (for example: cat, dog, car).")
    if len(labels) > MAX_LABELS:
        raise ShowcaseError(f"{len(labels)} labels is too many; the limit is {MAX_LABELS}.")
    return labels


def has_chinese(texts: list[str]) -> bool:
    return any(CJK.search(text) for text in texts)


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
