"""Semantic similarity and search with sentence embeddings (`/similarity`)."""

from __future__ import annotations

from dataclasses import dataclass

import gradio as gr
import numpy as np
import pandas as pd

from i18n import N_
from models.sentence_encoder import SentenceEncoder
from toolkit import plots, ui
from toolkit.inputs import text_lines
from toolkit.interface import t
from toolkit.messages import message, with_columns_translated
from toolkit.task import Endpoint, Task

MAX_SENTENCES = 500
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
            ranking = gr.DataFrame(label=t("Ranked matches"), wrap=True)
            heat = gr.Plot(label=t("Similarity heatmap"))
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


TASK = Task(
    __name__,
    "Semantic search",
    "Language",
    {"model": ("sentence_encoder",)},
    build_ui,
    endpoints=(Endpoint("similarity", run),),
)
