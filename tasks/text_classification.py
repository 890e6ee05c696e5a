"""Sentiment classification with fine-tuned BERT-family models (`/classify_text`)."""

from __future__ import annotations

from dataclasses import dataclass

import gradio as gr
import pandas as pd
import torch
from transformers import AutoModelForSequenceClassification

from tasks import common

TASK = "classify_text"
TITLE = "Text classification"
CHOICES = common.model_choices(TASK)
MAX_LINES = 1000
# Lines per forward pass: a page of reviews goes through in one pass; more are split to bound memory.
BATCH_SIZE = 64
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


def get_model(model_id: str) -> common.HubModel:
    common.check_choice(model_id, CHOICES, "text classifier")
    return common.get_hub_model(AutoModelForSequenceClassification, model_id)


def max_tokens(classifier: common.HubModel) -> int:
    return min(classifier.tokenizer.model_max_length, classifier.model.config.max_position_embeddings)


def preprocess(classifier: common.HubModel, texts: list[str]) -> tuple[dict[str, torch.Tensor], list[bool]]:
    """Token tensors for a padded batch, and which texts were cut to the model's limit."""
    tokens = common.encode(
        classifier.tokenizer,
        texts, padding=True, truncation=True, max_length=max_tokens(classifier), return_tensors="pt"
    )
    # A fast tokenizer keeps what truncation cut off in each encoding's `overflowing`.
    truncated = [bool(encoding.overflowing) for encoding in tokens.encodings]
    return dict(tokens), truncated


def forward(classifier: common.HubModel, tokens: dict[str, torch.Tensor]) -> torch.Tensor:
    with torch.inference_mode():
        inputs = {name: tensor.to(classifier.device) for name, tensor in tokens.items()}
        return classifier.model(**inputs).logits.float()


def postprocess(classifier: common.HubModel, logits: torch.Tensor) -> list[dict[str, float]]:
    labels = classifier.model.config.id2label
    results = []
    for row in logits.softmax(dim=-1).cpu():
        order = row.argsort(descending=True).tolist()
        results.append({labels[i]: round(float(row[i]), 4) for i in order})
    return results


def classify(classifier: common.HubModel, texts: list[str]) -> TextScores:
    """Pure predict function: texts in, each text's label probabilities out, BATCH_SIZE per pass."""
    probabilities, truncated = [], []
    watch = common.Stopwatch()
    for start in range(0, len(texts), BATCH_SIZE):
        tokens, cut = preprocess(classifier, texts[start : start + BATCH_SIZE])
        with watch.measure(classifier.device):
            logits = forward(classifier, tokens)
        probabilities += postprocess(classifier, logits)
        truncated += cut
    return TextScores(probabilities, truncated, watch.ms)


def table(texts: list[str], scores: TextScores) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "text": texts,
            "label": [next(iter(p)) for p in scores.probabilities],
            "probability": [next(iter(p.values())) for p in scores.probabilities],
            "truncated": scores.truncated,
        }
    )


@common.user_errors
def run(text, model_id):
    texts = common.text_lines(text, "a sentence (or several, one per line)", MAX_LINES)
    classifier = get_model(model_id)
    scores = classify(classifier, texts)
    rows = table(texts, scores)
    # Every label the model knows, zeros included, so the bars compare against a zero baseline.
    labels = list(classifier.model.config.id2label.values())
    counts = rows["label"].value_counts().reindex(labels, fill_value=0).rename_axis("label").reset_index(name="texts")
    notes = []
    if any(scores.truncated):
        notes.append(
            f"{sum(scores.truncated)} text(s) were longer than the model's {max_tokens(classifier)} tokens "
            "and were cut to fit."
        )
    if len(texts) > 1:
        notes.append(f"{len(texts)} lines classified in {-(-len(texts) // BATCH_SIZE)} batched pass(es).")
    info = common.describe_run(model_id, classifier.device, scores.ms, " ".join(notes))
    many = len(texts) > 1
    return (
        scores.probabilities[0],
        gr.update(value=rows, visible=many),
        gr.update(value=counts, visible=many, y_lim=[0, len(texts)]),
        info,
    )


def _prepare(text, model_id):
    common.check_choice(model_id, CHOICES, "text classifier")
    return model_id, common.text_lines(text, "a sentence (or several, one per line)", MAX_LINES)


def _predict(model_id, requests):
    """Every line of every request in one classify call, then each request's lines handed back."""
    classifier = get_model(model_id)
    scores = classify(classifier, [line for lines in requests for line in lines])
    outputs, start = [], 0
    for lines in requests:
        note = f"Answered in a batch of {len(requests)} requests ({len(scores.probabilities)} lines)."
        outputs.append((scores.probabilities[start], common.describe_run(model_id, classifier.device, scores.ms, note)))
        start += len(lines)
    return outputs


# API-only twin of run (first line's label) for many concurrent callers: Gradio's queue batches them.
run_batched = common.batch_endpoint(_prepare, _predict, lambda message: ({}, f"**Error:** {message}"))


def build_ui() -> None:
    gr.Markdown(
        "Sentiment of a sentence, or of many (one per line, classified together in one batch), with a "
        "fine-tuned **BERT-family** model. The multilingual and Chinese models read other languages."
    )
    with gr.Row():
        with gr.Column():
            text = gr.Textbox(label="Text (one per line for several)", lines=5, max_length=200_000)
            model_id = gr.Dropdown(CHOICES, value=CHOICES[0], label="Model")
            button = gr.Button("Classify", variant="primary")
        with gr.Column():
            label = gr.Label(label="First line")
            info = gr.Markdown()
    counts = gr.BarPlot(x="label", y="texts", label="Labels over all lines", visible=False)
    rows = gr.DataFrame(label="Every line", wrap=True, visible=False)
    gr.Examples([[e] for e in EXAMPLES], inputs=[text])
    button.click(run, [text, model_id], [label, rows, counts, info], api_name="classify_text")
    common.add_batched_api(run_batched, [text, model_id], [label, info], "classify_text_batched")


def preload() -> None:
    get_model(CHOICES[0])
