"""Semantic similarity and search with sentence embeddings (`/similarity`)."""

from __future__ import annotations

from dataclasses import dataclass

import gradio as gr
import numpy as np
import pandas as pd

from i18n import N_
from models.errors import ShowcaseError
from models.sentence_encoder import Alignment, SentenceEncoder
from toolkit import plots, runtime_ledger, sharing, ui
from toolkit.inputs import number, text_lines
from toolkit.interface import t
from toolkit.messages import message, with_columns_translated
from toolkit.runtime_ledger import LedgerCall
from toolkit.task import Endpoint, Task

MAX_SENTENCES = 500
STRONGEST = 3  # tokens of each side an explanation names
EXAMPLE_SENTENCES = "\n".join(
    [
        "A man is playing a guitar on stage.",
        "Someone performs music with a stringed instrument.",
        "The stock market fell sharply on Monday.",
        "Shares dropped at the start of the week.",
        "A cat is sleeping on the sofa.",
        "How do I reset my password?",
        "I forgot my login credentials and cannot sign in.",
    ]
)
QUERIES = ["I can't log in to my account", "我登录不了我的账号"]
CHINESE_SENTENCES = "\n".join(
    ["我忘记了密码，无法登录。", "怎样重置我的密码？", "今天股市大跌。", "一只猫在沙发上睡觉。", "他在舞台上弹吉他。"]
)


# Column titles: English here, in the visitor's language on screen (N_ marks them for the catalogs).
QUERY = N_("query")
RANK = N_("rank")
SENTENCE = N_("sentence")
COSINE = N_("cosine")


@dataclass
class Similarities:
    queries: list[str]
    sentences: list[str]
    scores: np.ndarray  # cosine similarity [queries, sentences]
    ms: float

    def ranking(self) -> pd.DataFrame:
        """Every sentence ranked for each query, best first."""
        rows = []
        for q, query in enumerate(self.queries):
            for rank, s in enumerate(np.argsort(-self.scores[q]), start=1):
                rows.append(
                    {
                        QUERY: query,
                        RANK: rank,
                        SENTENCE: self.sentences[s],
                        COSINE: round(float(self.scores[q, s]), 4),
                    }
                )
        return pd.DataFrame(rows)


def similarities(encoder: SentenceEncoder, queries: list[str], sentences: list[str]) -> Similarities:
    """Pure predict function: cosine similarity of each query with each sentence, in one pass."""
    answers = encoder.rank(queries, sentences)
    return Similarities(queries, sentences, np.stack(answers.rows), answers.timings["forward"])


@ui.user_errors
def run(queries_text, sentences_text, model_id):
    """Semantic search: ranks sentences by how close their meaning is to each query (sentence embeddings).

    Args:
        queries_text: one query per line
        sentences_text: the sentences to search, one per line
        model_id: one of the models the tab offers (the API page lists them); the first is the default

    Returns:
        the sentences ranked by cosine similarity to each query, a similarity heatmap, the info line
    """
    queries = text_lines(queries_text, "a query", MAX_SENTENCES)
    sentences = text_lines(sentences_text, "sentences to search (one per line)", MAX_SENTENCES)
    encoder = TASK.load(model_id)
    result = similarities(encoder, queries, sentences)
    figure = plots.heatmap(result.scores, queries, sentences, message("Cosine similarity"), value_range=(-0.2, 1.0))
    note = message("{queries} query(ies) × {sentences} sentence(s).", queries=len(queries), sentences=len(sentences))
    note += " " + TASK.language_note(model_id, queries + sentences, encoder.tokenizer)
    return with_columns_translated(result.ranking()), figure, ui.run_info(encoder, result.ms, note)


def ledger_call(model_id: str, image=None, text: str = "", sentences_text: str | None = None) -> LedgerCall:
    """The runtime ledger of the first query against the sentences: the page gives them apart; the
    /runtimes endpoint's one `text` holds the query on its first line and the sentences after it."""
    if sentences_text is None:
        query, *sentences = text_lines(text, "a query, then the sentences to search", MAX_SENTENCES + 1)
        if not sentences:
            raise ShowcaseError("Put the sentences to search after the query, one per line.")
    else:
        query = text_lines(text, "a query", MAX_SENTENCES)[0]
        sentences = text_lines(sentences_text, "sentences to search (one per line)", MAX_SENTENCES)
    return LedgerCall(TASK.load(model_id), "rank", ([query], sentences), runtime_ledger.scores)


@ui.user_errors
def runtimes_on_page(queries_text, sentences_text, model_id):
    yield from runtime_ledger.on_page(ledger_call(model_id, text=queries_text, sentences_text=sentences_text))


def explained(queries_text, sentences_text, model_id, row):
    """The ranked match of that row: its token-to-token parts of the cosine as a map, and the line."""
    queries = text_lines(queries_text, "a query", MAX_SENTENCES)
    sentences = text_lines(sentences_text, "sentences to search (one per line)", MAX_SENTENCES)
    row = int(number(row, "The row", 1, len(queries) * len(sentences), whole=True))
    encoder = TASK.load(model_id)
    match = similarities(encoder, queries, sentences).ranking().iloc[row - 1]
    answer = encoder.alignments([match[QUERY]], [match[SENTENCE]])
    (found,) = answer
    shown = found.parts * 100
    top = float(np.abs(shown).max()) or 1.0
    figure = plots.heatmap(
        shown,
        found.query_tokens,
        found.sentence_tokens,
        message("Each token pair's part of the cosine {cosine:.3f} (×100)", cosine=found.cosine),
        value_range=(-top, top),
        cmap="coolwarm",
        number_format="{:.1f}",
    )
    return figure, ui.run_info(encoder, answer.timings.total_ms, alignment_line(found, row))


