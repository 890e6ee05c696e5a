"""Cut-outs with YOLO instance segmentation: keep the objects you name, drop the background (`/cut_out`)."""

from __future__ import annotations

from dataclasses import dataclass

import gradio as gr
import numpy as np
import pandas as pd

import examples
import i18n
from i18n import N_, Text
from models.errors import ShowcaseError
from models.yolo import DATASET, Detections, Detector
from toolkit import box_explanations, drawing, heatmaps, runtime_ledger, sharing, ui
from toolkit.inputs import number, open_image, parse_labels
from toolkit.interface import t
from toolkit.messages import class_names, message, with_columns_translated
from toolkit.runtime_ledger import LedgerCall
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
    found: Detections  # every object found
    rows: list[int]  # the objects of `found` kept, one per row of the table


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
    rows, kept = [], []
    for index, (outline, class_id, score) in enumerate(zip(found.outlines or [], found.class_ids, found.confidences)):
        if (wanted is not None and class_id not in wanted) or len(outline) < 3:
            continue
        one = drawing.outline_mask(outline, (rgb.shape[1], rgb.shape[0]))
        mask[one] = 255
        rows.append({CLASS: names[class_id], CONFIDENCE: score, AREA: round(100 * float(one.mean()), 1)})
        kept.append(index)
    table = pd.DataFrame(rows, columns=TABLE_COLUMNS)
    return CutOut(np.dstack([rgb, mask]), mask, table, answers.timings["forward"], found, kept)


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


def ledger_call(model_id: str, image, text: str = "", confidence: float = 0.25) -> LedgerCall:
    """The runtime ledger of every object the segmenter finds in a photo (the /runtimes endpoint's,
    and the page's): what it keeps is a choice among them, the same on every runtime."""
    number(confidence, "Confidence threshold", 0, 1)
    return runtime_ledger.of_detections(TASK.load(model_id), open_image(image), confidence, 0.45)


@ui.user_errors
def runtimes_on_page(image, confidence, model_id):
    yield from runtime_ledger.on_page(ledger_call(model_id, image, confidence=confidence))


@ui.user_errors
def explain(image, keep, confidence, model_id, box: int = 1, opacity: float = heatmaps.OPACITY):
    """Cuts out as /cut_out does, then shows why one of the kept objects was found: the pixels its
    class score rests on (HiResCAM), and every kept object's next likeliest classes.

    Args:
        image: the photo (JPEG, PNG, WebP or HEIC)
        keep: as /cut_out takes it
        confidence: as /cut_out takes it
        model_id: as /cut_out takes it
        box: which kept object to explain: its row in /cut_out's table, 1 for the first
        opacity: how strongly the heat covers the photo, 0 to 1

    Returns:
        the photo with the heat over it and the object outlined, a table of the kept objects with their
        next likeliest classes, and a line naming the object, the method and the time it took
    """
    opacity = number(opacity, "The opacity", 0, 1)
    photo, result = explanation(image, keep, confidence, model_id, box)
    return heatmaps.overlay(photo, result.heatmap, opacity), result.table, result.info


@ui.user_errors
def explain_on_page(image, keep, confidence, model_id, kept, which, opacity):
    """The answer on screen explained: the kept object on row `which` of its table."""
    if kept is None or len(kept) == 0:
        raise ShowcaseError("There is no object to explain yet: cut out the objects of a photo first.")
    photo, result = explanation(image, keep, confidence, model_id, which, len(kept))
    return heatmaps.overlay(photo, result.heatmap, opacity), result.table, result.info, result.heatmap


def explanation(image, keep, confidence, model_id, which, shown: int | None = None) -> tuple:
    """The photo and the explanation of its kept object on row `which` (1 for the first) of what
    /cut_out keeps; `shown`: how many objects the page shows, which must still be what it keeps."""
    picked = box_explanations.row_index(which)
    photo, segmenter = open_image(image), TASK.load(model_id)
    result = cut_out(segmenter, photo, keep, confidence)
    if shown is not None and len(result.rows) != shown:
        raise ShowcaseError("The objects on screen are not this photo's at these settings any more: cut out again.")
    names = class_names(DATASET, segmenter.class_names)
    return photo, box_explanations.explained(segmenter, photo, result.found, picked, names, result.rows)


def build_ui() -> None:
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
                table = ui.table_with_columns(
                    gr.DataFrame(
                        label=t("Kept objects"),
                        interactive=False,
                        elem_id="segmentation-kept",
                    ),
                    TABLE_COLUMNS,
                )
            with gr.Row():
                which = ui.whole_number(1, t("Object to explain (its row)"), minimum=1)
                explain_button = gr.Button(t("Explain"))
            shown, opacity, heatmap = ui.heatmap_output(image, "segmentation-explanation")
            explained_info = ui.info_line()
            runner_ups = box_explanations.runner_ups_output()
    sharing.panel(
        TASK, [image, keep, confidence, model_id, which, opacity], [cut, info, mask, table, shown, explained_info]
    )
    ledger = runtime_ledger.panel("segmentation-runtimes")
    gr.Examples([[examples.zidane(), "person"], [examples.bus(), "bus"], [examples.bus(), ""]], inputs=[image, keep])
    inputs = [image, keep, confidence, model_id]
    runtime_ledger.bind(ledger, runtimes_on_page, [image, confidence, model_id])
    ui.cleared_by([image.change, model_id.change], ledger.outputs)
    ui.bind(TASK.endpoint("cut_out"), button.click, inputs, [cut, mask, table, info])
    explained_outputs = [shown, runner_ups, explained_info, heatmap]
    ui.cleared_by([image.change, button.click], explained_outputs)
    ui.cleared_by([image.change], [table])
    on_screen = [*inputs, table, which, opacity]
    explain_button.click(explain_on_page, on_screen, explained_outputs, api_visibility="private")
    ui.bind(
        TASK.endpoint("explain_cut_out"),
        gr.Button(visible=False).click,
        [*inputs, which, opacity],
        [gr.Image(visible=False, label=t("Explanation")), gr.DataFrame(visible=False), ui.info_line(visible=False)],
    )


TASK = Task(
    __name__,
    "Cut-out (segmentation)",
    "Vision",
    {"model": ("yolo",)},
    build_ui,
    endpoints=(Endpoint("cut_out", run), Endpoint("explain_cut_out", explain)),
    runtimes=ledger_call,
)
