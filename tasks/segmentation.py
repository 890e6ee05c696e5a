"""Cut-outs with YOLO instance segmentation: keep the objects you name, drop the background (`/cut_out`)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

import examples
import i18n
from i18n import N_, Text
from models.errors import ShowcaseError
from models.yolo import DATASET, Detector
from toolkit import drawing, ui
from toolkit.inputs import open_image, parse_labels
from toolkit.interface import t
from toolkit.messages import class_names, message, with_columns_translated
from toolkit.task import Endpoint, Task

# Column titles: English here, in the visitor's language on screen (N_ marks them for the catalogs).
CLASS = N_("class")
CONFIDENCE = N_("confidence")
AREA = N_("area %")
TABLE_COLUMNS = [CLASS, CONFIDENCE, AREA]


@dataclass
class CutOut:
    image: np.ndarray  # RGBA: the kept objects as they are, transparent elsewhere
    mask: np.ndarray  # 0 or 255 per pixel, the size of the photo
    table: pd.DataFrame  # one row per kept object
    ms: float


def kept_classes(names: list[str], english: list[str], keep: str | None) -> set[int] | None:
    """The class ids to keep (None: every object), named in English or as shown (`names`), each
    checked against what the model knows."""
    if not keep or not keep.strip():
        return None
    known = {name.casefold(): index for index, name in enumerate(english)}
    known |= {name.casefold(): index for index, name in enumerate(names)}
    wanted = [label.casefold() for label in parse_labels(keep)]
    unknown = [label for label in wanted if label not in known]
    if unknown:
        raise ShowcaseError(
            "{unknown}: not among the {count} classes this model knows (for example {known}).",
            unknown=", ".join(unknown),
            count=len(names),
            known=", ".join(names[:6]),
        )
    return {known[label] for label in wanted}


def cut_out(segmenter: Detector, photo, keep: str | None = None, confidence: float = 0.25) -> CutOut:
    """Pure predict function: the (opened) photo with only the named objects (all if none) on a
    clear background."""
    if not segmenter.segments:
        raise ShowcaseError("{model_id} finds boxes, not outlines; choose a -seg model.", model_id=segmenter.model_id)
    if confidence is None or not 0.0 <= float(confidence) <= 1.0:
        raise ShowcaseError(
            "{name} must be between 0 and 1, got {value}.", name=Text("Confidence threshold"), value=confidence
        )
    names = class_names(DATASET, segmenter.class_names)
    wanted = kept_classes(names, segmenter.class_names, keep)
    rgb = np.asarray(photo)
    answers = segmenter.detect([photo], confidence, 0.45)
    (found,) = answers
    mask = np.zeros(rgb.shape[:2], np.uint8)
    rows = []
    for outline, class_id, score in zip(found.outlines or [], found.class_ids, found.confidences):
        if (wanted is not None and class_id not in wanted) or len(outline) < 3:
            continue
        one = drawing.outline_mask(outline, (rgb.shape[1], rgb.shape[0]))
        mask[one] = 255
        rows.append({CLASS: names[class_id], CONFIDENCE: score, AREA: round(100 * float(one.mean()), 1)})
    table = pd.DataFrame(rows, columns=TABLE_COLUMNS)
    return CutOut(np.dstack([rgb, mask]), mask, table, answers.timings["forward"])


@ui.user_errors
def run(image, keep, confidence, model_id):
    """Cuts the named kinds of object out of a photo onto a transparent background (YOLO segmentation).

    Args:
        image: the photo (JPEG, PNG, WebP or HEIC)
        keep: the COCO classes to keep, separated by commas (for example "person, dog"); empty keeps every object
        confidence: keep objects found with at least this confidence, 0 to 1
        model_id: one of the models the tab offers (the API page lists them); the first is the default

    Returns:
        the cut-out (PNG with transparency), the mask, a table of the objects kept, and which model answered
    """
    photo = open_image(image)
    segmenter = TASK.load(model_id)
    result = cut_out(segmenter, photo, keep, confidence)
    counts = result.table[CLASS].value_counts()
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
            ui.greet(keep, lambda language: i18n.class_names(DATASET, ["person"], language)[0])
            confidence = gr.Slider(0.0, 1.0, value=0.25, step=0.01, label=t("Confidence threshold"))
            model_id = ui.model_dropdown(TASK)
            button = gr.Button(t("Cut out"), variant="primary")
        with gr.Column():
            cut = ui.image_output(t("Cut-out (transparent background)"), "png", image_mode="RGBA")
            info = ui.info_line()
            with gr.Row():
                mask = ui.image_output(t("Mask"), "png")
                table = ui.table_with_columns(gr.DataFrame(label=t("Kept objects")), TABLE_COLUMNS)
    gr.Examples([[examples.zidane(), "person"], [examples.bus(), "bus"], [examples.bus(), ""]], inputs=[image, keep])
    ui.bind(TASK.endpoint("cut_out"), button.click, [image, keep, confidence, model_id], [cut, mask, table, info])


TASK = Task(
    __name__,
    "Cut-out (segmentation)",
    "Vision",
    {"model": ("yolo",)},
    build_ui,
    endpoints=(Endpoint("cut_out", run),),
)
