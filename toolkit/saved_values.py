"""What a component on screen holds, kept as JSON and files and given back (the Share button's): a
codec per kind of component. Each codec turns the value a handler receives into JSON (images into
checked files, kept by hash), and the JSON back into a value the component shows.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from typing import Any

import gradio as gr
import numpy as np
import pandas as pd
from gradio.components.native_plot import NativePlot
from PIL import Image

from storage.results import ResultStore, StoredFile

JPEG_QUALITY = 90
# Component classes by the codec their values go through; any other keeps its value as it is (JSON).
CLASSES: tuple[tuple[str, tuple[type, ...]], ...] = (
    ("image", (gr.Image,)),
    ("table", (gr.DataFrame,)),
    ("highlighted", (gr.HighlightedText,)),
    ("plot", (gr.Plot, NativePlot)),
    ("label", (gr.Label,)),
    ("markdown", (gr.Markdown,)),
    ("choice", (gr.Dropdown, gr.Radio)),
)


def kind_of(component: gr.components.Component) -> str:
    """The codec a component's value goes through: its kind in CLASSES, else "value"."""
    for kind, classes in CLASSES:
        if isinstance(component, classes):
            return kind
    return "value"


def english_label(component: gr.components.Component) -> str:
    """A component's label as written in the code (English; t() keeps it as the I18n key)."""
    label = component.label
    return str(getattr(label, "key", label) or "")


def image_bytes(value: Any, format: str) -> bytes:
    """An image as a handler has it (a path, an array, a PIL image) as file bytes: a path's as they are."""
    if isinstance(value, str):
        with open(value, "rb") as file:
            return file.read()
    image = Image.fromarray(np.asarray(value)) if not isinstance(value, Image.Image) else value
    encoded = io.BytesIO()
    if format == "jpeg":
        image.convert("RGB").save(encoded, "JPEG", quality=JPEG_QUALITY)
    else:
        image.save(encoded, "PNG")
    return encoded.getvalue()


def encoded(component: gr.components.Component, value: Any, files: list[StoredFile]) -> Any:
    """The value as JSON; files it holds are appended to `files`."""
    if value is None:
        return None
    kind = kind_of(component)
    if kind == "image":
        file = StoredFile.image(image_bytes(value, getattr(component, "format", "png")))
        files.append(file)
        return {"sha256": file.sha256, "media_type": file.media_type}
    if kind == "table":
        table = value if isinstance(value, pd.DataFrame) else pd.DataFrame(value)
        split = json.loads(table.to_json(orient="split", index=False, force_ascii=False))
        rows = [row for row in split["data"] if any(cell not in (None, "") for cell in row)]
        # An empty table reaches the handler as one row of blank cells under Gradio's own titles.
        return {"headers": [str(c) for c in split["columns"]], "data": rows} if rows else None
    if kind == "highlighted":
        return [[entry["token"], entry["class_or_confidence"]] for entry in value]
    if kind == "plot":
        return value.model_dump() if hasattr(value, "model_dump") else value
    if kind == "label" and isinstance(value, dict):
        return {str(name): float(score) for name, score in value.items()}
    return value


def decoded(component: gr.components.Component, value: Any, store: ResultStore) -> Any:
    """What the component shows for a value encoded() kept."""
    if value is None:
        return None
    kind = kind_of(component)
    if kind == "image":
        data, _ = store.file(value["sha256"])
        image = Image.open(io.BytesIO(data))
        image.load()
        return image
    if kind == "table":
        return pd.DataFrame(value["data"], columns=value["headers"])
    if kind == "highlighted":
        return [tuple(entry) for entry in value]
    if kind == "plot" and not isinstance(component, NativePlot):
        return gr.components.plot.PlotData(**value)
    return value


def is_empty(value: Any) -> bool:
    """An encoded value that shows nothing: none, no text, a table or plot with no rows."""
    return value in (None, "", [], {}) or (isinstance(value, dict) and value.get("data", True) in ([], [[]]))


@dataclass(frozen=True)
class Field:
    """One component of a shared tab, and whether it is an input (locked while a saved result shows)."""

    component: gr.components.Component
    is_input: bool

    @property
    def kind(self) -> str:
        return kind_of(self.component)
