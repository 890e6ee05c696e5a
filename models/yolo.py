"""Ultralytics YOLO detectors and instance segmenters, loaded by weight file name (`yolo11n.pt`)."""

from __future__ import annotations

import functools
import logging
import os
import shutil
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from i18n import Text
from models import box_saliency, runtime
from models import calibration as calibration_set
from models.base import Answers, LoadedModel, Timings
from models.box_saliency import BoxSaliency
from models.device import inference_dtype, pick_device
from models.errors import unavailable

log = logging.getLogger("showcase")

FROM_HUB = False
# Row-wise methods (a row out per row of the first argument): joined across requests on Ray Serve.
BATCHED = ("detect",)
# The dataset its classes come from: the catalogs name them in other languages (i18n.class_names).
DATASET = "COCO"


def local_file(name: str) -> Path | None:
    """The weight file in SHOWCASE_MODEL_DIR, if that folder holds it."""
    folder = os.environ.get("SHOWCASE_MODEL_DIR")
    if folder and (Path(folder) / name).is_file():
        return Path(folder) / name
    return None


def offline() -> bool:
    return bool(os.environ.get("YOLO_OFFLINE") or os.environ.get("HF_HUB_OFFLINE"))


def available_offline(model_id: str) -> bool:
    """Whether the model can load here: online anything can; offline only files on disk."""
    return not offline() or local_file(model_id) is not None


@dataclass
class Detections:
    """What a detector found in one image: a row per object, in pixels of the image it was given."""

    class_ids: list[int]
    confidences: list[float]
    boxes: list[list[float]]  # x1, y1, x2, y2
    outlines: list[np.ndarray] | None = None  # a segmenter's: each object's outline, [points, 2] float32

    @property
    def mask_pixels(self) -> list[int] | None:
        """Each object's area inside its outline, in pixels (a segmenter's only)."""
        import cv2

        if self.outlines is None:
            return None
        return [int(round(cv2.contourArea(outline))) if len(outline) >= 3 else 0 for outline in self.outlines]


@dataclass
class Detector(LoadedModel):
    model: object  # ultralytics.YOLO: the PyTorch weights, or their OpenVINO export
    network: torch.nn.Module  # the PyTorch network, for explanations (gradients)
    openvino: bool = False  # `model` is the OpenVINO export
    converted_s: float | None = None  # this process exported it, in so many seconds
    openvino_precision: str = ""  # what the export runs in ("": OpenVINO's default on this CPU)
    # One explanation at a time per model: Grad-CAM hooks its layers for the call.
    explain_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def __post_init__(self) -> None:
        box_saliency.differentiated_from(self.network)

    @property
    def runtime(self) -> str:
        return runtime.OPENVINO if self.openvino else runtime.PYTORCH

    @property
    def precision(self) -> str:
        if self.openvino:
            return self.openvino_precision or runtime.default_precision()
        return super().precision

    def take_conversion_seconds(self) -> float:
        seconds, self.converted_s = self.converted_s, None
        return seconds or 0

    def warm(self) -> None:
        self.detect([np.zeros((480, 640, 3), np.uint8)], 0.25, 0.45)

    @property
    def segments(self) -> bool:
        return self.model.task == "segment"

    @property
    def class_names(self) -> list[str]:
        return list(self.model.names.values())

    def detect(self, images: list[Image.Image | np.ndarray], confidence: float, iou: float) -> Answers[Detections]:
        """The objects in each RGB image (PIL or array) found with at least `confidence`; boxes
        overlapping more than `iou` are one object (non-maximum suppression)."""
        timings = Timings()
        with timings.measure("preprocess"):
            frames = [self.preprocess(image) for image in images]
        with timings.measure("forward", self.device):
            results = self.forward(frames, confidence, iou)
        with timings.measure("postprocess"):
            rows = [self.postprocess(result) for result in results]
        return Answers(rows, timings)

    def explain_box(self, image: Image.Image | np.ndarray, found: Detections, picked: int) -> Answers[BoxSaliency]:
        """Why the detector found the picked box of `found` (its detections in the RGB image): the
        pixels its class score rests on (box_saliency.explain), and every box's runner-up classes."""
        timings = Timings()
        with timings.measure("forward", self.device), self.explain_lock:
            row = box_saliency.explain(self.network, np.asarray(image), found.boxes, found.class_ids, picked)
        return Answers([row], timings)

    def box_score(self, image: Image.Image | np.ndarray, box: list[float], class_id: int) -> float:
        """How sure the PyTorch network is of a box of a class in the RGB image (box_saliency.score_of)."""
        with self.explain_lock:
            return box_saliency.score_of(self.network, np.asarray(image), box, class_id)

    @staticmethod
    def preprocess(image: Image.Image | np.ndarray) -> np.ndarray:
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

    @staticmethod
    def postprocess(result) -> Detections:
        # float64 before rounding: a rounded float32 reads 0.8730000257492065 in the page and the API.
        boxes = result.boxes.data.cpu().numpy().astype(np.float64)  # x1, y1, x2, y2, confidence, class per row
        return Detections(
            class_ids=boxes[:, 5].astype(int).tolist(),
            confidences=boxes[:, 4].round(3).tolist(),
            boxes=boxes[:, :4].round(1).tolist(),
            outlines=list(result.masks.xy) if result.masks is not None else None,
        )


