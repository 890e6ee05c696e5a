"""Self-attention explorer for BERT-family encoders (`/attention`)."""

from __future__ import annotations

from dataclasses import dataclass

import gradio as gr
import numpy as np
import torch
from transformers import AutoModel

from tasks import common, plots

TASK = "attention"
TITLE = "Attention explorer"
CHOICES = common.model_choices(TASK)
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
            raise common.ShowcaseError(f"This model has layers 1-{self.layers} and heads 1-{self.heads}.")


def get_model(model_id: str) -> common.HubModel:
    common.check_choice(model_id, CHOICES, "encoder")
    # Eager attention returns the weights (fused kernels do not); the same copy serves similarity.
    return common.get_hub_model(AutoModel, model_id, attn_implementation="eager")


def attention(encoder: common.HubModel, sentence: str) -> Attention:
    """Pure predict function: every layer's and head's attention weights over the sentence's tokens."""
    tokens = common.encode(encoder.tokenizer, sentence, truncation=True, max_length=MAX_TOKENS, return_tensors="pt")
    truncated = bool(tokens.encodings[0].overflowing)
    watch = common.Stopwatch()
    with watch.measure(encoder.device), torch.inference_mode():
        output = encoder.model(**{k: v.to(encoder.device) for k, v in tokens.items()}, output_attentions=True)
    weights = torch.stack([layer[0].float() for layer in output.attentions]).cpu().numpy()
    names = encoder.tokenizer.convert_ids_to_tokens(tokens["input_ids"][0])
    return Attention(names, weights, truncated, watch.ms)


def shape_of(model_id: str, local_only: bool = False) -> tuple[int, int]:
    """Layers and heads from the model's config (a small file), without loading its weights.
    local_only: only the cache, never the network (building the page must not wait on it)."""
    from transformers import AutoConfig

    try:
        config = AutoConfig.from_pretrained(model_id, local_files_only=local_only)
    except (OSError, ValueError):
        return 12, 12  # BERT-base; the model's own message comes when it is run
    return config.num_hidden_layers, config.num_attention_heads


def fit_sliders(model_id, layer, head):
    layers, heads = shape_of(model_id)
    return (gr.update(maximum=layers, value=min(int(layer), layers)),
            gr.update(maximum=heads, value=min(int(head), heads)))


@common.user_errors
def run(sentence, layer, head, model_id):
    sentence = common.clean_text(sentence, "a sentence")
    encoder = get_model(model_id)
    result = attention(encoder, sentence)
    layer, head = int(layer), int(head)
    one = plots.heatmap(result.head(layer, head), result.tokens, result.tokens,
                        f"Layer {layer}, head {head}: query (row) attends to key (column)", (0, None), annotate=False)
    mean = plots.heatmap(result.layer_mean(layer), result.tokens, result.tokens,
                         f"Layer {layer}, mean of {result.heads} heads", (0, None), annotate=False)
    note = f"{len(result.tokens)} tokens, {result.layers} layers × {result.heads} heads."
    if result.truncated:
        note += f" The sentence was cut to its first {MAX_TOKENS} tokens to keep the map readable."
    return one, mean, common.describe_run(model_id, encoder.device, result.ms, note)


def build_ui() -> None:
    gr.Markdown(
        "Every layer of a Transformer lets each token look at all others: its **query** is compared with "
        "every token's **key**, and the softmax of those scores (each row sums to 1) weighs the **values** "
        "it takes in. Pick a layer and head to see who looks at whom."
    )
    with gr.Row():
        sentence = gr.Textbox(label="Sentence", value=EXAMPLES[0], scale=3)
        model_id = gr.Dropdown(CHOICES, value=CHOICES[0], label="Encoder", scale=1)
    layers, heads = shape_of(CHOICES[0], local_only=True)
    with gr.Row():
        layer = gr.Slider(1, layers, value=1, step=1, label="Layer")
        head = gr.Slider(1, heads, value=1, step=1, label="Head")
        button = gr.Button("Show attention", variant="primary")
    info = gr.Markdown()
    with gr.Row():
        one = gr.Plot(label="One head")
        mean = gr.Plot(label="All heads averaged")
    gr.Examples([[e] for e in EXAMPLES], inputs=[sentence])
    button.click(run, [sentence, layer, head, model_id], [one, mean, info], api_name="attention")
    model_id.change(fit_sliders, [model_id, layer, head], [layer, head], api_visibility="private")


def preload() -> None:
    get_model(CHOICES[0])
