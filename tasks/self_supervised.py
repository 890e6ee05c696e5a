"""Self-supervised pretraining: a small CNN learns from unlabelled images alone (SimCLR), then a
linear probe, a 2-D map and nearest neighbours show what it learnt (`/pretrain`)."""

from __future__ import annotations

import html
import time
from collections import Counter
from dataclasses import dataclass, field

import gradio as gr
import pandas as pd
import torch

import models
from i18n import N_
from models import contrastive
from models.errors import ModelUnavailable, ShowcaseError
from toolkit import image_data, ui
from toolkit.image_data import LabelledImages
from toolkit.inputs import number
from toolkit.interface import t
from toolkit.messages import message, with_columns_translated
from toolkit.probe import cross_validate, fold_count, stratified_sample
from toolkit.task import Endpoint, Task
from toolkit.training import Progress, RunStore, loss_frame, optimise, training_slot

CIFAR10 = N_("CIFAR-10 (torchvision downloads it once, 170 MB)")
UPLOAD = N_("Your own images (a zip, or image files)")
# Column titles: English here, in the visitor's language on screen (N_ marks them for the catalogs).
ENCODER = N_("encoder")
PROBE_ACCURACY = N_("probe accuracy")
MACRO_F1 = N_("macro-F1")
IMAGES, FOLDS = N_("images"), N_("folds")
TABLE_COLUMNS = [ENCODER, PROBE_ACCURACY, MACRO_F1, IMAGES, FOLDS]
PROBE_IMAGES = 500  # labelled images each encoder's linear probe is cross-validated on
NEIGHBOURS = 8
PICKABLE = 48  # images offered for the neighbour search
KEPT_SIDE = 96  # uploads are kept this small: the encoder reads 32 px, the gallery shows a little more
RUNS = RunStore()


@dataclass
class Pretraining:
    encoder: contrastive.ContrastiveEncoder
    random: contrastive.ContrastiveEncoder  # the same network before pretraining
    data: LabelledImages
    losses: list[tuple[int, float]]
    seconds: float
    epochs: int


def pretrain(data: LabelledImages, epochs: int, batch_size: int, learning_rate: float, seed: int = 0):
    """Pure training function: yields Progress after every step, then the Pretraining. Closing the
    iterator (Stop, the visitor gone) stops it at the next step."""
    started = time.perf_counter()
    encoder, random = contrastive.new(seed), contrastive.new(seed)
    pixels = contrastive.to_pixels(data.images).to(encoder.device)
    augment = contrastive.augmentation()
    batch_size = min(batch_size, len(pixels))
    # Whole batches only: a small last batch has fewer negatives, so a lower loss that means nothing.
    starts = list(range(0, len(pixels) - batch_size + 1, batch_size))

    def batches():
        order = torch.randperm(len(pixels), device=pixels.device)
        return (pixels[order[s : s + batch_size]] for s in starts)

    def loss_of(batch: torch.Tensor) -> torch.Tensor:
        first, second = contrastive.two_views(batch, augment)
        return contrastive.nt_xent(encoder.network(first), encoder.network(second))

    update = None
    for update in optimise(encoder.network, batches, loss_of, len(starts), epochs, learning_rate, weight_decay=1e-6):
        yield update
    encoder.trained_on = f"{len(pixels)} images, {epochs} epochs"
    yield Pretraining(encoder, random, data, update.losses if update else [], time.perf_counter() - started, epochs)


@dataclass
class Evaluation:
    table: pd.DataFrame  # one row per encoder: its cross-validated linear-probe accuracy
    rows: list[int]  # the images probed (indices into the data)
    features: dict[str, torch.Tensor] = field(default_factory=dict)  # encoder name -> unit features of those rows


def evaluate(result: Pretraining, reference=None) -> Evaluation:
    """Linear probes on the labelled images: the pretrained encoder against its random start (and
    an ImageNet-supervised reference where its weights exist)."""
    labels = result.data.labels
    rows = interleaved(stratified_sample(labels, PROBE_IMAGES), labels)
    images, probed = [result.data.images[i] for i in rows], [labels[i] for i in rows]
    encoders = {
        message("Self-supervised (pretrained here)"): result.encoder,
        message("Same CNN, random weights"): result.random,
    }
    if reference is not None:
        encoders[message("{name} (ImageNet labels)", name=models.label(reference.model_id))] = reference
    features = {name: encoder.embed_images(images) for name, encoder in encoders.items()}
    folds = fold_count(probed) if "" not in probed and len(set(probed)) > 1 else 0
    if folds < 2:
        return Evaluation(pd.DataFrame(), rows, features)  # no classes to probe with: the map and neighbours only
    scored = {name: cross_validate(f, probed, folds) for name, f in features.items()}
    table = pd.DataFrame(
        {
            ENCODER: list(scored),
            PROBE_ACCURACY: [f"{s.accuracy:.1%}" for s in scored.values()],
            MACRO_F1: [round(s.macro_f1, 3) for s in scored.values()],
        }
    )
    table[IMAGES], table[FOLDS] = len(rows), folds
    return Evaluation(table, rows, features)


