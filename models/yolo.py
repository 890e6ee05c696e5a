"""Ultralytics YOLO detectors and instance segmenters, loaded by weight file name (`yolo11n.pt`)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from models.device import LoadedModel, inference_dtype, pick_device
from models.errors import unavailable

FROM_HUB = False


def local_file(name: str) -> Path | None:
    """The weight file in SHOWCASE_MODEL_DIR, if that folder holds it."""
    folder = os.environ.get("SHOWCASE_MODEL_DIR")
    if folder and (Path(folder) / name).is_file():
        return Path(folder) / name
    return None


def available_offline(model_id: str) -> bool:
    """Whether the model can load here: online anything can; offline only files on disk."""
    offline = os.environ.get("YOLO_OFFLINE") or os.environ.get("HF_HUB_OFFLINE")
    return not offline or local_file(model_id) is not None


@dataclass
class Detector(LoadedModel):
    model: object  # ultralytics.YOLO

    @property
    def segments(self) -> bool:
        return self.model.task == "segment"

    @property
    def class_names(self) -> list[str]:
        return list(self.model.names.values())

    @staticmethod
    def preprocess(image: Image.Image) -> np.ndarray:
        """An RGB photo as the BGR array that Ultralytics takes as it is.

        OpenCV swaps the channels in 0.1 ms; handed a PIL image, Ultralytics makes the same array
        with a reversed-channel copy that costs about 10 ms on the 810x1080 bus photo.
        """
        import cv2  # already loaded with Ultralytics

        return cv2.cvtColor(np.asarray(image), cv2.COLOR_RGB2BGR)

    def forward(self, images: list[np.ndarray], confidence: float, iou: float) -> list:
        """The bare model call on BGR arrays: Ultralytics letterboxes, runs the network and applies NMS."""
        return self.model.predict(
            images,
            conf=float(confidence),
            iou=float(iou),
            device=self.device,
            quantize="fp16" if self.device.type == "cuda" else None,
            verbose=False,
        )


def load(model_id: str) -> Detector:
    from ultralytics import YOLO

    source = local_file(model_id) or model_id
    try:
        model = YOLO(str(source))
    except Exception as error:  # Ultralytics raises ConnectionError, FileNotFoundError, ...
        raise unavailable(
            model_id,
            error,
            f"Ultralytics downloads it on first use: connect to the internet, or put {model_id} "
            "in the folder that SHOWCASE_MODEL_DIR names.",
        ) from error
    device = pick_device()
    model.to(device)
    return Detector(model_id, device, inference_dtype(device), model)
