"""Cut-outs with YOLO instance segmentation: keep the objects you name, drop the background (`/cut_out`)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

import examples
from models.device import Stopwatch
from models.errors import ShowcaseError, Text
from models.yolo import Detector
from toolkit import ui
from toolkit.i18n import t
from toolkit.inputs import open_image, parse_labels
from toolkit.messages import message, with_columns_translated
from toolkit.task import Task

TABLE_COLUMNS = ["class", "confidence", "area %"]


@dataclass
class CutOut:
    image: np.ndarray  # RGBA: the kept objects as they are, transparent elsewhere
    mask: np.ndarray  # 0 or 255 per pixel, the size of the photo
    table: pd.DataFrame  # one row per kept object
    ms: float


def kept_classes(segmenter: Detector, keep: str | None) -> set[str] | None:
    """The classes to keep (None: every object), each checked against what the model knows."""
    if not keep or not keep.strip():
        return None
    wanted = {label.lower() for label in parse_labels(keep)}
    unknown = sorted(wanted - set(segmenter.class_names))
    if unknown:
        raise ShowcaseError(
            "{unknown}: not among the {count} classes this model knows (for example {known}).",
            unknown=", ".join(unknown),
            count=len(segmenter.class_names),
            known=", ".join(segmenter.class_names[:6]),
        )
    return wanted


def cut_out(segmenter: Detector, image, keep: str | None = None, confidence: float = 0.25) -> CutOut:
    """Pure predict function: the photo with only the named objects (all if none) on a clear background."""
    import cv2  # loaded with Ultralytics

    if not segmenter.segments:
        raise ShowcaseError("{model_id} finds boxes, not outlines; choose a -seg model.", model_id=segmenter.model_id)
    if confidence is None or not 0.0 <= float(confidence) <= 1.0:
        raise ShowcaseError(
            "{name} must be between 0 and 1, got {value}.", name=Text("Confidence threshold"), value=confidence
        )
    wanted = kept_classes(segmenter, keep)
    photo = open_image(image)
    rgb = np.asarray(photo)
    watch = Stopwatch()
    with watch.measure(segmenter.device):
        (result,) = segmenter.forward([segmenter.preprocess(photo)], confidence, 0.45)
    mask = np.zeros(rgb.shape[:2], np.uint8)
    rows = []
    boxes = result.boxes.data.cpu().numpy()
    outlines = result.masks.xy if result.masks is not None else []
    for outline, (*_, score, cls) in zip(outlines, boxes):
        name = result.names[int(cls)]
        if wanted is not None and name not in wanted or len(outline) < 3:
            continue
        one = np.zeros_like(mask)
        cv2.fillPoly(one, [np.round(outline).astype(np.int32)], 255)
        mask |= one
        rows.append(
            {"class": name, "confidence": round(float(score), 3), "area %": round(100 * float((one > 0).mean()), 1)}
        )
    return CutOut(np.dstack([rgb, mask]), mask, pd.DataFrame(rows, columns=TABLE_COLUMNS), watch.ms)


@ui.user_errors
def run(image, keep, confidence, model_id):
    """Cuts the named kinds of object out of a photo onto a transparent background (YOLO segmentation).

    Args:
        image: the photo (JPEG, PNG, WebP or HEIC)
        keep: the COCO classes to keep, separated by commas (for example "person, dog"); empty keeps every object found
        confidence: keep objects found with at least this confidence, 0 to 1
        model_id: one of the models the tab offers (the API page lists them); the first is the default

    Returns:
        the cut-out (PNG with transparency), the mask, a table of the objects kept, and which model answered
    """
    segmenter = TASK.load(model_id)
    result = cut_out(segmenter, image, keep, confidence)
    counts = result.table["class"].value_counts()
    kept = ", ".join(f"{n} {name}" for name, n in counts.items())
    note = (
        message("Kept {kept}: {share:.1%} of the photo.", kept=kept, share=float((result.mask > 0).mean()))
        if kept
        else message("Nothing to keep above the threshold: the cut-out is empty.")
    )
    return result.image, result.mask, with_columns_translated(result.table), ui.run_info(segmenter, result.ms, note)


def build_ui() -> None:
    import gradio as gr

    gr.Markdown(
        t(
            "Instance segmentation outlines every object pixel by pixel. Name the classes to keep (any of "
            "the 80 COCO classes; empty keeps them all): the rest of the photo becomes transparent, ready "
            "to paste elsewhere."
        )
    )
    with gr.Row():
        with gr.Column():
            image = ui.image_input()
            keep = gr.Textbox(value="person", label=t("Keep these classes (comma-separated; empty: every object)"))
            confidence = gr.Slider(0.0, 1.0, value=0.25, step=0.01, label=t("Confidence threshold"))
            model_id = ui.model_dropdown(TASK)
            button = gr.Button(t("Cut out"), variant="primary")
        with gr.Column():
            cut = ui.image_output("Cut-out (transparent background)", "png", image_mode="RGBA")
            info = ui.info_line()
            with gr.Row():
                mask = ui.image_output("Mask", "png")
                table = gr.DataFrame(headers=TABLE_COLUMNS, label=t("Kept objects"))
    gr.Examples([[examples.zidane(), "person"], [examples.bus(), "bus"], [examples.bus(), ""]], inputs=[image, keep])
    button.click(run, [image, keep, confidence, model_id], [cut, mask, table, info], api_name="cut_out")


TASK = Task(__name__, "Cut-out (segmentation)", "Vision", {"model": ("yolo",)}, build_ui)
