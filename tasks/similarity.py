"""Semantic similarity and search with sentence embeddings (`/similarity`)."""

from __future__ import annotations

from dataclasses import dataclass

import gradio as gr
import numpy as np
import pandas as pd
import torch
from transformers import AutoModel

from tasks import common, plots

TASK = "similarity"
TITLE = "Semantic search"
CHOICES = common.model_choices(TASK)
MAX_SENTENCES = 500
MAX_TOKENS = 256  # all-MiniLM-L6-v2 was trained on at most 256 word pieces
BATCH_SIZE = 64
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


def get_model(model_id: str) -> common.HubModel:
    common.check_choice(model_id, CHOICES, "sentence encoder")
    # Eager attention so that the attention tab, which needs the weights, shares this copy.
    return common.get_hub_model(AutoModel, model_id, attn_implementation="eager")


def preprocess(encoder: common.HubModel, sentences: list[str]) -> dict[str, torch.Tensor]:
    return dict(common.encode(encoder.tokenizer, sentences, padding=True, truncation=True, max_length=MAX_TOKENS, return_tensors="pt"))


def forward(encoder: common.HubModel, tokens: dict[str, torch.Tensor]) -> torch.Tensor:
    """Unit sentence embeddings: token states averaged over real (unpadded) tokens, then normalised,
    as sentence-transformers does for this model."""
    with torch.inference_mode():
        inputs = {name: tensor.to(encoder.device) for name, tensor in tokens.items()}
        states = encoder.model(**inputs).last_hidden_state.float()
        mask = inputs["attention_mask"].unsqueeze(-1).float()
        mean = (states * mask).sum(dim=1) / mask.sum(dim=1).clamp_min(1e-9)
        return torch.nn.functional.normalize(mean, dim=-1).cpu()


def embed(encoder: common.HubModel, sentences: list[str]) -> torch.Tensor:
    return torch.cat([forward(encoder, preprocess(encoder, sentences[i : i + BATCH_SIZE]))
                      for i in range(0, len(sentences), BATCH_SIZE)])


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
                rows.append({"query": query, "rank": rank, "sentence": self.sentences[s], "cosine": round(float(self.scores[q, s]), 4)})
        return pd.DataFrame(rows)


def similarities(encoder: common.HubModel, queries: list[str], sentences: list[str]) -> Similarities:
    """Pure predict function: cosine similarity of each query with each sentence."""
    watch = common.Stopwatch()
    with watch.measure(encoder.device):
        embeddings = embed(encoder, queries + sentences)
    scores = (embeddings[: len(queries)] @ embeddings[len(queries) :].T).numpy()
    return Similarities(queries, sentences, scores, watch.ms)


@common.user_errors
def run(queries_text, sentences_text, model_id):
    queries = common.text_lines(queries_text, "a query", MAX_SENTENCES)
    sentences = common.text_lines(sentences_text, "sentences to search (one per line)", MAX_SENTENCES)
    encoder = get_model(model_id)
    result = similarities(encoder, queries, sentences)
    figure = plots.heatmap(result.scores, queries, sentences, "Cosine similarity", value_range=(-0.2, 1.0))
    note = f"{len(queries)} query(ies) × {len(sentences)} sentence(s)."
    return result.ranking(), figure, common.describe_run(model_id, encoder.device, result.ms, note)


def build_ui() -> None:
    gr.Markdown(
        "Search by meaning, not words: each sentence becomes a vector (**sentence embedding**), and "
        "sentences that mean the same point the same way (high cosine similarity), even with no word in common."
    )
    with gr.Row():
        with gr.Column():
            queries = gr.Textbox(label="Query (one per line for several)", lines=2, value="I can't log in to my account")
            sentences = gr.Textbox(label="Sentences to search (one per line)", lines=8, value=EXAMPLE_SENTENCES)
            model_id = gr.Dropdown(CHOICES, value=CHOICES[0], label="Model")
            button = gr.Button("Search", variant="primary")
        with gr.Column():
            info = gr.Markdown()
            ranking = gr.DataFrame(label="Ranked matches", wrap=True)
            heat = gr.Plot(label="Similarity heatmap")
    gr.Examples(
        [
            ["I can't log in to my account", EXAMPLE_SENTENCES],
            ["Somebody is making music\nThe economy is struggling", EXAMPLE_SENTENCES],
        ],
        inputs=[queries, sentences],
    )
    button.click(run, [queries, sentences, model_id], [ranking, heat, info], api_name="similarity")


def preload() -> None:
    get_model(CHOICES[0])