def alignment_line(found: Alignment, row: int) -> str:
    """What the map shows, and the tokens of each side that carry the similarity most."""

    def strongest(tokens: list[str], parts: np.ndarray) -> str:
        order = np.argsort(-parts, kind="stable")[:STRONGEST]
        return ", ".join(f"“{tokens[i]}” {parts[i] * 100:.1f}" for i in order)

    return message(
        "Match {row}: with mean-pooled embeddings the cosine is exactly the sum of these parts, one per "
        "query token (down) and sentence token (across). The query's tokens that carry it most: {query}; "
        "the sentence's: {sentence}.",
        row=row,
        query=strongest(found.query_tokens, found.parts.sum(axis=1)),
        sentence=strongest(found.sentence_tokens, found.parts.sum(axis=0)),
    )


@ui.user_errors
def explain(queries_text, sentences_text, model_id, row=1):
    """Shows which tokens of a query and of a ranked sentence carry their similarity: a map of every
    query token against every sentence token, whose parts add up exactly to the cosine.

    Args:
        queries_text: one query per line
        sentences_text: the sentences to search, one per line
        model_id: one of the models the tab offers (the API page lists them); the first is the default
        row: which row of the ranked matches to explain, 1 (the first query's best match) onwards

    Returns:
        the token-to-token map, and a line naming the tokens that carry the similarity most
    """
    return explained(queries_text, sentences_text, model_id, row)


@ui.user_errors
def explain_on_page(queries_text, sentences_text, model_id, ranking, row):
    """The ranked matches on screen explained: the one of that row."""
    if not isinstance(ranking, pd.DataFrame) or ranking.empty:
        raise ShowcaseError("There is no answer to explain yet: search first.")
    return explained(queries_text, sentences_text, model_id, row)


def build_ui() -> None:
    gr.Markdown(
        t(
            "Search by meaning, not words: each sentence becomes a vector (**sentence embedding**), and "
            "sentences that mean the same point the same way (high cosine similarity), even with no word in common."
        )
    )
    with gr.Row():
        with gr.Column():
            queries = gr.Textbox(label=t("Query (one per line for several)"), lines=2, value=QUERIES[0])
            sentences = gr.Textbox(label=t("Sentences to search (one per line)"), lines=8, value=EXAMPLE_SENTENCES)
            ui.greet(queries, ui.in_language(QUERIES))
            ui.greet(sentences, ui.in_language([EXAMPLE_SENTENCES, CHINESE_SENTENCES]))
            model_id = ui.model_dropdown(TASK)
            button = gr.Button(t("Search"), variant="primary")
        with gr.Column():
            info = ui.info_line()
            ranking = gr.DataFrame(label=t("Ranked matches"), wrap=True, elem_id="similarity-ranking")
            heat = gr.Plot(label=t("Similarity heatmap"))
            with gr.Row():
                row = ui.whole_number(1, t("Match to explain (its row)"), minimum=1)
                explain_button = gr.Button(t("Explain"))
            # Its title says what it is; the label badge would cover the first row's token.
            alignment = gr.Plot(label=t("Explanation"), show_label=False, elem_id="similarity-explanation")
            explained_line = ui.info_line()
    sharing.panel(TASK, [queries, sentences, model_id, row], [info, ranking, heat, alignment, explained_line])
    ledger = runtime_ledger.panel("similarity-runtimes")
    gr.Examples(
        TASK.with_models(
            [
                [QUERIES[0], EXAMPLE_SENTENCES],
                ["Somebody is making music\nThe economy is struggling", EXAMPLE_SENTENCES],
                [QUERIES[1], CHINESE_SENTENCES],
            ]
        ),
        inputs=[queries, sentences, model_id],
    )
    ui.bind(TASK.endpoint("similarity"), button.click, [queries, sentences, model_id], [ranking, heat, info])
    runtime_ledger.bind(ledger, runtimes_on_page, [queries, sentences, model_id])
    ui.cleared_by([queries.change, sentences.change, model_id.change], ledger.outputs)
    ui.cleared_by([queries.change, sentences.change, button.click], [alignment, explained_line])
    explain_button.click(
        explain_on_page,
        [queries, sentences, model_id, ranking, row],
        [alignment, explained_line],
        api_visibility="private",
    )
    ui.bind(
        TASK.endpoint("explain_similarity"),
        gr.Button(visible=False).click,
        [queries, sentences, model_id, row],
        [gr.Plot(visible=False, label=t("Explanation")), ui.info_line(visible=False)],
    )


TASK = Task(
    __name__,
    "Semantic search",
    "Language",
    {"model": ("sentence_encoder",)},
    build_ui,
    endpoints=(Endpoint("similarity", run), Endpoint("explain_similarity", explain)),
    runtimes=ledger_call,
)
