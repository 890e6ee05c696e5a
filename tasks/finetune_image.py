"""A few-shot image classifier: frozen pretrained features and a linear probe (`/finetune_image`)."""

from __future__ import annotations

import html
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import gradio as gr
import pandas as pd
import torch
from PIL import Image

import models
from i18n import N_, Text
from models import contrastive
from models.errors import ShowcaseError
from models.linear_probe import LinearProbe, fit_linear
from models.tensors import IMAGES_PER_PASS
from toolkit import image_data, plots, ui
from toolkit.inputs import number, open_image
from toolkit.interface import t
from toolkit.messages import message, with_columns_translated
from toolkit.probe import Scores, Trial, cross_validate, fold_count, leaderboard, search
from toolkit.task import Endpoint, Task
from toolkit.training import in_steps, training_slot

# What a backbone of each family contributes, for the picker and the summary.
BACKBONE_KINDS = {
    "clip": N_("CLIP image encoder ({model})"),
    "image_classifier": N_("{model} pooled features (ImageNet)"),
}
THUMBNAIL = 160  # pixels: the training images an explanation shows are kept this small
NEAREST = 3  # training images an explanation shows per class
OWN_ENCODER = "self-supervised"  # the picker's value for the encoder uploaded from the Self-supervised tab
ONE, AUTO = N_("One backbone"), N_("Auto: every backbone and setting, cross-validated")


def backbone_name(model_id: str) -> Text:
    if model_id == OWN_ENCODER:
        return Text(N_("{model} (yours, from Self-supervised)"), {"model": contrastive.LABEL})
    return Text(BACKBONE_KINDS[models.family_of(model_id)], {"model": models.label(model_id)})


def short_name(model_id: str) -> str:
    """The backbone as the leaderboard names it."""
    return contrastive.LABEL if model_id == OWN_ENCODER else models.label(model_id)


def backbone(model_id: str, encoder_file=None):
    """The frozen backbone: a model of spaces.yaml, or the visitor's own self-supervised encoder."""
    if model_id != OWN_ENCODER:
        return TASK.load(model_id)
    if not encoder_file:
        raise ShowcaseError(
            "Upload the encoder (.safetensors) you downloaded from the Self-supervised tab, or pick another backbone."
        )
    return contrastive.read(getattr(encoder_file, "name", encoder_file))


def embed_all(
    backbone, images: list[Image.Image], on_progress: Callable[[int, int], None] | None = None
) -> torch.Tensor:
    """Unit feature vectors for every image, IMAGES_PER_PASS at a time, reporting progress."""
    chunks = []
    for start in range(0, len(images), IMAGES_PER_PASS):
        chunks.append(backbone.embed_images(images[start : start + IMAGES_PER_PASS]))
        if on_progress:
            on_progress(min(start + IMAGES_PER_PASS, len(images)), len(images))
    return torch.cat(chunks)


@dataclass
class TrainingImages:
    """The images a classifier was built from, as its explanation shows them: small copies (kept in
    the visitor's session), their features and their classes."""

    thumbnails: list[Image.Image]
    features: torch.Tensor  # unit vectors, a row per image
    labels: list[str]

    @classmethod
    def of(cls, images: list[Image.Image], features: torch.Tensor, labels: list[str]) -> TrainingImages:
        thumbnails = []
        for image in images:
            small = image.convert("RGB")
            small.thumbnail((THUMBNAIL, THUMBNAIL))
            thumbnails.append(small)
        return cls(thumbnails, features.float(), list(labels))

    def nearest(self, features: torch.Tensor, classes: list[str], per_class: int) -> list[tuple[int, float]]:
        """The training images (index, cosine similarity) nearest to one image's unit features, the
        `per_class` nearest of each class, classes in the order given."""
        cosines = self.features @ features.float()
        found = []
        for name in classes:
            rows = [i for i, label in enumerate(self.labels) if label == name]
            order = sorted(rows, key=lambda i: -float(cosines[i]))[:per_class]
            found += [(i, float(cosines[i])) for i in order]
        return found


