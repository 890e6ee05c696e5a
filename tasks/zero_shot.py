"""Zero-shot image classification with CLIP over labels the user types (`/zero_shot`)."""

from __future__ import annotations

from dataclasses import dataclass

import torch

import examples
from models.clip import Clip
from models.device import Stopwatch
from models.tensors import ranked
from toolkit import ui
from toolkit.i18n import t
from toolkit.inputs import has_chinese, open_image, parse_labels
from toolkit.messages import message
from toolkit.task import Task

SHOWN_LABELS = 10


def example_rows() -> list[list]:
    """Image, labels, prompt ensemble, and the model each runs on (Chinese labels: a Chinese CLIP)."""
    return TASK.with_models(
        [
            [examples.cheetah(), "cheetah, leopard, lion, house cat, dog", False],
            [examples.bus(), "a bus, a tram, a truck, people, a bicycle", True],
            [examples.lion(), "猫, 狗, 狮子, 老虎", False],
        ]
    )


@dataclass
class ZeroShotResult:
    probabilities: torch.Tensor  # [images, labels]
    labels: list[str]
    image_ms: float
    text_ms: float

    def top(self, row: int, k: int) -> dict[str, float]:
        return ranked(self.probabilities[row], self.labels, k)


def classify(clip: Clip, images: list, labels: list[str], ensemble: bool = False) -> ZeroShotResult:
    """Pure predict function: images and candidate labels in, probabilities per image out."""
    rgb = [open_image(image) for image in images]
    text_watch, image_watch = Stopwatch(), Stopwatch()
    with text_watch.measure(clip.device):
        label_features = clip.label_embeddings(labels, ensemble)
    pixel_values = clip.preprocess(rgb)
    with image_watch.measure(clip.device):
        image_features = clip.forward(pixel_values)
    return ZeroShotResult(clip.probabilities(image_features, label_features), labels, image_watch.ms, text_watch.ms)


def notes(clip: Clip, labels: list[str]) -> str:
    lines = []
    if len(labels) == 1:
        lines.append(message("With a single label the probability is always 100%: add labels to compare against."))
    if clip.language != "zh" and has_chinese(labels) and TASK.chinese_reader():
        lines.append(
            message(
                "This CLIP was trained on English; for Chinese labels choose `{reader}`.", reader=TASK.chinese_reader()
            )
        )
    return " ".join(lines)


def prepare(image, labels_text, ensemble, model_id):
    """One request's checks, before it joins a batch; requests with the same labels share a pass."""
    return (TASK.check(model_id), tuple(parse_labels(labels_text)), bool(ensemble)), open_image(image)


def predict(key: tuple, images: list) -> list[tuple]:
    model_id, labels, ensemble = key
    clip = TASK.load(model_id)
    result = classify(clip, images, list(labels), ensemble)
    timing = message(
        "Image {image_ms:.0f} ms; label prompts {text_ms:.0f} ms (cached for this label set).",
        image_ms=result.image_ms,
        text_ms=result.text_ms,
    )
    batch = (
        message("Answered in a batch of {count} requests with the same labels.", count=len(images))
        if len(images) > 1
        else ""
    )
    note = " ".join(filter(None, [timing, notes(clip, list(labels)), batch]))
    ms = (result.image_ms + result.text_ms) / len(images)
    return [(result.top(row, SHOWN_LABELS), ui.run_info(clip, ms, note)) for row in range(len(images))]


run = ui.one_request(
    prepare,
    predict,
    """Picks which of your labels fits a photo best, with CLIP (zero-shot: no training on them).

    Args:
        image: the photo (JPEG, PNG, WebP or HEIC)
        labels_text: the candidate labels, separated by commas or new lines (English; Chinese CLIP reads Chinese)
        ensemble: true to average 7 prompt templates per label (slower, often better), false for one
        model_id: one of the models the tab offers (the API page lists them); the first is the default

    Returns:
        each label's probability, most likely first, and which model answered, how and how fast
    """,
)


def build_ui() -> None:
    import gradio as gr

    gr.Markdown(
        t(
            "**CLIP** scores an image against any labels you type, without training on them: each label becomes "
            "a prompt such as *a photo of a cat.* and CLIP picks the closest. For Chinese labels, choose the "
            "Chinese CLIP."
        )
    )
    with gr.Row():
        with gr.Column():
            image = ui.image_input()
            labels = gr.Textbox(
                value="cheetah, lion, house cat, dog, car",
                label=t("Candidate labels (comma-separated)"),
                lines=2,
            )
            ensemble = gr.Checkbox(value=False, label=t("Prompt ensemble (7 templates, as in the CLIP paper)"))
            model_id = ui.model_dropdown(TASK)
            button = gr.Button(t("Classify"), variant="primary")
        with gr.Column():
            label = gr.Label(num_top_classes=SHOWN_LABELS, label=t("Probabilities"))
            info = ui.info_line()
    inputs = [image, labels, ensemble, model_id]
    gr.Examples(example_rows(), inputs=inputs)
    button.click(run, inputs, [label, info], api_name="zero_shot")
    ui.add_batched_api(prepare, predict, inputs, [label, info], "zero_shot_batched")


TASK = Task(__name__, "Zero-shot (CLIP)", "Vision", {"model": ("clip",)}, build_ui)
