"""Explain on the detection and cut-out tabs: for a box the visitor picks, the pixels its class
score rests on, and for every box the classes it came next to (models.box_saliency)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import gradio as gr
import pandas as pd
from PIL import Image

from i18n import N_
from models.errors import ShowcaseError
from models.yolo import Detections, Detector
from toolkit import heatmaps, ui
from toolkit.inputs import number
from toolkit.interface import t
from toolkit.messages import message, with_columns_translated

# Column titles: English here, in the visitor's language on screen (N_ marks them for the catalogs).
NUMBER = N_("#")
CLASS = N_("class")
CONFIDENCE = N_("confidence")
RUNNER_UPS = N_("next likeliest classes")
COLUMNS = [NUMBER, CLASS, CONFIDENCE, RUNNER_UPS]


@dataclass
class BoxExplanation:
    heatmap: heatmaps.Heatmap
    table: pd.DataFrame  # a row per box: its class, confidence and runner-up classes, as shown
    info: str


def runner_ups_output() -> gr.DataFrame:
    """The table of each object's next likeliest classes, its column titles shown before the first explanation."""
    table = gr.DataFrame(label=t("Each object's next likeliest classes"), wrap=True, interactive=False)
    return ui.table_with_columns(table, COLUMNS)


def share(score: float) -> str:
    return f"{score:.1%}" if score >= 0.001 else "<0.1%"


def row_index(value: Any) -> int:
    """An object's row number as the visitor or an API client gives it (1 for the first), as an index."""
    return int(number(value, "The object's number", 1, 10_000, whole=True)) - 1


def explained(
    detector: Detector,
    photo: Image.Image,
    found: Detections,
    picked: int,
    names: list[str],
    rows: list[int] | None = None,
) -> BoxExplanation:
    """Why the detector found the box on row `picked` of the answer on screen, whose rows are the
    objects `rows` of `found` (a tab may show only some; default: all)."""
    rows = list(range(len(found.class_ids))) if rows is None else rows
    if not rows:
        raise ShowcaseError("There is no object to explain: nothing was found above the threshold.")
    if not 0 <= picked < len(rows):
        raise ShowcaseError(
            "There is no object {number} in the answer: it has {count}. Detect again, then pick one.",
            number=picked + 1,
            count=len(rows),
        )
    kept = Detections(
        [found.class_ids[i] for i in rows], [found.confidences[i] for i in rows], [found.boxes[i] for i in rows]
    )
    answer = detector.explain_box(photo, kept, picked)
    (saliency,) = answer
    table = pd.DataFrame(
        {
            NUMBER: range(1, len(rows) + 1),
            CLASS: [names[c] for c in kept.class_ids],
            CONFIDENCE: kept.confidences,
            RUNNER_UPS: [" · ".join(f"{names[c]} {share(s)}" for c, s in row) for row in saliency.runner_ups],
        },
        columns=COLUMNS,
    )
    box = tuple(int(round(v)) for v in kept.boxes[picked])
    note = message(
        "The brighter, the more that part of the photo raises the score of object {number}, “{name}” "
        "({score:.1%}): HiResCAM, gradient times activation at the feature map the detector read it from.",
        number=picked + 1,
        name=names[kept.class_ids[picked]],
        score=saliency.score,
    )
    heatmap = heatmaps.Heatmap(saliency.heat, (0, 0, *photo.size), box)
    return BoxExplanation(heatmap, with_columns_translated(table), ui.run_info(detector, answer.timings.total_ms, note))
