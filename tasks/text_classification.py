"""Sentiment classification with fine-tuned BERT-family models (`/classify_text`)."""

from __future__ import annotations

from dataclasses import dataclass

import gradio as gr
import pandas as pd

from models.device import Stopwatch
from models.sequence_classifier import SequenceClassifier
from models.tensors import TEXTS_PER_PASS, ranked
from toolkit import ui
from toolkit.i18n import t
from toolkit.inputs import text_lines
from toolkit.messages import message, with_columns_translated
from toolkit.task import Task

MAX_LINES = 1000
EXAMPLES = [
    "This movie was a masterpiece: moving, funny and beautifully shot.",
    "The battery died after two days and support never answered.\n"
    "Great value for the price, I would buy it again.\n"
    "It's fine. Nothing special.",
    "这家餐厅的菜很好吃，服务也很周到。",
]


@dataclass
class TextScores:
    probabilities: list[dict[str, float]]  # per text, every label, most likely first
    truncated: list[bool]  # texts cut to the model's limit
    ms: float


def classify(classifier: SequenceClassifier, texts: list[str]) -> TextScores:
    """Pure predict function: texts in, each text's label probabilities out, in batched passes."""
    watch = Stopwatch()
    with watch.measure(classifier.device):
        probabilities, truncated = classifier.probabilities(texts)
    return TextScores([ranked(row, classifier.labels) for row in probabilities], truncated, watch.ms)


def table(texts: list[str], scores: TextScores) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "text": texts,
            "label": [next(iter(p)) for p in scores.probabilities],
            "probability": [next(iter(p.values())) for p in scores.probabilities],
            "truncated": scores.truncated,
        }
    )


def read_lines(text) -> list[str]:
    return text_lines(text, "a sentence (or several, one per line)", MAX_LINES)


@ui.user_errors
def run(text, model_id):
    """Sentiment of each line of text (positive or negative, with probabilities).

    Args:
        text: one text per line (up to the tab's limit of lines)
        model_id: one of the models the tab offers (the API page lists them); the first is the default

    Returns:
        the first line's label probabilities, a table with every line's label, counts per label, and which model answered
    """
    texts = read_lines(text)
    classifier = TASK.load(model_id)
    scores = classify(classifier, texts)
    rows = table(texts, scores)
    # Every label the model knows, zeros included, so the bars compare against a zero baseline.
    counts = (
        rows["label"]
        .value_counts()
        .reindex(classifier.labels, fill_value=0)
        .rename_axis("label")
        .reset_index(name="texts")
    )
    notes = []
    if any(scores.truncated):
        notes.append(
            message(
                "{count} text(s) were longer than the model's {limit} tokens and were cut to fit.",
                count=sum(scores.truncated),
                limit=classifier.max_tokens,
            )
        )
    if len(texts) > 1:
        notes.append(
            message(
                "{count} lines classified in {passes} batched pass(es).",
                count=len(texts),
                passes=-(-len(texts) // TEXTS_PER_PASS),
            )
        )
    notes.append(TASK.language_note(model_id, texts, classifier.tokenizer))
    many = len(texts) > 1
    return (
        scores.probabilities[0],
        gr.update(value=with_columns_translated(rows), visible=many),
        gr.update(value=counts, visible=many, y_lim=[0, len(texts)]),
        ui.run_info(classifier, scores.ms, " ".join(notes)),
    )


def prepare(text, model_id):
    return TASK.check(model_id), read_lines(text)


def predict(model_id: str, requests: list[list[str]]) -> list[tuple]:
    """Every line of every request in one classify call; each request gets its first line's label."""
    classifier = TASK.load(model_id)
    scores = classify(classifier, [line for lines in requests for line in lines])
    note = message(
        "Answered in a batch of {count} requests ({lines} lines).", count=len(requests), lines=len(scores.probabilities)
    )
    outputs, start = [], 0
    for lines in requests:
        outputs.append((scores.probabilities[start], ui.run_info(classifier, scores.ms, note)))
        start += len(lines)
    return outputs


def build_ui() -> None:
    gr.Markdown(
        t(
            "Sentiment of a sentence, or of many (one per line, classified together in one batch), with a "
            "fine-tuned **BERT-family** model. The multilingual and Chinese models read other languages."
        )
    )
    with gr.Row():
        with gr.Column():
            text = gr.Textbox(label=t("Text (one per line for several)"), lines=5, max_length=200_000)
            model_id = ui.model_dropdown(TASK)
            button = gr.Button(t("Classify"), variant="primary")
        with gr.Column():
            label = gr.Label(label=t("First line"))
            info = ui.info_line()
    counts = gr.BarPlot(x="label", y="texts", label=t("Labels over all lines"), visible=False)
    rows = gr.DataFrame(label=t("Every line"), wrap=True, visible=False)
    gr.Examples(TASK.with_models([[e] for e in EXAMPLES]), inputs=[text, model_id])
    button.click(run, [text, model_id], [label, rows, counts, info], api_name="classify_text")
    ui.add_batched_api(prepare, predict, [text, model_id], [label, info], "classify_text_batched")


TASK = Task(__name__, "Text classification", "Language", {"model": ("sequence_classifier",)}, build_ui)
