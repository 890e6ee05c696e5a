"""Detections drawn on the photo, with supervision's annotators: masks, boxes and labels in the
visitor's language, sized to the photo. ASCII labels are drawn by OpenCV; others, which OpenCV's
fonts lack, by Pillow in a CJK font found offline (toolkit.fonts), which is slower (bench/RESULTS.md,
section 12)."""

from __future__ import annotations

import functools

import cv2
import numpy as np
import supervision as sv
from PIL import Image

from models.yolo import Detections
from toolkit import fonts

MASK_OPACITY = 0.45


@functools.cache
def _labeller(font_size: int, colours: tuple | None) -> sv.RichLabelAnnotator:
    # RichLabelAnnotator draws with Pillow in a font of our choosing, so every script shows.
    return sv.RichLabelAnnotator(
        font_path=str(fonts.label_font()),
        font_size=font_size,
        text_padding=max(2, font_size // 4),
        smart_position=True,
        **_palette(colours),
    )


def _palette(colours: tuple | None) -> dict:
    """Label colours by the object's place in the list (RGB), dark text on them; default: by class."""
    if colours is None:
        return {}
    return {
        "color": sv.ColorPalette([sv.Color(*colour) for colour in colours]),
        "color_lookup": sv.ColorLookup.INDEX,
        "text_color": sv.Color.BLACK,
    }


def labelled(canvas: np.ndarray, objects: sv.Detections, labels: list[str], colours: tuple | None = None) -> np.ndarray:
    """The BGR canvas with each object's label over its box, returned as RGB; `colours`: each label's
    (RGB), else its class's."""
    width, height = canvas.shape[1], canvas.shape[0]
    if all(label.isascii() for label in labels):
        scale = sv.calculate_optimal_text_scale((width, height))
        thickness = sv.calculate_optimal_line_thickness((width, height))
        writer = sv.LabelAnnotator(text_scale=scale, text_thickness=thickness, smart_position=True, **_palette(colours))
        return cv2.cvtColor(writer.annotate(canvas, objects, labels), cv2.COLOR_BGR2RGB)
    # Pillow draws on RGB: converted once here, not by supervision around the call (a copy each way).
    photo = Image.fromarray(cv2.cvtColor(canvas, cv2.COLOR_BGR2RGB))
    font_size = max(round((width + height) / 2 * 0.025), 12)
    return np.array(_labeller(font_size, colours).annotate(photo, objects, labels))


def draw(
    image: np.ndarray, found: Detections, names: list[str], masks: bool = True, ids: list[int | None] | None = None
) -> np.ndarray:
    """The RGB photo with each object's mask (segmenters'), box, and class name and confidence, in
    the colour of its class; `names` are the class names to write, by class id; `ids`, each
    object's track id (None: not followed yet), written before its name."""
    height, width = image.shape[:2]
    objects = sv.Detections(
        xyxy=np.asarray(found.boxes, dtype=np.float32).reshape(-1, 4),
        confidence=np.asarray(found.confidences, dtype=np.float32),
        class_id=np.asarray(found.class_ids, dtype=int),
    )
    canvas = cv2.cvtColor(image, cv2.COLOR_RGB2BGR)  # supervision draws in OpenCV's channel order
    if masks and found.outlines is not None and len(objects):
        objects.mask = np.stack([outline_mask(outline, (width, height)) for outline in found.outlines])
        canvas = sv.MaskAnnotator(opacity=MASK_OPACITY).annotate(canvas, objects)
    thickness = sv.calculate_optimal_line_thickness((width, height))
    canvas = sv.BoxAnnotator(thickness=thickness).annotate(canvas, objects)
    labels = [f"{names[c]} {p:.2f}" for c, p in zip(found.class_ids, found.confidences)]
    if ids is not None:
        labels = [label if i is None else f"#{i} {label}" for i, label in zip(ids, labels)]
    return labelled(canvas, objects, labels)


def outline_mask(outline: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """An object's outline filled: True inside, the size (width, height) of the photo."""
    if len(outline) < 3:
        return np.zeros(size[::-1], dtype=bool)
    return sv.polygon_to_mask(np.round(outline).astype(np.int32), size).astype(bool)
