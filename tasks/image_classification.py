"""ImageNet classification with torchvision classifiers (`/classify_image`)."""

from __future__ import annotations

import examples
import models
from models.device import Stopwatch
from models.image_classifier import ImageClassifier
from models.tensors import ranked
from toolkit import ui
from toolkit.i18n import t
from toolkit.inputs import open_image
from toolkit.messages import message
from toolkit.task import Task

TOP_K = 5


def classify(classifier: ImageClassifier, images: list, k: int = TOP_K) -> tuple[list[dict[str, float]], float]:
    """Pure predict function: images in, each image's top-k {class: probability} and the forward ms."""
    batch = classifier.preprocess([open_image(image) for image in images])
    watch = Stopwatch()
    with watch.measure(classifier.device):
        logits = classifier.forward(batch)
    return [ranked(row, classifier.categories, k) for row in logits.softmax(dim=-1).cpu()], watch.ms


def prepare(image, model_id):
    """One request's checks, before it joins a batch: the model must be offered, the image readable."""
    return TASK.check(model_id), open_image(image)


def predict(model_id: str, images: list) -> list[tuple]:
    """Requests for one model through one forward pass; each gets its top 5 and the info line."""
    classifier = TASK.load(model_id)
    tops, ms = classify(classifier, images)
    name = f"{models.label(model_id)} ({classifier.weights_name})"
    note = message("Answered in a batch of {count} requests ({ms:.0f} ms for the batch).", count=len(images), ms=ms)
    return [(top, ui.run_info(classifier, ms / len(images), note if len(images) > 1 else "", name)) for top in tops]


run = ui.one_request(
    prepare,
    predict,
    """Names what a photo shows: the top 5 of the 1,000 ImageNet classes.

    Args:
        image: the photo (JPEG, PNG, WebP or HEIC)
        model_id: one of the models the tab offers (the API page lists them); the first is the default

    Returns:
        the 5 most likely classes with their probabilities, and which model answered, how and how fast
    """,
)


def build_ui() -> None:
    import gradio as gr

    gr.Markdown(
        t(
            "Names the main object in a photo among the 1,000 ImageNet classes with a **torchvision "
            "ResNet**, using its weights' own preprocessing (resize, centre crop, normalise)."
        )
    )
    with gr.Row():
        with gr.Column():
            image = ui.image_input()
            model_id = ui.model_dropdown(TASK)
            button = gr.Button(t("Classify"), variant="primary")
        with gr.Column():
            label = gr.Label(num_top_classes=TOP_K, label=t("Top 5"))
            info = ui.info_line()
    gr.Examples([[examples.cheetah()], [examples.lion()], [examples.bus()]], inputs=[image])
    button.click(run, [image, model_id], [label, info], api_name="classify_image")
    ui.add_batched_api(prepare, predict, [image, model_id], [label, info], "classify_image_batched")


TASK = Task(__name__, "Image classification", "Vision", {"model": ("image_classifier",)}, build_ui)
