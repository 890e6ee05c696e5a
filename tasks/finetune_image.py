"""A few-shot image classifier: frozen pretrained features and a linear probe (`/finetune_image`)."""

from __future__ import annotations

import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Callable

import gradio as gr
import pandas as pd
import torch
from PIL import Image

from tasks import common, image_classification, learning, plots, zero_shot

TASK = "finetune_image"
TITLE = "Few-shot images"
CHOICES = common.model_choices(TASK)
NAMES = {CHOICES[0]: f"CLIP image encoder ({CHOICES[0]})", "resnet50": "ResNet-50 pooled features (ImageNet)"}
MAX_IMAGES = 2000
MAX_UNZIPPED_BYTES = 500_000_000  # a zip's declared contents; refuses zip bombs before reading them
FEATURE_CHUNK = 16
Embedder = Callable[[list[Image.Image]], torch.Tensor]


@dataclass
class LabelledImages:
    images: list[Image.Image] = field(default_factory=list)
    labels: list[str] = field(default_factory=list)
    names: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)

    def add(self, source, name: str, label: str | None) -> None:
        if not label:
            self.skipped.append(f"{name}: no class (put it in a class folder or name it class_xxx.jpg)")
            return
        try:
            self.images.append(common.open_image(source))
        except common.ShowcaseError as error:
            self.skipped.append(f"{name}: {error}")
            return
        self.labels.append(label)
        self.names.append(name)

    def counts(self) -> dict[str, int]:
        return {label: self.labels.count(label) for label in sorted(set(self.labels))}


def label_from_name(path: PurePosixPath | Path) -> str | None:
    """The class of an image in a class folder (cats/01.jpg) or named class_xxx.jpg."""
    parent = path.parent.name
    if parent and not parent.startswith("."):
        return parent
    stem = path.stem
    return stem.split("_", 1)[0] if "_" in stem else None


def collect(paths: list[str | Path]) -> LabelledImages:
    """Labelled images from uploaded image files and zips of class folders (nested folders allowed)."""
    found = LabelledImages()
    for path in map(Path, paths):
        if zipfile.is_zipfile(path):
            _collect_zip(path, found)
        else:
            found.add(path, path.name, label_from_name(PurePosixPath(path.name)))
        if len(found.images) > MAX_IMAGES:
            raise common.ShowcaseError(f"More than {MAX_IMAGES:,} images; use fewer for a few-shot classifier.")
    return found


def _collect_zip(path: Path, found: LabelledImages) -> None:
    with zipfile.ZipFile(path) as archive:
        members = [m for m in archive.infolist() if not m.is_dir()]
        if sum(m.file_size for m in members) > MAX_UNZIPPED_BYTES:
            raise common.ShowcaseError(f"'{path.name}' unpacks to more than {MAX_UNZIPPED_BYTES // 10**6} MB.")
        for member in members:
            name = PurePosixPath(member.filename)
            if any(part.startswith((".", "__MACOSX")) for part in name.parts):
                continue  # macOS and hidden files that zips pick up
            # Read into memory: nothing from the archive is written to disk, so no path can escape.
            found.add(archive.read(member), member.filename, label_from_name(name))


def check(data: LabelledImages) -> None:
    counts = data.counts()
    if not data.images:
        skipped = f" Skipped: {'; '.join(data.skipped[:5])}" if data.skipped else ""
        raise common.ShowcaseError("No usable labelled images found. Upload a zip of class folders, or images "
                                   "named class_xxx.jpg." + skipped)
    if len(counts) < 2:
        raise common.ShowcaseError(f"Found only the class '{next(iter(counts))}'; a classifier needs two or more.")
    small = [label for label, n in counts.items() if n < 2]
    if small:
        raise common.ShowcaseError(f"Each class needs at least 2 images; these have 1: {', '.join(small)}.")


def embedder(backbone_id: str) -> Embedder:
    """Unit feature vectors from a frozen backbone shared with the other tabs (loaded once)."""
    common.check_choice(backbone_id, CHOICES, "backbone")
    if backbone_id == "resnet50":
        classifier = image_classification.get_model(backbone_id)
        return lambda images: torch.nn.functional.normalize(
            image_classification.features(classifier, image_classification.preprocess(classifier, images)), dim=-1)
    zs = zero_shot.get_model(backbone_id)
    return lambda images: zero_shot.forward(zs, zero_shot.preprocess(zs, images))


