"""A few-shot image classifier: frozen pretrained features and a linear probe (`/finetune_image`)."""

from __future__ import annotations

import html
from dataclasses import dataclass
from typing import Callable

import gradio as gr
import pandas as pd
import torch
from PIL import Image

import models
from models.errors import ShowcaseError
from models.linear_probe import LinearProbe, fit_linear
from models.tensors import IMAGES_PER_PASS
from toolkit import image_data, plots, ui
from toolkit.inputs import open_image
from toolkit.probe import Scores, cross_validate
from toolkit.task import Task
from toolkit.training import training_slot

# What a backbone of each family contributes, for the picker and the summary.
BACKBONE_KINDS = {"clip": "CLIP image encoder ({})", "image_classifier": "{} pooled features (ImageNet)"}


def backbone_name(model_id: str) -> str:
    return BACKBONE_KINDS[models.family_of(model_id)].format(models.label(model_id))


def embed_all(backbone, images: list[Image.Image], on_progress: Callable[[int, int], None] | None = None) -> torch.Tensor:
    """Unit feature vectors for every image, IMAGES_PER_PASS at a time, reporting progress."""
    chunks = []
    for start in range(0, len(images), IMAGES_PER_PASS):
        chunks.append(backbone.embed_images(images[start : start + IMAGES_PER_PASS]))
        if on_progress:
            on_progress(min(start + IMAGES_PER_PASS, len(images)), len(images))
    return torch.cat(chunks)


@dataclass
class FewShotClassifier:
    backbone_id: str
    probe: LinearProbe
    scores: Scores  # cross-validated
    folds: int
    counts: dict[str, int]

    def classify(self, backbone, image) -> dict[str, float]:
        (top,) = self.probe.ranked(backbone.embed_images([open_image(image)]))
        return top


def fit(backbone_id: str, features: torch.Tensor, labels: list[str]) -> FewShotClassifier:
    """Pure training function: cross-validated accuracy, then a probe fitted on every image."""
    counts = {label: labels.count(label) for label in sorted(set(labels))}
    folds = min(5, min(counts.values()))
    scores = cross_validate(features, labels, folds)
    return FewShotClassifier(backbone_id, fit_linear(features, labels), scores, folds, counts)


@ui.not_a_tool
@ui.user_errors
@ui.gpu_seconds(300)
def run(files, backbone_id, progress=gr.Progress()):
    """Builds a few-shot image classifier from a zip of class folders on a frozen backbone."""
    if not files:
        raise ShowcaseError("Upload a zip of class folders, or images named class_xxx.jpg.")
    TASK.check(backbone_id)
    with training_slot():  # first: reading the images is work too
        progress(0, desc="Reading the images")
        data = image_data.collect([getattr(f, "name", f) for f in files])
        image_data.check(data)
        progress(0, desc=f"Loading {backbone_name(backbone_id)}")
        backbone = TASK.load(backbone_id)
        features = embed_all(backbone, data.images,
                             lambda done, total: progress(done / total, desc=f"Features: {done}/{total} images"))
        progress(1, desc="Fitting and cross-validating the linear classifier")
        model = fit(backbone_id, features, data.labels)
    # Class names come from folder names in the upload: escaped, they show as text, never as markup.
    classes = ", ".join(f"{html.escape(label)} ({n})" for label, n in model.counts.items())
    summary = (f"**{len(data.images)} images**, {len(model.counts)} classes: {classes}.\n\n"
               f"{model.folds}-fold cross-validated {model.scores.summary()} with **{backbone_name(backbone_id)}**.")
    if data.skipped:
        summary += f"\n\nSkipped {len(data.skipped)} file(s): " + html.escape("; ".join(data.skipped[:10]))
    confusion = plots.confusion(model.scores.confusion, "Cross-validated confusion (rows: true)")
    per_class = pd.DataFrame({"class": list(model.counts), "images": list(model.counts.values()),
                              "recall": [round(float(model.scores.confusion.loc[c, c]) / n, 3) for c, n in model.counts.items()]})
    return summary, confusion, per_class, model


@ui.not_a_tool
@ui.user_errors
def try_model(model, image):
    """Classifies one photo with the classifier this session built."""
    if model is None:
        raise ShowcaseError("Build a classifier first; then try it here.")
    return model.classify(TASK.load(model.backbone_id), image)


def build_ui() -> None:
    gr.Markdown(
        "Teach a new image classifier from **a handful of examples per class**: a frozen pretrained backbone "
        "turns each image into features and a linear classifier learns your classes on top, in seconds. "
        "Upload a zip of class folders (`cats/…`, `dogs/…`) or images named `class_xxx.jpg`."
    )
    with gr.Row():
        with gr.Column():
            files = gr.File(file_count="multiple", file_types=["image", ".zip"], label="Labelled images or a zip")
            backbone_id = gr.Dropdown([(backbone_name(m), m) for m in TASK.choices()], value=TASK.default(),
                                      label="Backbone")
            button = gr.Button("Build classifier", variant="primary")
            summary = gr.Markdown(label="Summary")
            per_class = gr.DataFrame(label="Per class")
        with gr.Column():
            confusion = gr.Plot(label="Cross-validated confusion matrix")
            with gr.Group():
                image = ui.image_input("Try the classifier on a new image")
                try_button = gr.Button("Classify")
                prediction = gr.Label(label="Prediction")
    model = gr.State()
    button.click(run, [files, backbone_id], [summary, confusion, per_class, model], api_name="finetune_image")
    try_button.click(try_model, [model, image], prediction, api_name="try_image_model")


TASK = Task(__name__, "Few-shot images", "Training", {"model": ("clip", "image_classifier")}, build_ui)
