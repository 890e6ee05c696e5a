"""Sentiment classification with fine-tuned BERT-family models (`/classify_text`)."""

from __future__ import annotations

import operator

import gradio as gr
import pandas as pd

from i18n import N_
from models.base import Answers
from models.errors import ShowcaseError
from models.sequence_classifier import ClassifiedText
from models.tensors import TEXTS_PER_PASS
from toolkit import runtime_ledger, sharing, text_explanations, ui
from toolkit.inputs import number, text_lines
from toolkit.interface import t
from toolkit.messages import message, with_columns_translated
from toolkit.runtime_ledger import LedgerCall
from toolkit.task import Endpoint, Task

MAX_LINES = 1000
EXAMPLES = [
    "This movie was a masterpiece: moving, funny and beautifully shot.",
    "The battery died after two days and support never answered.\n"
    "Great value for the price, I would buy it again.\n"
    "It's fine. Nothing special.",
    "这家餐厅的菜很好吃，服务也很周到。",
]
# Column titles: English here, in the visitor's language on screen (N_ marks them for the catalogs).
TEXT = N_("text")
LABEL = N_("label")
PROBABILITY = N_("probability")
TRUNCATED = N_("truncated")


def table(texts: list[str], answers: Answers[ClassifiedText], labels: list[str]) -> pd.DataFrame:
    """A row per text: its most likely label, that label's probability, and whether it was cut."""
    firsts = [next(iter(row.ranking.named(labels).items())) for row in answers]
    return pd.DataFrame(
        {
            TEXT: texts,
            LABEL: [label for label, _ in firsts],
            PROBABILITY: [probability for _, probability in firsts],
            TRUNCATED: [row.truncated for row in answers],
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
        the first line's label probabilities, a table with every line's label, counts per label, the info line
    """
    texts = read_lines(text)
    classifier = TASK.load(model_id)
    answers = classifier.classify(texts)
    rows = table(texts, answers, classifier.labels)
    # Every label the model knows, zeros included, so the bars compare against a zero baseline.
    counts = (
        rows[LABEL]
        .value_counts()
        .reindex(classifier.labels, fill_value=0)
        .rename_axis("label")
        .reset_index(name="texts")
    )
    notes = []
    truncated = sum(row.truncated for row in answers)
    if truncated:
        notes.append(
            message(
                "{count} text(s) were longer than the model's {limit} tokens and were cut to fit.",
                count=truncated,
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
        answers[0].ranking.named(classifier.labels),
        # Empty when hidden: a shared result shows them again when they hold something (toolkit.sharing).
        gr.update(value=with_columns_translated(rows) if many else None, visible=many),
        gr.update(value=counts if many else None, visible=many, y_lim=[0, len(texts)]),
        ui.run_info(classifier, answers.timings["forward"], " ".join(notes)),
    )


def prepare(text, model_id):
    return TASK.check(model_id), read_lines(text)


def predict(model_id: str, requests: list[list[str]]) -> list[tuple]:
    """Every line of every request in one classify call; each request gets its first line's label."""
    classifier = TASK.load(model_id)
    answers = classifier.classify([line for lines in requests for line in lines])
    note = message("Answered in a batch of {count} requests ({lines} lines).", count=len(requests), lines=len(answers))
    info = ui.run_info(classifier, answers.timings["forward"], note)
    outputs, start = [], 0
    for lines in requests:
        outputs.append((answers[start].ranking.named(classifier.labels), info))
        start += len(lines)
    return outputs


def ledger_call(model_id: str, image=None, text: str = "") -> LedgerCall:
    """The runtime ledger of the first line's labels (the /runtimes endpoint's, and the page's)."""
    classifier = TASK.load(model_id)
    ranking = operator.attrgetter("ranking")
    return runtime_ledger.of_ranking(classifier, "classify", ([read_lines(text)[0]],), classifier.labels, ranking)


@ui.user_errors
def runtimes_on_page(text, model_id):
    yield from runtime_ledger.on_page(ledger_call(model_id, text=text))


def explained(text, model_id, rank) -> tuple[list, str]:
    """The first line's tokens coloured by how much each holds up its class of that rank, and the line."""
    first = read_lines(text)[0]
    classifier = TASK.load(model_id)
    rank = int(number(rank, "The rank", 1, len(classifier.labels), whole=True))
    answer = classifier.token_effects([first], [rank - 1])
    (found,) = answer
    note = text_explanations.line(found, classifier.labels[found.class_index], rank)
    return text_explanations.highlighted(found), ui.run_info(classifier, answer.timings.total_ms, note)


@ui.user_errors
def explain(text, model_id, rank=1):
    """Shows which words of a text make a sentiment model answer as it does: each token is masked in
    turn and coloured by how much the probability of the class drops (red: holds it up, purple:
    pulls against it). Only the first line is explained.

    Args:
        text: the text (only its first line is explained)
        model_id: one of the models the tab offers (the API page lists them); the first is the default
        rank: which class to explain by its rank in the answer, 1 (the likeliest) to the number of classes

    Returns:
        the text's tokens with their effects from -1 to 1, and a line naming the class and the strongest tokens
    """
    return explained(text, model_id, rank)


@ui.user_errors
def explain_on_page(text, model_id, answer, rank):
    """The answer on screen explained: the first line's class of that rank."""
    if not isinstance(answer, dict) or not answer:  # gr.Label hands over {label: probability}
        raise ShowcaseError("There is no answer to explain yet: classify a text first.")
    return explained(text, model_id, rank)


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
            label = gr.Label(label=t("First line"), elem_id="text-classification-top")
            info = ui.info_line()
            with gr.Row():
                rank = ui.whole_number(1, t("Class to explain (its rank)"), minimum=1)
                explain_button = gr.Button(t("Explain"))
            highlighted = gr.HighlightedText(
                label=t("Explanation"), elem_id="text-classification-explanation", combine_adjacent=False
            )
            explained_line = ui.info_line()
    counts = gr.BarPlot(
        x="label", y="texts", x_title=t("label"), y_title=t("texts"), label=t("Labels over all lines"), visible=False
    )
    rows = gr.DataFrame(label=t("Every line"), wrap=True, visible=False)
    sharing.panel(TASK, [text, model_id, rank], [label, info, highlighted, explained_line, counts, rows])
    ledger = runtime_ledger.panel("text-classification-runtimes")
    gr.Examples(TASK.with_models([[e] for e in EXAMPLES]), inputs=[text, model_id])
    runtime_ledger.bind(ledger, runtimes_on_page, [text, model_id])
    ui.cleared_by([text.change, model_id.change], ledger.outputs)
    ui.bind(TASK.endpoint("classify_text"), button.click, [text, model_id], [label, rows, counts, info], [label, info])
    ui.cleared_by([text.change, button.click], [highlighted, explained_line])
    explain_button.click(
        explain_on_page, [text, model_id, label, rank], [highlighted, explained_line], api_visibility="private"
    )
    ui.bind(
        TASK.endpoint("explain_classify_text"),
        gr.Button(visible=False).click,
        [text, model_id, rank],
        [gr.HighlightedText(visible=False, label=t("Explanation")), ui.info_line(visible=False)],
    )


TASK = Task(
    __name__,
    "Text classification",
    "Language",
    {"model": ("sequence_classifier",)},
    build_ui,
    endpoints=(
        Endpoint("classify_text", run, batched=(prepare, predict)),
        Endpoint("explain_classify_text", explain),
    ),
    runtimes=ledger_call,
)