def accelerated(model, model_id: str, choice: runtime.Choice) -> tuple[object, bool, float | None]:
    """The model exported by Ultralytics to OpenVINO (dynamic input size, fp32 weights), kept in the
    cache, running in the choice's precision (INT8: a quantized copy; fp32 or bf16: compiled so),
    whether it is, and the export's seconds; the PyTorch model, with a log line, if it fails."""
    from ultralytics import YOLO

    weights = Path(model.ckpt_path)
    # No ".pt" in the folder's name: Ultralytics names the export by replacing it in the whole path.
    folder = runtime.cache_folder(weights.stem) / f"{runtime.file_fingerprint(weights)}-ov{runtime.openvino_version()}"
    exported = folder / f"{weights.stem}_openvino_model"

    def export() -> None:
        folder.mkdir(parents=True, exist_ok=True)
        copy = shutil.copy(weights, folder / weights.name)  # Ultralytics writes the export beside the weights
        YOLO(copy).export(format="openvino", dynamic=True, verbose=False)  # fp32 weights: the default
        Path(copy).unlink()

    try:
        seconds = runtime.convert_once(exported / "metadata.yaml", export)
        if choice.precision == "int8":
            exported, quantized_s = int8_copy(exported)
            if quantized_s is not None:
                seconds = (seconds or 0) + quantized_s
        accelerated = YOLO(str(exported), task=model.task)
        options = runtime.compile_options(choice=choice)
        if "INFERENCE_PRECISION_HINT" in options:
            accelerated.add_callback("on_predict_start", compiled_with(exported, options))
        runtime.return_freed_memory()
        return accelerated, True, seconds
    except Exception as error:  # any failure: the PyTorch model still answers
        log.warning("%s: OpenVINO export failed (%s: %s); running in PyTorch", model_id, type(error).__name__, error)
        return model, False, None


def int8_copy(exported: Path) -> tuple[Path, float | None]:
    """A copy of the export beside it quantized to INT8 (calibrated on the example photos), and the
    seconds it took this process to write it (None: it was there)."""
    import openvino

    samples = [{"images": letterboxed(photo)} for photo in calibration_set.photos()]
    key = f"int8-{runtime.samples_key(samples)}-nncf{runtime.nncf_version()}"
    target = exported.with_name(exported.name.replace("_openvino_model", f"_{key}_openvino_model"))

    def write() -> None:
        network = quantized(openvino.Core().read_model(next(exported.glob("*.xml"))), samples)
        partial = target.with_name(target.name + ".partial")
        partial.mkdir(parents=True, exist_ok=True)
        openvino.save_model(network, partial / next(exported.glob("*.xml")).name, compress_to_fp16=False)
        shutil.copy(exported / "metadata.yaml", partial / "metadata.yaml")
        partial.replace(target)  # whole or not at all: a crash leaves only the partial folder

    return target, runtime.convert_once(target / "metadata.yaml", write)


