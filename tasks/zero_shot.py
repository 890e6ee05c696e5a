"""Zero-shot image classification with CLIP over labels the user types (`/zero_shot`)."""

from __future__ import annotations

import examples
from models.clip import Clip, Labels
from models.errors import ShowcaseError
from toolkit import class_explanations, heatmaps, runtime_ledger, sharing, ui
from toolkit.inputs import number, open_image, parse_labels
from toolkit.interface import t
from toolkit.messages import message
from toolkit.runtime_ledger import LedgerCall
from toolkit.task import Endpoint, Task

SHOWN_LABELS = 10
LABELS = ["cheetah, lion, house cat, dog, car", "猎豹, 狮子, 家猫, 狗, 汽车"]  # what the tab starts with, by language


def example_rows() -> list[list]:
    """Image, labels, prompt ensemble, and the model each runs on (Chinese labels: a CLIP that reads them)."""
    return TASK.with_models(
        [
            [examples.cheetah(), "cheetah, leopard, lion, house cat, dog", False],
            [examples.bus(), "a bus, a tram, a truck, people, a bicycle", True],
            [examples.lion(), "猫, 狗, 狮子, 老虎", False],
        ]
    )


def classify(clip: Clip, images: list, labels: list[str], ensemble: bool = False) -> list[tuple[dict[str, float], str]]:
    """Pure predict function: images (opened) and candidate labels in; for each image its labels'
    probabilities (the top SHOWN_LABELS) and the info line. Several images share one forward pass."""
    answers = clip.classify(images, labels, ensemble, SHOWN_LABELS)
    image_ms, text_ms = answers.timings["forward"], answers.timings["labels"]
    notes = [
        message(
            "Image {image_ms:.0f} ms; label prompts {text_ms:.0f} ms (cached for this label set).",
            image_ms=image_ms,
            text_ms=text_ms,
        )
    ]
    if len(labels) == 1:
        notes.append(message("With a single label the probability is always 100%: add labels to compare against."))
    notes.append(TASK.language_note(clip.model_id, labels))
    if len(images) > 1:
        notes.append(message("Answered in a batch of {count} requests with the same labels.", count=len(images)))
    info = ui.run_info(clip, (image_ms + text_ms) / len(images), " ".join(filter(None, notes)))
    return [(ranking.named(labels), info) for ranking in answers]


def prepare(image, labels_text, ensemble, model_id):
    """One request's checks, before it joins a batch; requests with the same labels share a pass."""
    return (TASK.check(model_id), tuple(parse_labels(labels_text)), bool(ensemble)), open_image(image)


def predict(key: tuple, images: list) -> list[tuple[dict[str, float], str]]:
    """Requests for one model and label set, through one forward pass."""
    model_id, labels, ensemble = key
    return classify(TASK.load(model_id), images, list(labels), ensemble)


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


def ledger_call(model_id: str, image, text: str = "", ensemble: bool = False) -> LedgerCall:
    """The runtime ledger of a photo against labels (the /runtimes endpoint's `text`: the labels)."""
    labels = parse_labels(text)
    clip = TASK.load(TASK.check(model_id))
    return runtime_ledger.of_ranking(
        clip, "classify", ([open_image(image)], labels, bool(ensemble), SHOWN_LABELS), labels
    )


@ui.user_errors
def runtimes_on_page(image, labels_text, ensemble, model_id):
    yield from runtime_ledger.on_page(ledger_call(model_id, image, labels_text, ensemble))


def explained(image, labels_text, ensemble, model_id, rank):
    """The photo opened, its heatmap for the label of that rank, and the line (the page and the API alike)."""
    labels = parse_labels(labels_text)
    rank = int(number(rank, "The rank", 1, min(len(labels), SHOWN_LABELS), whole=True))
    clip, photo = TASK.load(TASK.check(model_id)), open_image(image)
    return photo, *class_explanations.of_label(clip, photo, Labels(tuple(labels)), labels, bool(ensemble), rank)