@dataclass
class FewShotClassifier:
    backbone_id: str
    backbone: Any  # the frozen backbone itself: the visitor's own encoder cannot be loaded again by id
    probe: LinearProbe
    scores: Scores  # cross-validated
    folds: int
    counts: dict[str, int]
    training: TrainingImages
    weight_decay: float = 1e-3

    def classify(self, image) -> dict[str, float]:
        (ranking,) = self.probe.classify(self.backbone.embed_images([open_image(image)]))
        return ranking.named(self.probe.classes)

    def explain(self, image, per_class: int = NEAREST) -> tuple[dict[str, float], list[tuple[Image.Image, str]]]:
        """The image's classes by probability, and the training images nearest to it in the
        backbone's features (the ones the probe reads), per class, its likeliest class first."""
        features = self.backbone.embed_images([open_image(image)])
        (ranking,) = self.probe.classify(features)
        named = ranking.named(self.probe.classes)
        nearest = self.training.nearest(features[0], list(named), per_class)
        return named, [
            (self.training.thumbnails[i], f"{self.training.labels[i]} · {cosine:.2f}") for i, cosine in nearest
        ]


def fit(
    backbone_id: str,
    backbone,
    images: list[Image.Image],
    features: torch.Tensor,
    labels: list[str],
    weight_decay: float = 1e-3,
) -> FewShotClassifier:
    """Pure training function: cross-validated accuracy, then a probe fitted on every image."""
    counts = {label: labels.count(label) for label in sorted(set(labels))}
    folds = fold_count(labels)
    scores = cross_validate(features, labels, folds, weight_decay)
    probe = fit_linear(features, labels, weight_decay)
    training = TrainingImages.of(images, features, labels)
    return FewShotClassifier(backbone_id, backbone, probe, scores, folds, counts, training, weight_decay)


def auto_fit(
    backbone_ids: list[str],
    images: list[Image.Image],
    labels: list[str],
    budget_s: float,
    encoder_file=None,
    on_progress: Callable[[str], None] = lambda text: None,
) -> tuple[FewShotClassifier, list[Trial]]:
    """Pure AutoML function: every backbone and weight decay cross-validated within the budget; the
    best trial's probe is refitted on every image and kept."""
    loaded: dict[str, tuple[Any, torch.Tensor]] = {}  # model id -> the backbone and its features

    def features_of(model_id: str) -> Callable[[], torch.Tensor]:
        def compute() -> torch.Tensor:
            name = backbone_name(model_id)
            on_progress(message("Features from {name}", name=name))
            chosen = backbone(model_id, encoder_file)
            loaded[model_id] = (
                chosen,
                embed_all(
                    chosen,
                    images,
                    lambda done, total: on_progress(
                        message("Features from {name}: {done}/{total} images", name=name, done=done, total=total)
                    ),
                ),
            )
            return loaded[model_id][1]

        return compute

    trials = search(
        {model_id: features_of(model_id) for model_id in backbone_ids},
        labels,
        fold_count(labels),
        budget_s,
        on_trial=lambda trial: on_progress(
            message(
                "{name}, weight decay {weight_decay:g}: {accuracy:.1%}",
                name=backbone_name(trial.backbone),
                weight_decay=trial.weight_decay,
                accuracy=trial.scores.accuracy,
            )
        ),
    )
    best = trials[0]
    if best.scores is None:
        raise ShowcaseError("No backbone could be tried: {reasons}", reasons="; ".join(trial.note for trial in trials))
    chosen, features = loaded[best.backbone]
    kept = fit(best.backbone, chosen, images, features, labels, best.weight_decay)
    return kept, [replace(trial, backbone=short_name(trial.backbone)) for trial in trials]