def compiled_with(exported: Path, options: dict[str, str]) -> Callable:
    """An Ultralytics callback that compiles the export again with the runtime's options, once per
    predictor, before its first prediction: Ultralytics compiles it with options of its own, and
    OpenVINO does not take a precision from the network's runtime options (on a CPU with bf16,
    an fp32 copy ran in bf16)."""
    import openvino

    def compile_again(predictor) -> None:
        backend = predictor.model.backend
        config = backend.compile_model.keywords.get("config", {})
        if config.items() >= options.items():  # compiled so already
            return
        # Its later compiles too: on AMX CPUs Ultralytics compiles INT8 again for each input shape.
        backend.compile_model = functools.partial(backend.compile_model, config={**config, **options})
        backend.ov_compiled_model = backend.compile_model(openvino.Core().read_model(next(exported.glob("*.xml"))))

    return compile_again


def letterboxed(photo: Image.Image, side: int = 640) -> torch.Tensor:
    """A photo as the network takes it in Ultralytics' predictions: scaled to fit a square, padded
    with grey, RGB in 0..1, [1, 3, side, side]."""
    from ultralytics.data.augment import LetterBox

    square = LetterBox((side, side), auto=False)(image=np.asarray(photo))  # grey padding, either channel order
    return torch.from_numpy(np.ascontiguousarray(square.transpose(2, 0, 1)))[None].float() / 255


def quantized(network, samples: list[dict[str, torch.Tensor]]):
    """The detector quantized to INT8 but for its head's decoding (the box distances' softmax and
    the class sigmoids, which lose the most in INT8), as Ultralytics' own INT8 export does."""
    import nncf

    operations = network.get_ordered_ops()
    sigmoids = [op.get_friendly_name() for op in operations if op.get_type_name() == "Sigmoid"]
    head = sigmoids[-1].split("/", 1)[0]  # the scope of the head that ends in the last sigmoid
    decoding = [
        op.get_friendly_name()
        for op in operations
        if op.get_type_name() == "Sigmoid" or op.get_friendly_name().startswith((f"{head}/", f"{head}.dfl"))
    ]
    name = network.inputs[0].get_any_name()
    return runtime.quantized(
        network,
        [{name: sample["images"]} for sample in samples],
        preset=nncf.QuantizationPreset.MIXED,
        ignored_scope=nncf.IgnoredScope(names=decoding),
    )


def no_usage_events() -> None:
    """Ultralytics sends a usage event per prediction and export by default; none unless
    SHOWCASE_TELEMETRY=1."""
    if os.environ.get("SHOWCASE_TELEMETRY") != "1":
        from ultralytics.utils.events import events

        events.enabled = False


def load(model_id: str) -> Detector:
    from ultralytics import YOLO

    no_usage_events()
    # Online with SHOWCASE_MODEL_DIR set, a missing file downloads into that folder (a Space's
    # persistent /data survives restarts), not into the working directory.
    folder = os.environ.get("SHOWCASE_MODEL_DIR")
    source = local_file(model_id) or (Path(folder) / model_id if folder and not offline() else model_id)
    try:
        model = YOLO(str(source))
    except Exception as error:  # Ultralytics raises ConnectionError, FileNotFoundError, ...
        raise unavailable(
            model_id,
            error,
            Text(
                "Ultralytics downloads it on first use: connect to the internet, or put {model_id} in the "
                "folder that SHOWCASE_MODEL_DIR names.",
                {"model_id": model_id},
            ),
        ) from error
    device = pick_device()
    network = model.model.eval()
    choice = runtime.chosen()
    if runtime.wanted(device, choice):
        exported, openvino, seconds = accelerated(model, model_id, choice)
        precision = choice.precision if openvino else ""
        return Detector(model_id, device, inference_dtype(device), exported, network, openvino, seconds, precision)
    model.to(device)
    return Detector(model_id, device, inference_dtype(device), model, network)