def interleaved(rows: list[int], labels: list[str]) -> list[int]:
    """The rows one class after another, round-robin, so that the first few show every class."""
    seen: Counter[str] = Counter()
    order = []
    for row in rows:
        order.append((seen[labels[row]], labels[row], row))
        seen[labels[row]] += 1
    return [row for *_, row in sorted(order)]


def projection(features: torch.Tensor, labels: list[str]) -> pd.DataFrame:
    """A 2-D map of the embeddings (their two principal components), one point per image."""
    centred = features - features.mean(dim=0)
    _, _, axes = torch.pca_lowrank(centred, q=2, center=False)
    xy = (centred @ axes[:, :2]).numpy()
    return pd.DataFrame(
        {
            "x": xy[:, 0].round(3),
            "y": xy[:, 1].round(3),
            "class": [label or message("(unlabelled)") for label in labels],
        }
    )


def neighbours(features: torch.Tensor, index: int, k: int = NEIGHBOURS) -> list[tuple[int, float]]:
    """The k images closest to one (cosine similarity), closest first, itself left out."""
    similarity = features @ features[index]
    similarity[index] = -2.0
    top = similarity.topk(min(k, len(similarity) - 1))
    return [(i, round(float(s), 3)) for s, i in zip(top.values.tolist(), top.indices.tolist())]


def reference_encoder():
    """ResNet-50's ImageNet features, or None where its weights cannot be had (said in the summary)."""
    try:
        return TASK.load(TASK.default("reference"), "reference")
    except ModelUnavailable:
        return None


@ui.user_errors
@ui.gpu_seconds(600)
def run(source, files, max_images, epochs, batch_size, learning_rate, progress=gr.Progress()):
    """Pretrains the encoder on unlabelled images, streaming the loss, then probes what it learnt."""
    max_images = number(max_images, "Images used", 16, image_data.MAX_IMAGES, whole=True)
    epochs = number(epochs, "Epochs", 1, 500, whole=True)
    batch_size = number(batch_size, "Batch size", 8, 512, whole=True)
    learning_rate = number(learning_rate, "The learning rate", 1e-6, 1.0)
    with training_slot():
        progress(0, desc=message("Reading the images"))
        if source == UPLOAD:
            if not files:
                raise ShowcaseError("Upload a zip of images (class folders are optional: they let the probe score it).")
            data = image_data.collect([getattr(f, "name", f) for f in files], KEPT_SIDE, unlabelled=True)
            keep = stratified_sample(data.labels, max_images)
            data = LabelledImages(
                [data.images[i] for i in keep],
                [data.labels[i] for i in keep],
                [data.names[i] for i in keep],
                data.skipped,
            )
        else:
            data = image_data.cifar10(max_images)
        if len(data.images) < 16:
            raise ShowcaseError(
                "Found {count} usable images; contrastive pretraining needs at least 16.", count=len(data.images)
            )
        for update in pretrain(data, epochs, batch_size, learning_rate):
            if isinstance(update, Progress):
                progress(update.fraction, desc=update.message)
                yield update.message, loss_frame(update.losses), *[gr.skip()] * 5
        result = update
        progress(1, desc=message("Linear probes: pretrained against random weights"))
        evaluation = evaluate(result, reference_encoder())
    path = RUNS.save_file(result.encoder.save, "self-supervised-encoder.safetensors")
    yield (
        summary(result, evaluation),
        loss_frame(result.losses),
        with_columns_translated(evaluation.table),
        projection(next(iter(evaluation.features.values())), [data.labels[i] for i in evaluation.rows]),
        [(data.images[i], data.labels[i] or None) for i in evaluation.rows[:PICKABLE]],
        str(path),
        (result, evaluation),
    )


def summary(result: Pretraining, evaluation: Evaluation) -> str:
    classes = sorted({label for label in result.data.labels if label})
    text = (
        message(
            "Pretrained on **{images} images** for {epochs} epochs in {seconds:.0f} s, without their labels; final "
            "loss {loss:.3f}.",
            images=len(result.data.images),
            epochs=result.epochs,
            seconds=result.seconds,
            loss=result.losses[-1][1],
        )
        if result.losses
        else ""
    )
    classes = sorted({label for label in result.data.labels if label})
    if evaluation.table.empty and len(classes) == 1:
        text += "\n\n" + message(
            "One class only ('{label}'): scoring needs two or more class folders; see the map and the neighbours.",
            label=html.escape(classes[0]),
        )
    elif evaluation.table.empty:
        text += "\n\n" + message(
            "No classes to score it with (put images in class folders): see the map and the neighbours."
        )
    else:
        text += "\n\n" + message(
            "Linear probe, {folds}-fold cross-validated on {rows} labelled images of {classes} classes "
            "(chance {chance:.0%}): the gain is what pretraining learnt.",
            folds=evaluation.table["folds"][0],
            rows=len(evaluation.rows),
            classes=len(classes),
            chance=1 / len(classes),
        )
        if len(evaluation.features) == 2:
            text += message(
                " {name}'s ImageNet features are not compared: its weights cannot be downloaded here.",
                name=models.label(TASK.default("reference")),
            )
    if result.data.skipped:
        text += "\n\n" + message(
            "Skipped {count} file(s): {skipped}",
            count=len(result.data.skipped),
            skipped=html.escape("; ".join(result.data.skipped[:5])),
        )
    return text


