"""Object detection and instance segmentation with Ultralytics YOLO (`/detect`)."""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch

import examples
from tasks import common

TASK = "detect"
TITLE = "Object detection"
CHOICES = common.model_choices(TASK)
TABLE_COLUMNS = ["class", "confidence", "x1", "y1", "x2", "y2", "mask_pixels"]


@dataclass
class Detector:
    model: object  # ultralytics.YOLO
    model_id: str
    device: torch.device

    @property
    def segments(self) -> bool:
        return self.model.task == "segment"


@dataclass
class Detections:
    image: np.ndarray  # annotated, RGB
    table: pd.DataFrame
    ms: float


def default_choice() -> str:
    """spaces.yaml's first choice, unless offline and only another one is on disk."""
    offline = os.environ.get("YOLO_OFFLINE") or os.environ.get("HF_HUB_OFFLINE")
    if offline:
        for name in CHOICES:
            if common.local_model_file(name):
                return name
    return CHOICES[0]


def load_model(model_id: str) -> Detector:
    from ultralytics import YOLO

    source = common.local_model_file(model_id) or model_id
    try:
        model = YOLO(str(source))
    except Exception as error:  # Ultralytics raises ConnectionError, FileNotFoundError, ...
        raise common.unavailable(
            model_id,
            error,
            f"Ultralytics downloads it on first use: connect to the internet, or put {model_id} "
            "in the folder that SHOWCASE_MODEL_DIR names.",
        ) from error
    device = common.pick_device()
    model.to(device)
    return Detector(model, model_id, device)


def get_model(model_id: str) -> Detector:
    common.check_choice(model_id, CHOICES, "detection model")
    return common.MODELS.get(model_id, lambda: load_model(model_id))


def check_thresholds(confidence: float, iou: float) -> None:
    for name, value in (("Confidence", confidence), ("IoU", iou)):
        if value is None or not 0.0 <= float(value) <= 1.0:
            raise common.ShowcaseError(f"{name} threshold must be between 0 and 1, got {value}.")


def preprocess(image) -> np.ndarray:
    """The upright photo as the BGR array that Ultralytics takes as it is.

    OpenCV swaps the channels in 0.1 ms; handed a PIL image, Ultralytics makes the same array
    with a reversed-channel copy that costs about 10 ms on the 810x1080 bus photo.
    """
    import cv2  # already loaded with Ultralytics

    return cv2.cvtColor(np.asarray(common.open_image(image)), cv2.COLOR_RGB2BGR)


def forward(detector: Detector, images: list[np.ndarray], confidence: float, iou: float):
    """The bare model call on BGR arrays: Ultralytics letterboxes, runs the network and applies NMS."""
    return detector.model.predict(
        images,
        conf=float(confidence),
        iou=float(iou),
        device=detector.device,
        quantize="fp16" if detector.device.type == "cuda" else None,
        verbose=False,
    )


def postprocess(result) -> tuple[np.ndarray, pd.DataFrame]:
    boxes = result.boxes.data.cpu().numpy()  # x1, y1, x2, y2, confidence, class per row
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
    bgr = preprocess(image)
    watch = common.Stopwatch()
    with watch.measure(detector.device):
        (result,) = forward(detector, [bgr], confidence, iou)
    annotated, table = postprocess(result)
    return Detections(annotated, table, watch.ms)


@common.user_errors
def run(image, confidence, iou, model_id):
    detector = get_model(model_id)
    found = detect(detector, image, confidence, iou)
    kinds = found.table["class"].value_counts()
    summary = ", ".join(f"{n} {name}" for name, n in kinds.items()) or "nothing above the threshold"
    note = f"Found {summary}." + (" Masks drawn." if detector.segments else "")
    return found.image, found.table, common.describe_run(model_id, detector.device, found.ms, note)


def build_ui() -> None:
    import gradio as gr

    gr.Markdown(
        "Finds and outlines objects of the 80 COCO classes with **Ultralytics YOLO**. "
        "The `-seg` models also draw each object's mask."
    )
    with gr.Row():
        with gr.Column():
            image = common.image_input()
            confidence = gr.Slider(0.0, 1.0, value=0.25, step=0.01, label="Confidence threshold")
            iou = gr.Slider(0.0, 1.0, value=0.45, step=0.01, label="IoU threshold (overlap for NMS)")
            model_id = gr.Dropdown(CHOICES, value=default_choice(), label="Model")
            button = gr.Button("Detect", variant="primary")
        with gr.Column():
            annotated = gr.Image(type="numpy", label="Detections", format="jpeg")
            info = gr.Markdown()
            table = gr.DataFrame(headers=TABLE_COLUMNS[:-1], label="Objects", wrap=True)
    gr.Examples(
        [[examples.bus(), 0.25, 0.45], [examples.zidane(), 0.25, 0.45], [examples.tower(), 0.4, 0.45]],
        inputs=[image, confidence, iou],
    )
    button.click(run, [image, confidence, iou, model_id], [annotated, table, info], api_name="detect")


def preload() -> None:
    get_model(default_choice())