@ui.user_errors
def explain(image, labels_text, ensemble, model_id, rank=1, opacity=heatmaps.OPACITY):
    """Shows where in a photo CLIP finds one of your labels: a heatmap over the photo (Grad-CAM of the
    photo's similarity to the label, at the patches entering CLIP's last transformer block).

    Args:
        image: the photo (JPEG, PNG, WebP or HEIC)
        labels_text: the candidate labels, separated by commas or new lines (English; Chinese CLIP reads Chinese)
        ensemble: true to average 7 prompt templates per label, false for one
        model_id: one of the models the tab offers (the API page lists them); the first is the default
        rank: which label to explain by its rank in the answer, 1 (the likeliest) to the number of labels
        opacity: how strongly the heat covers the photo, 0 to 1

    Returns:
        the photo with the heat over it, and a line naming the label, the method and the time it took
    """
    opacity = number(opacity, "The opacity", 0, 1)
    photo, heatmap, info = explained(image, labels_text, ensemble, model_id, rank)
    return heatmaps.overlay(photo, heatmap, opacity), info


@ui.user_errors
def explain_on_page(image, labels_text, ensemble, model_id, answer, rank, opacity):
    """The answer on screen explained: its label of that rank."""
    if not isinstance(answer, dict) or not answer:  # gr.Label hands over {label: probability}
        raise ShowcaseError("There is no answer to explain yet: classify a photo first.")
    photo, heatmap, info = explained(image, labels_text, ensemble, model_id, rank)
    return heatmaps.overlay(photo, heatmap, opacity), info, heatmap


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
            labels = gr.Textbox(value=LABELS[0], label=t("Candidate labels (comma-separated)"), lines=2)
            ui.greet(labels, ui.in_language(LABELS))
            ensemble = gr.Checkbox(value=False, label=t("Prompt ensemble (7 templates, as in the CLIP paper)"))
            model_id = ui.model_dropdown(TASK)
            button = gr.Button(t("Classify"), variant="primary")
        with gr.Column():
            label = gr.Label(num_top_classes=SHOWN_LABELS, label=t("Probabilities"), elem_id="zero-shot-top")
            info = ui.info_line()
            with gr.Row():
                rank = ui.whole_number(1, t("Label to explain (its rank)"), minimum=1, maximum=SHOWN_LABELS)
                explain_button = gr.Button(t("Explain"))
            shown, opacity, heatmap = ui.heatmap_output(image, "zero-shot-explanation")
            explained = ui.info_line()
    inputs = [image, labels, ensemble, model_id]
    sharing.panel(TASK, [*inputs, rank, opacity], [label, info, shown, explained])
    ledger = runtime_ledger.panel("zero-shot-runtimes")
    gr.Examples(example_rows(), inputs=inputs)
    runtime_ledger.bind(ledger, runtimes_on_page, inputs)
    ui.cleared_by([image.change, labels.change, model_id.change], ledger.outputs)
    ui.bind(TASK.endpoint("zero_shot"), button.click, inputs, [label, info])
    ui.cleared_by([image.change, button.click], [shown, heatmap, explained])
    ui.cleared_by([image.change], [label])
    explain_button.click(
        explain_on_page, [*inputs, label, rank, opacity], [shown, explained, heatmap], api_visibility="private"
    )
    ui.bind(
        TASK.endpoint("explain_zero_shot"),
        gr.Button(visible=False).click,
        [*inputs, rank, opacity],
        [gr.Image(visible=False, label=t("Explanation")), ui.info_line(visible=False)],
    )


TASK = Task(
    __name__,
    "Zero-shot (CLIP)",
    "Vision",
    {"model": ("clip",)},
    build_ui,
    endpoints=(Endpoint("zero_shot", run, batched=(prepare, predict)), Endpoint("explain_zero_shot", explain)),
    runtimes=ledger_call,
)