@ui.user_errors
def show_neighbours(state, selected: gr.SelectData):
    """The picked image's nearest neighbours under the pretrained encoder, and how random weights fare."""
    if state is None:
        raise ShowcaseError("Pretrain an encoder first; then pick an image.")
    result, evaluation = state
    (pretrained, random) = list(evaluation.features.values())[:2]
    labels = [result.data.labels[i] for i in evaluation.rows]
    found = neighbours(pretrained, selected.index)
    gallery = [(result.data.images[evaluation.rows[i]], f"{labels[i] or ''} · {score:.2f}") for i, score in found]
    if not labels[selected.index]:
        return gallery, ""
    same = sum(labels[i] == labels[selected.index] for i, _ in found)
    same_random = sum(labels[i] == labels[selected.index] for i, _ in neighbours(random, selected.index))
    return gallery, message(
        "Same class ({label}): **{same} of {count}** with the pretrained encoder, {same_random} of "
        "{count} with random weights.",
        label=labels[selected.index],
        same=same,
        count=len(found),
        same_random=same_random,
    )


def build_ui() -> None:
    gr.Markdown(
        t(
            "Learn from images **without labels**: a small CNN sees two randomly cropped, flipped and recoloured "
            "views of each image and learns to tell which views come from the same image (SimCLR's contrastive "
            "loss). A linear probe then measures what it learnt, against the same CNN with random weights. Download "
            "the encoder and use it as a backbone in *Few-shot images*."
        )
    )
    with gr.Row():
        with gr.Column():
            source = ui.radio([CIFAR10, UPLOAD], CIFAR10, t("Images"))
            files = gr.File(
                file_count="multiple",
                file_types=["image", ".zip"],
                visible=False,
                label=t("Images or a zip (class folders let the probe score the encoder)"),
            )
            with gr.Row():
                max_images = gr.Slider(
                    100, image_data.MAX_IMAGES, value=2000, step=100, label=t("Images used"), precision=0
                )
                epochs = gr.Slider(1, 200, value=30, step=1, label=t("Epochs"), precision=0)
            with gr.Accordion(t("Training settings"), open=False):
                batch_size = gr.Slider(16, 256, value=64, step=16, label=t("Batch size"), precision=0)
                learning_rate = gr.Number(value=1e-3, label=t("Learning rate (Adam)"))
            with gr.Row():
                button = gr.Button(t("Pretrain"), variant="primary")
                stop = gr.Button(t("Stop"), variant="stop")
            status = gr.Markdown(label=t("Status"))
            losses = gr.LinePlot(
                x="step",
                y="loss",
                label=t("Contrastive loss (NT-Xent)"),
                x_title=t("step"),
                y_title=t("loss"),
                height=220,
            )
            table = ui.table_with_columns(
                gr.DataFrame(label=t("Linear probe: pretrained vs random weights")), TABLE_COLUMNS
            )
            download = gr.File(label=t("Pretrained encoder (.safetensors, for Few-shot images)"), height=90)
        with gr.Column():
            scatter = gr.ScatterPlot(
                x="x",
                y="y",
                color="class",
                label=t("The embeddings in 2-D (principal components)"),
                x_title=t("first principal component"),
                y_title=t("second principal component"),
                color_title=t("class"),
                elem_id="ssl-map",
            )
            pickable = gr.Gallery(
                label=t("Pick an image to see its nearest neighbours"),
                columns=8,
                height=220,
                allow_preview=False,
                elem_id="ssl-pickable",
            )
            found = gr.Gallery(
                label=t("Nearest neighbours (pretrained encoder, cosine similarity)"),
                columns=8,
                height=140,
                allow_preview=False,
            )
            agreement = gr.Markdown()
    state = gr.State()
    source.change(lambda choice: gr.update(visible=choice == UPLOAD), source, files, api_visibility="private")
    event = ui.bind(
        TASK.endpoint("pretrain"),
        button.click,
        [source, files, max_images, epochs, batch_size, learning_rate],
        [status, losses, table, scatter, pickable, download, state],
    )
    stop.click(None, None, None, cancels=[event], api_visibility="private")
    pickable.select(show_neighbours, state, [found, agreement], api_visibility="private")


TASK = Task(
    __name__,
    "Self-supervised",
    "Training",
    {"reference": ("image_classifier",)},
    build_ui,
    # Training holds the server's one training slot: not for agents.
    endpoints=(Endpoint("pretrain", run, tool=False),),
)
