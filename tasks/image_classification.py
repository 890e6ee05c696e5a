"""ImageNet classification with torchvision classifiers (`/classify_image`)."""

from __future__ import annotations

import examples
import models
from models.image_classifier import DATASET, ImageClassifier
from toolkit import ui
from toolkit.inputs import open_image
from toolkit.interface import t
from toolkit.messages import class_names, message
from toolkit.task import Endpoint, Task

TOP_K = 5


def classify(classifier: ImageClassifier, images: list) -> list[tuple[dict[str, float], str]]:
    """Pure predict function: images (opened) in, for each its top 5 {class: probability} in the
    visitor's language and the info line; several images go through one forward pass."""
    answers = classifier.top_k(images, TOP_K)
    names = class_names(DATASET, classifier.categories)
    ms = answers.timings["forward"]
    name = f"{models.label(classifier.model_id)} ({classifier.weights_name})"
    note = message("Answered in a batch of {count} requests ({ms:.0f} ms for the batch).", count=len(images), ms=ms)
    info = ui.run_info(classifier, ms / len(images), note if len(images) > 1 else "", name)
    return [(ranking.named(names), info) for ranking in answers]


def prepare(image, model_id):
    """One request's checks, before it joins a batch: the model must be offered, the image readable."""
    return TASK.check(model_id), open_image(image)


def predict(model_id: str, images: list) -> list[tuple[dict[str, float], str]]:
    """Requests for one model, through one forward pass."""
    return classify(TASK.load(model_id), images)


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
    ui.bind(TASK.endpoint("classify_image"), button.click, [image, model_id], [label, info])


TASK = Task(
    __name__,
    "Image classification",
    "Vision",
    {"model": ("image_classifier",)},
    build_ui,
    endpoints=(Endpoint("classify_image", run, batched=(prepare, predict)),),
)
