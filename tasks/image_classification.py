"""ImageNet classification with torchvision classifiers (`/classify_image`)."""

from __future__ import annotations

import gradio as gr

import examples
import models
from models.errors import ShowcaseError
from models.image_classifier import DATASET, ImageClassifier
from toolkit import class_explanations, heatmaps, runtime_ledger, sharing, ui
from toolkit.inputs import number, open_image
from toolkit.interface import t
from toolkit.messages import class_names, message
from toolkit.runtime_ledger import LedgerCall
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


def ledger_call(model_id: str, image, text: str = "") -> LedgerCall:
    """The runtime ledger of a photo's top 5 (the /runtimes endpoint's, and the page's)."""
    classifier = TASK.load(model_id)
    names = class_names(DATASET, classifier.categories)
    return runtime_ledger.of_ranking(classifier, "top_k", ([open_image(image)], TOP_K), names)


@ui.user_errors
def runtimes_on_page(image, model_id):
    yield from runtime_ledger.on_page(ledger_call(model_id, image))


@ui.user_errors
def explain(image, model_id: str, rank: int = 1, opacity: float = heatmaps.OPACITY):
    """Shows where in a photo the evidence for one of its top 5 classes lies: a heatmap over the photo
    (the class activation map, which for these networks equals Grad-CAM at their last convolution).

    Args:
        image: the photo (JPEG, PNG, WebP or HEIC)
        model_id: one of the models the tab offers (the API page lists them); the first is the default
        rank: which of the top 5 classes to explain, 1 (the likeliest) to 5
        opacity: how strongly the heat covers the photo, 0 to 1

    Returns:
        the photo with the heat over it, and a line naming the class, the method and the time it took
    """
    rank = int(number(rank, "The rank", 1, TOP_K, whole=True))
    opacity = number(opacity, "The opacity", 0, 1)
    classifier, photo = TASK.load(model_id), open_image(image)
    heatmap, info = class_explanations.of_class(classifier, photo, rank)
    return heatmaps.overlay(photo, heatmap, opacity), info


@ui.user_errors
def explain_on_page(image, model_id, answer, rank, opacity):
    """The answer on screen explained: its class of that rank."""
    if not isinstance(answer, dict) or not answer:  # gr.Label hands over {class: probability}
        raise ShowcaseError("There is no answer to explain yet: classify a photo first.")
    rank = int(number(rank, "The rank", 1, len(answer), whole=True))
    classifier, photo = TASK.load(model_id), open_image(image)
    heatmap, info = class_explanations.of_class(classifier, photo, rank)
    return heatmaps.overlay(photo, heatmap, opacity), info, heatmap


def build_ui() -> None:
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
            label = gr.Label(num_top_classes=TOP_K, label=t("Top 5"), elem_id="image-classification-top")
            info = ui.info_line()
            with gr.Row():
                rank = ui.whole_number(1, t("Class to explain (its rank)"), minimum=1, maximum=TOP_K)
                explain_button = gr.Button(t("Explain"))
            shown, opacity, heatmap = ui.heatmap_output(image, "image-classification-explanation")
            explained = ui.info_line()
    sharing.panel(TASK, [image, model_id, rank, opacity], [label, info, shown, explained])
    ledger = runtime_ledger.panel("image-classification-runtimes")
    gr.Examples([[examples.cheetah()], [examples.lion()], [examples.bus()]], inputs=[image])
    ui.bind(TASK.endpoint("classify_image"), button.click, [image, model_id], [label, info])
    ui.cleared_by([image.change, button.click], [shown, heatmap, explained])
    ui.cleared_by([image.change], [label])
    runtime_ledger.bind(ledger, runtimes_on_page, [image, model_id])
    ui.cleared_by([image.change, model_id.change], ledger.outputs)
    on_screen = [image, model_id, label, rank, opacity]
    explain_button.click(explain_on_page, on_screen, [shown, explained, heatmap], api_visibility="private")
    ui.bind(
        TASK.endpoint("explain_classify_image"),
        gr.Button(visible=False).click,
        [image, model_id, rank, opacity],
        [gr.Image(visible=False, label=t("Explanation")), ui.info_line(visible=False)],
    )


TASK = Task(
    __name__,
    "Image classification",
    "Vision",
    {"model": ("image_classifier",)},
    build_ui,
    endpoints=(
        Endpoint("classify_image", run, batched=(prepare, predict)),
        Endpoint("explain_classify_image", explain),
    ),
    runtimes=ledger_call,
)