@ui.user_errors
@ui.gpu_seconds(300)
def run(files, backbone_id, mode=ONE, budget_s=120, encoder_file=None, progress=gr.Progress()):
    """Builds a few-shot image classifier from a zip of class folders on a frozen backbone, or (Auto)
    on the best of every backbone and setting. A generator, so that Stop (or the visitor gone) ends
    the work at its next step: it yields nothing new until the classifier is built."""
    if not files:
        raise ShowcaseError("Upload a zip of class folders, or images named class_xxx.jpg.")
    if backbone_id != OWN_ENCODER:
        TASK.check(backbone_id)
    budget_s = number(budget_s, "The time budget", 5, 3600)

    def train(step_done: Callable[[], None]) -> tuple[FewShotClassifier, list[Trial], image_data.LabelledImages]:
        def report(fraction: float | None, text: str) -> None:
            progress(fraction, desc=text)
            step_done()

        report(0, message("Reading the images"))
        data = image_data.collect([getattr(f, "name", f) for f in files])
        image_data.check(data)
        if mode == AUTO:
            candidates = TASK.choices() + ([OWN_ENCODER] if encoder_file else [])
            model, trials = auto_fit(
                candidates, data.images, data.labels, budget_s, encoder_file, lambda text: report(None, text)
            )
            return model, trials, data
        report(0, message("Loading {name}", name=backbone_name(backbone_id)))
        chosen = backbone(backbone_id, encoder_file)
        features = embed_all(
            chosen,
            data.images,
            lambda done, total: report(
                done / total, message("Features: {done}/{total} images", done=done, total=total)
            ),
        )
        report(1, message("Fitting and cross-validating the linear classifier"))
        return fit(backbone_id, chosen, data.images, features, data.labels), [], data

    with training_slot():  # Stop (or the visitor gone) ends the work at its next step, and frees the slot
        model, trials, data = yield from in_steps(train, (gr.skip(),) * 5)
    # Class names come from folder names in the upload: escaped, they show as text, never as markup.
    classes = ", ".join(f"{html.escape(label)} ({n})" for label, n in model.counts.items())
    summary = message(
        "**{images} images**, {count} classes: {classes}.\n\n{folds}-fold cross-validated {scores} with **{name}**",
        images=len(data.images),
        count=len(model.counts),
        classes=classes,
        folds=model.folds,
        scores=model.scores.summary(),
        name=backbone_name(model.backbone_id),
    )
    summary += (
        message(
            " (weight decay {weight_decay:g}, the best of {tried} tried).",
            weight_decay=model.weight_decay,
            tried=sum(t.scores is not None for t in trials),
        )
        if trials
        else message(".")
    )
    if data.skipped:
        summary += "\n\n" + message(
            "Skipped {count} file(s): {skipped}",
            count=len(data.skipped),
            skipped=html.escape("; ".join(data.skipped[:10])),
        )
    confusion = plots.confusion(model.scores.confusion, message("Cross-validated confusion (rows: true)"))
    per_class = pd.DataFrame(
        {
            N_("class"): list(model.counts),
            N_("images"): list(model.counts.values()),
            N_("recall"): [round(float(model.scores.confusion.loc[c, c]) / n, 3) for c, n in model.counts.items()],
        }
    )
    board = gr.update(value=with_columns_translated(leaderboard(trials)), visible=bool(trials))
    yield summary, confusion, with_columns_translated(per_class), model, board


@ui.user_errors
def try_model(model, image):
    """Classifies one photo with the classifier this session built."""
    if model is None:
        raise ShowcaseError("Build a classifier first; then try it here.")
    return model.classify(image)


@ui.user_errors
def explain_model(model, image):
    """Shows what the classifier this session built compares a photo with: the training images
    nearest to it in the backbone's features, per class, its likeliest class first."""
    if model is None:
        raise ShowcaseError("Build a classifier first; then try it here.")
    named, nearest = model.explain(image)
    note = message(
        "The {count} training images of each class nearest to this photo in {name}'s features, which the "
        "linear classifier reads (cosine similarity under each), its likeliest class first: “{label}” "
        "({probability:.1%}).",
        count=NEAREST,
        name=backbone_name(model.backbone_id),
        label=next(iter(named)),
        probability=next(iter(named.values())),
    )
    return named, nearest, note


