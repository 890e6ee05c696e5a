"""Self-attention explorer for BERT-family encoders (`/attention`)."""

from __future__ import annotations

from dataclasses import dataclass

import gradio as gr
import numpy as np

from models.device import Stopwatch
from models.errors import ShowcaseError
from models.sentence_encoder import SentenceEncoder, shape_of
from toolkit import plots, ui
from toolkit.i18n import t
from toolkit.inputs import clean_text
from toolkit.messages import message
from toolkit.task import Task

# Past this a heatmap's labels are unreadable; longer sentences are cut with a notice.
MAX_TOKENS = 48
EXAMPLES = [
    "The animal didn't cross the street because it was too tired.",
    "The bank raised interest rates, so she moved her savings to the river bank.",
    "我喜欢在周末和朋友一起去公园散步。",
]


@dataclass
class Attention:
    tokens: list[str]
    weights: np.ndarray  # [layers, heads, query token, key token]; each row sums to 1
    truncated: bool
    ms: float

    @property
    def layers(self) -> int:
        return self.weights.shape[0]

    @property
    def heads(self) -> int:
        return self.weights.shape[1]

    def head(self, layer: int, head: int) -> np.ndarray:
        self._check(layer, head)
        return self.weights[layer - 1, head - 1]

    def layer_mean(self, layer: int) -> np.ndarray:
        self._check(layer, 1)
        return self.weights[layer - 1].mean(axis=0)

    def _check(self, layer: int, head: int) -> None:
        if not (1 <= layer <= self.layers and 1 <= head <= self.heads):
            raise ShowcaseError(
                "This model has layers 1-{layers} and heads 1-{heads}.", layers=self.layers, heads=self.heads
            )


def attention(encoder: SentenceEncoder, sentence: str) -> Attention:
    """Pure predict function: every layer's and head's attention weights over the sentence's tokens."""
    watch = Stopwatch()
    with watch.measure(encoder.device):
        names, weights, truncated = encoder.attentions(sentence, MAX_TOKENS)
    return Attention(names, weights, truncated, watch.ms)


def fit_sliders(model_id, layer, head):
    layers, heads = shape_of(model_id)
    return (
        gr.update(maximum=layers, value=min(int(layer), layers)),
        gr.update(maximum=heads, value=min(int(head), heads)),
    )


@ui.user_errors
def run(sentence, layer, head, model_id):
    """Shows which words each word attends to in one layer and head of a BERT-family encoder.

    Args:
        sentence: the sentence to analyse
        layer: the layer, from 1
        head: the attention head, from 1
        model_id: one of the models the tab offers (the API page lists them); the first is the default

    Returns:
        the chosen head's attention heatmap, the layer's mean over heads, and which model answered
    """
    sentence = clean_text(sentence, "a sentence")
    encoder = TASK.load(model_id)
    result = attention(encoder, sentence)
    layer, head = int(layer), int(head)
    one = plots.heatmap(
        result.head(layer, head),
        result.tokens,
        result.tokens,
        message("Layer {layer}, head {head}: query (row) attends to key (column)", layer=layer, head=head),
        (0, None),
        annotate=False,
    )
    mean = plots.heatmap(
        result.layer_mean(layer),
        result.tokens,
        result.tokens,
        message("Layer {layer}, mean of {heads} heads", layer=layer, heads=result.heads),
        (0, None),
        annotate=False,
    )
    note = message(
        "{tokens} tokens, {layers} layers × {heads} heads.",
        tokens=len(result.tokens),
        layers=result.layers,
        heads=result.heads,
    )
    if result.truncated:
        note += message(" The sentence was cut to its first {limit} tokens to keep the map readable.", limit=MAX_TOKENS)
    note += " " + TASK.language_note(model_id, [sentence], encoder.tokenizer)
    return one, mean, ui.run_info(encoder, result.ms, note)


def build_ui() -> None:
    gr.Markdown(
        t(
            "Every layer of a Transformer lets each token look at all others: its **query** is compared with "
            "every token's **key**, and the softmax of those scores (each row sums to 1) weighs the **values** "
            "it takes in. Pick a layer and head to see who looks at whom."
        )
    )
    with gr.Row():
        sentence = gr.Textbox(label=t("Sentence"), value=EXAMPLES[0], scale=3)
        model_id = ui.model_dropdown(TASK, label=t("Encoder"))
    layers, heads = shape_of(TASK.default(), local_only=True)
    with gr.Row():
        layer = gr.Slider(1, layers, value=1, step=1, label=t("Layer"), precision=0)
        head = gr.Slider(1, heads, value=1, step=1, label=t("Head"), precision=0)
        button = gr.Button(t("Show attention"), variant="primary")
    info = ui.info_line()
    with gr.Row():
        one = gr.Plot(label=t("One head"))
        mean = gr.Plot(label=t("All heads averaged"))
    gr.Examples(TASK.with_models([[e] for e in EXAMPLES]), inputs=[sentence, model_id])
    button.click(run, [sentence, layer, head, model_id], [one, mean, info], api_name="attention")
    model_id.change(fit_sliders, [model_id, layer, head], [layer, head], api_visibility="private")


TASK = Task(__name__, "Attention explorer", "Language", {"model": ("sentence_encoder",)}, build_ui)
