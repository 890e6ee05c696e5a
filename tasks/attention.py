"""Self-attention explorer for BERT-family encoders (`/attention`)."""

from __future__ import annotations

import gradio as gr

from models.errors import ShowcaseError
from models.sentence_encoder import AttentionMap, shape_of
from toolkit import plots, sharing, ui
from toolkit.inputs import clean_text
from toolkit.interface import t
from toolkit.messages import message
from toolkit.task import Endpoint, Task

# Past this a heatmap's labels are unreadable; longer sentences are cut with a notice.
MAX_TOKENS = 48
EXAMPLES = [
    "The animal didn't cross the street because it was too tired.",
    "The bank raised interest rates, so she moved her savings to the river bank.",
    "我喜欢在周末和朋友一起去公园散步。",
]


def check(attention: AttentionMap, layer: int, head: int) -> None:
    layers, heads = attention.weights.shape[:2]
    if not (1 <= layer <= layers and 1 <= head <= heads):
        raise ShowcaseError("This model has layers 1-{layers} and heads 1-{heads}.", layers=layers, heads=heads)


def heatmaps(attention: AttentionMap, layer: int, head: int) -> tuple:
    """Pure function: the chosen head's attention heatmap, and the layer's mean over its heads."""
    check(attention, layer, head)
    tokens, heads = attention.tokens, attention.weights.shape[1]
    one = plots.heatmap(
        attention.weights[layer - 1, head - 1],
        tokens,
        tokens,
        message("Layer {layer}, head {head}: query (row) attends to key (column)", layer=layer, head=head),
        (0, None),
        annotate=False,
    )
    mean = plots.heatmap(
        attention.weights[layer - 1].mean(axis=0),
        tokens,
        tokens,
        message("Layer {layer}, mean of {heads} heads", layer=layer, heads=heads),
        (0, None),
        annotate=False,
    )
    return one, mean


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
        the chosen head's attention heatmap, the layer's mean over heads, the info line
    """
    sentence = clean_text(sentence, "a sentence")
    encoder = TASK.load(model_id)
    result = encoder.attentions(sentence, MAX_TOKENS)
    one, mean = heatmaps(result, int(layer), int(head))
    layers, heads = result.weights.shape[:2]
    note = message(
        "{tokens} tokens, {layers} layers × {heads} heads.", tokens=len(result.tokens), layers=layers, heads=heads
    )
    if result.truncated:
        note += message(" The sentence was cut to its first {limit} tokens to keep the map readable.", limit=MAX_TOKENS)
    note += " " + TASK.language_note(model_id, [sentence], encoder.tokenizer)
    return one, mean, ui.run_info(encoder, result.timings["forward"], note)


def build_ui() -> None:
    gr.Markdown(
        t(
            "Every layer of a Transformer lets each token look at all others: its **query** is compared with "
            "every token's **key**, and the softmax of those scores (each row sums to 1) weighs the **values** "
            "it takes in. Pick a layer and head to see who looks at whom."
        )
    )
    with gr.Row():
        sentence = ui.greet(gr.Textbox(label=t("Sentence"), value=EXAMPLES[0], scale=3), ui.in_language(EXAMPLES))
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
    sharing.panel(TASK, [sentence, model_id, layer, head], [info, one, mean])
    gr.Examples(TASK.with_models([[e] for e in EXAMPLES]), inputs=[sentence, model_id])
    ui.bind(TASK.endpoint("attention"), button.click, [sentence, layer, head, model_id], [one, mean, info])
    model_id.change(fit_sliders, [model_id, layer, head], [layer, head], api_visibility="private")


TASK = Task(
    __name__,
    "Attention explorer",
    "Language",
    {"model": ("sentence_encoder",)},
    build_ui,
    endpoints=(Endpoint("attention", run),),
)