def build_ui() -> None:
    gr.Markdown(
        t(
            "Teach a new image classifier from **a handful of examples per class**: a frozen pretrained backbone "
            "turns each image into features and a linear classifier learns your classes on top, in seconds. "
            "Upload a zip of class folders (`cats/…`, `dogs/…`) or images named `class_xxx.jpg`. **Auto** tries "
            "every backbone with several regularisation strengths, ranks them by cross-validated accuracy "
            "(a leaderboard, as AutoGluon's) and keeps the best."
        )
    )
    with gr.Row():
        with gr.Column():
            files = gr.File(file_count="multiple", file_types=["image", ".zip"], label=t("Labelled images or a zip"))
            mode = ui.radio([ONE, AUTO], ONE, t("Mode"))
            names = {m: backbone_name(m) for m in [*TASK.choices(), OWN_ENCODER]}
            backbone_id = gr.Dropdown(
                [(t(name.template, **name.values), m) for m, name in names.items()],
                value=TASK.default(),
                label=t("Backbone"),
            )
            budget_s = gr.Slider(10, 600, value=120, step=10, label=t("Time budget for Auto (seconds)"), visible=False)
            encoder_file = gr.File(
                file_types=[".safetensors"],
                visible=False,
                height=120,
                label=t("Your self-supervised encoder (.safetensors, from the Self-supervised tab)"),
            )
            with gr.Row():
                button = gr.Button(t("Build classifier"), variant="primary")
                stop = gr.Button(t("Stop"), variant="stop")
            summary = gr.Markdown(label=t("Summary"))
            per_class = gr.DataFrame(label=t("Per class"))
        with gr.Column():
            confusion = gr.Plot(label=t("Cross-validated confusion matrix"))
            with gr.Group():
                image = ui.image_input(t("Try the classifier on a new image"), elem_id="finetune-image-try")
                with gr.Row():
                    try_button = gr.Button(t("Classify"))
                    explain_button = gr.Button(t("Explain"))
                prediction = gr.Label(label=t("Prediction"))
                nearest = gr.Gallery(
                    label=t("Explanation"), elem_id="finetune-image-explanation", columns=NEAREST, height="auto"
                )
                explained_line = ui.info_line()
    board = gr.DataFrame(label=t("Leaderboard (best first; the first row is the model kept)"), visible=False)
    model = gr.State()

    def show_settings(mode, backbone_id):
        return (
            gr.update(visible=mode == ONE),
            gr.update(visible=mode == AUTO),
            gr.update(visible=mode == AUTO or backbone_id == OWN_ENCODER),
        )

    # On the visitor's choice only: a change event also fires as a Chinese page draws the translated
    # picker, and answering it redrew the mode's radio with no choice shown.
    for control in (mode, backbone_id):
        control.input(
            show_settings, [mode, backbone_id], [backbone_id, budget_s, encoder_file], api_visibility="private"
        )
    inputs = [files, backbone_id, mode, budget_s, encoder_file]
    event = ui.bind(
        TASK.endpoint("finetune_image"), button.click, inputs, [summary, confusion, per_class, model, board]
    )
    stop.click(None, None, None, cancels=[event], api_visibility="private")
    ui.bind(TASK.endpoint("try_image_model"), try_button.click, [model, image], [prediction])
    explanation = [prediction, nearest, explained_line]
    ui.bind(TASK.endpoint("explain_image_model"), explain_button.click, [model, image], explanation)
    ui.cleared_by([image.change, button.click], explanation)


TASK = Task(
    __name__,
    "Few-shot images",
    "Training",
    {"model": ("clip", "image_classifier")},
    build_ui,
    # Training holds the server's one training slot: not for agents.
    endpoints=(
        Endpoint("finetune_image", run, tool=False),
        Endpoint("try_image_model", try_model, tool=False),
        Endpoint("explain_image_model", explain_model, tool=False),
    ),
)
