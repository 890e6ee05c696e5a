"""Object detection and instance segmentation with Ultralytics YOLO (`/detect`)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

import examples
from models.device import Stopwatch
from models.errors import ShowcaseError
from models.yolo import Detector
from toolkit import ui
from toolkit.inputs import open_image
from toolkit.task import Task

TABLE_COLUMNS = ["class", "confidence", "x1", "y1", "x2", "y2", "mask_pixels"]


@dataclass
class Detections:
    image: np.ndarray  # annotated, RGB
    table: pd.DataFrame
    ms: float


def check_thresholds(confidence: float, iou: float) -> None:
    for name, value in (("Confidence", confidence), ("IoU", iou)):
        if value is None or not 0.0 <= float(value) <= 1.0:
            raise ShowcaseError(f"{name} threshold must be between 0 and 1, got {value}.")


def postprocess(result) -> tuple[np.ndarray, pd.DataFrame]:
    # float64 before rounding: a rounded float32 reads 0.8730000257492065 in the page and the API.
    boxes = result.boxes.data.cpu().numpy().astype(np.float64)  # x1, y1, x2, y2, confidence, class per row
    table = pd.DataFrame({
        "class": [result.names[int(c)] for c in boxes[:, 5]],
        "confidence": boxes[:, 4].round(3),
        **{name: boxes[:, i].round(1) for i, name in enumerate(("x1", "y1", "x2", "y2"))},
    }, columns=TABLE_COLUMNS[:-1])
    if result.masks is not None:
        table["mask_pixels"] = result.masks.data.sum(dim=(1, 2)).cpu().numpy().astype(int)
    import cv2

    # Ultralytics draws in OpenCV's BGR order; the browser wants RGB (cvtColor: 0.1 ms, a slice copy: 4 ms).
    annotated = cv2.cvtColor(result.plot(), cv2.COLOR_BGR2RGB)
    return annotated, table


def detect(detector: Detector, image, confidence: float = 0.25, iou: float = 0.45) -> Detections:
    """Pure predict function: image (path, PIL or array) in, annotated RGB image and table out."""
    check_thresholds(confidence, iou)
    bgr = detector.preprocess(open_image(image))
    watch = Stopwatch()
    with watch.measure(detector.device):
        (result,) = detector.forward([bgr], confidence, iou)
    annotated, table = postprocess(result)
    return Detections(annotated, table, watch.ms)


@ui.user_errors
def run(image, confidence, iou, model_id):
    """Finds the objects of the 80 COCO classes in a photo with Ultralytics YOLO and outlines them.

    Args:
        image: the photo (JPEG, PNG, WebP or HEIC)
        confidence: keep objects found with at least this confidence, 0 to 1 (0.25 is usual)
        iou: boxes overlapping more than this are one object, 0 to 1 (0.45 is usual)
        model_id: one of the models the tab offers (the API page lists them); the first is the default; the -seg models also outline each object's mask

    Returns:
        the photo with boxes drawn, a table of the objects (class, confidence, box corners in pixels), and which model answered, how and how fast
    """
    detector = TASK.load(model_id)
    found = detect(detector, image, confidence, iou)
    kinds = found.table["class"].value_counts()
    summary = ", ".join(f"{n} {name}" for name, n in kinds.items()) or "nothing above the threshold"
    note = f"Found {summary}." + (" Masks drawn." if detector.segments else "")
    return found.image, found.table, ui.run_info(detector, found.ms, note)


def build_ui() -> None:
    import gradio as gr

    gr.Markdown(
        "Finds and outlines objects of the 80 COCO classes with **Ultralytics YOLO**. "
        "The `-seg` models also draw each object's mask."
    )
    with gr.Row():
        with gr.Column():
            image = ui.image_input()
            confidence = gr.Slider(0.0, 1.0, value=0.25, step=0.01, label="Confidence threshold")
            iou = gr.Slider(0.0, 1.0, value=0.45, step=0.01, label="IoU threshold (overlap for NMS)")
            model_id = ui.model_dropdown(TASK)
            button = gr.Button("Detect", variant="primary")
        with gr.Column():
            annotated = gr.Image(type="numpy", label="Detections", format="jpeg")
            info = ui.info_line()
            table = gr.DataFrame(headers=TABLE_COLUMNS[:-1], label="Objects", wrap=True)
    gr.Examples(
        [[examples.bus(), 0.25, 0.45], [examples.zidane(), 0.25, 0.45], [examples.tower(), 0.4, 0.45]],
        inputs=[image, confidence, iou],
    )
    button.click(run, [image, confidence, iou, model_id], [annotated, table, info], api_name="detect")


TASK = Task(__name__, "Object detection", "Vision", {"model": ("yolo",)}, build_ui)