def embed_all(embed: Embedder, images: list[Image.Image], on_progress=None) -> torch.Tensor:
    chunks = []
    for start in range(0, len(images), FEATURE_CHUNK):
        chunks.append(embed(images[start : start + FEATURE_CHUNK]))
        if on_progress:
            on_progress(min(start + FEATURE_CHUNK, len(images)), len(images))
    return torch.cat(chunks)


@dataclass
class FewShotClassifier:
    backbone_id: str
    probe: learning.LinearProbe
    scores: learning.Scores  # cross-validated
    folds: int
    counts: dict[str, int]

    def classify(self, embed: Embedder, image) -> dict[str, float]:
        probabilities = self.probe.probabilities(embed([common.open_image(image)]))[0]
        ranked = sorted(zip(self.probe.classes, probabilities.tolist()), key=lambda item: -item[1])
        return {label: round(p, 4) for label, p in ranked}


def fit(backbone_id: str, features: torch.Tensor, labels: list[str]) -> FewShotClassifier:
    """Pure training function: cross-validated accuracy, then a probe fitted on every image."""
    counts = {label: labels.count(label) for label in sorted(set(labels))}
    folds = min(5, min(counts.values()))
    scores = learning.cross_validate(features, labels, folds)
    return FewShotClassifier(backbone_id, learning.fit_linear(features, labels), scores, folds, counts)


@common.user_errors
def run(files, backbone_id, progress=gr.Progress()):
    if not files:
        raise common.ShowcaseError("Upload a zip of class folders, or images named class_xxx.jpg.")
    data = collect([getattr(f, "name", f) for f in files])
    check(data)
    with learning.training_slot():
        progress(0, desc=f"Loading {NAMES[backbone_id]}")
        embed = embedder(backbone_id)
        features = embed_all(embed, data.images, lambda done, total: progress(done / total, desc=f"Features: {done}/{total} images"))
        progress(1, desc="Fitting and cross-validating the linear classifier")
        model = fit(backbone_id, features, data.labels)
    classes = ", ".join(f"{label} ({n})" for label, n in model.counts.items())
    summary = (f"**{len(data.images)} images**, {len(model.counts)} classes: {classes}.\n\n"
               f"{model.folds}-fold cross-validated {model.scores.summary()} with **{NAMES[backbone_id]}**.")
    if data.skipped:
        summary += f"\n\nSkipped {len(data.skipped)} file(s): " + "; ".join(data.skipped[:10])
    confusion = plots.confusion(model.scores.confusion, "Cross-validated confusion (rows: true)")
    per_class = pd.DataFrame({"class": list(model.counts), "images": list(model.counts.values()),
                              "recall": [round(float(model.scores.confusion.loc[c, c]) / n, 3) for c, n in model.counts.items()]})
    return summary, confusion, per_class, model


@common.user_errors
def try_model(model, image):
    if model is None:
        raise common.ShowcaseError("Build a classifier first; then try it here.")
    return model.classify(embedder(model.backbone_id), image)


def build_ui() -> None:
    gr.Markdown(
        "Teach a new image classifier from **a handful of examples per class**: a frozen pretrained backbone "
        "turns each image into features and a linear classifier learns your classes on top, in seconds. "
        "Upload a zip of class folders (`cats/…`, `dogs/…`) or images named `class_xxx.jpg`."
    )
    with gr.Row():
        with gr.Column():
            files = gr.File(file_count="multiple", file_types=["image", ".zip"], label="Labelled images or a zip")
            backbone_id = gr.Dropdown([(name, key) for key, name in NAMES.items()], value=CHOICES[0], label="Backbone")
            button = gr.Button("Build classifier", variant="primary")
            summary = gr.Markdown()
            per_class = gr.DataFrame(label="Per class")
        with gr.Column():
            confusion = gr.Plot(label="Cross-validated confusion matrix")
            with gr.Group():
                image = common.image_input("Try the classifier on a new image")
                try_button = gr.Button("Classify")
                prediction = gr.Label(label="Prediction")
    model = gr.State()
    button.click(run, [files, backbone_id], [summary, confusion, per_class, model], api_name="finetune_image")
    try_button.click(try_model, [model, image], prediction, api_name="try_image_model")


def preload() -> None:
    """Nothing of its own: the backbones are the zero-shot and classification tabs' models."""
