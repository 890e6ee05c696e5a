"""Zero-shot image classification with CLIP over labels the user types (`/zero_shot`)."""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Callable

import torch
from PIL import Image

import examples
from tasks import common

TASK = "zero_shot"
TITLE = "Zero-shot (CLIP)"
CHOICES = common.model_choices(TASK)
MAX_LABELS = 2000
SHOWN_LABELS = 10
# Prompts per text forward pass: 1,000 ImageNet names x 7 templates would not fit one pass on CPU.
TEXT_BATCH = 256
IMAGE_BATCH = 16
# Label sets whose text embeddings stay cached per model; a demo repeats the same few sets.
TEXT_CACHE_SIZE = 32

# One template, and the seven-template ensemble the CLIP authors found best on ImageNet.
TEMPLATES = {
    "en": {
        False: ("a photo of a {}.",),
        True: (
            "itap of a {}.",
            "a bad photo of the {}.",
            "a origami {}.",
            "a photo of the large {}.",
            "a {} in a video game.",
            "art of the {}.",
            "a photo of the small {}.",
        ),
    },
    "zh": {
        False: ("一张{}的照片。",),
        True: (
            "一张{}的照片。",
            "一张模糊的{}的照片。",
            "一张{}的特写照片。",
            "{}的画。",
            "一张小{}的照片。",
            "一张大{}的照片。",
            "一张{}的黑白照片。",
        ),
    },
}
LABEL_SEPARATORS = re.compile(r"[,，、;；\n]")
CJK = re.compile(r"[\u3400-\u9fff]")


@dataclass
class ZeroShotModel:
    model: torch.nn.Module  # CLIPModel or ChineseCLIPModel
    tokenizer: object
    image_processor: object
    model_id: str
    device: torch.device
    dtype: torch.dtype
    language: str = "en"
    text_cache: OrderedDict = field(default_factory=OrderedDict)
    text_lock: threading.Lock = field(default_factory=threading.Lock)


def prepare(model, tokenizer, image_processor, model_id: str) -> ZeroShotModel:
    device = common.pick_device()
    dtype = common.inference_dtype(device)
    model = model.eval().to(device=device, dtype=dtype)
    language = "zh" if model.config.model_type == "chinese_clip" else "en"
    return ZeroShotModel(model, tokenizer, image_processor, model_id, device, dtype, language)


def load_model(model_id: str) -> ZeroShotModel:
    from transformers import AutoImageProcessor, AutoModel, AutoTokenizer

    model, tokenizer, image_processor = common.from_hub(
        model_id, AutoModel.from_pretrained, AutoTokenizer.from_pretrained, AutoImageProcessor.from_pretrained
    )
    return prepare(model, tokenizer, image_processor, model_id)


def get_model(model_id: str) -> ZeroShotModel:
    common.check_choice(model_id, CHOICES, "CLIP model")
    return common.MODELS.get(model_id, lambda: load_model(model_id))


def parse_labels(text: str | None) -> list[str]:
    """Comma-, semicolon- or line-separated labels (Chinese punctuation too), trimmed, deduplicated."""
    labels: list[str] = []
    seen: set[str] = set()
    for piece in LABEL_SEPARATORS.split(text or ""):
        label = " ".join(piece.split())
        if label and label.casefold() not in seen:
            seen.add(label.casefold())
            labels.append(label)
    if not labels:
        raise common.ShowcaseError("Enter at least one label, separated by commas (for example: cat, dog, car).")
    if len(labels) > MAX_LABELS:
        raise common.ShowcaseError(f"{len(labels)} labels is too many; the limit is {MAX_LABELS}.")
    return labels


def templates_for(zs: ZeroShotModel, ensemble: bool) -> tuple[str, ...]:
    return TEMPLATES[zs.language][bool(ensemble)]


def _normalise(features: torch.Tensor) -> torch.Tensor:
    features = features.float()
    return features / features.norm(dim=-1, keepdim=True).clamp_min(1e-12)


def _max_text_length(zs: ZeroShotModel) -> int:
    return min(zs.tokenizer.model_max_length, zs.model.config.text_config.max_position_embeddings)


def encode_texts(
    zs: ZeroShotModel,
    labels: list[str],
    templates: tuple[str, ...],
    on_progress: Callable[[int, int], None] | None = None,
) -> torch.Tensor:
    """One unit vector per label: the normalised mean of its prompts' embeddings (prompt ensembling)."""
    prompts = [template.format(label) for label in labels for template in templates]
    chunks = []
    with torch.inference_mode():
        for start in range(0, len(prompts), TEXT_BATCH):
            tokens = common.encode(
                zs.tokenizer,
                prompts[start : start + TEXT_BATCH],
                padding=True,
                truncation=True,
                max_length=_max_text_length(zs),
                return_tensors="pt",
            )
            output = zs.model.get_text_features(
                input_ids=tokens["input_ids"].to(zs.device),
                attention_mask=tokens["attention_mask"].to(zs.device),
            )
            chunks.append(_normalise(output.pooler_output))
            if on_progress:
                on_progress(min(start + TEXT_BATCH, len(prompts)), len(prompts))
    per_prompt = torch.cat(chunks).view(len(labels), len(templates), -1)
    return _normalise(per_prompt.mean(dim=1))


def text_embeddings(
    zs: ZeroShotModel,
    labels: list[str],
    templates: tuple[str, ...],
    on_progress: Callable[[int, int], None] | None = None,
) -> torch.Tensor:
    """encode_texts, cached per (labels, templates): a demo asks about the same label set again and again."""
    key = (tuple(labels), templates)
    with zs.text_lock:
        if key in zs.text_cache:
            zs.text_cache.move_to_end(key)
            return zs.text_cache[key]
    embeddings = encode_texts(zs, labels, templates, on_progress)
    with zs.text_lock:
        zs.text_cache[key] = embeddings
        while len(zs.text_cache) > TEXT_CACHE_SIZE:
            zs.text_cache.popitem(last=False)
    return embeddings


def preprocess(zs: ZeroShotModel, images: list[Image.Image]) -> torch.Tensor:
    return zs.image_processor(images=images, return_tensors="pt")["pixel_values"]


def forward(zs: ZeroShotModel, pixel_values: torch.Tensor) -> torch.Tensor:
    """Unit image embeddings for a preprocessed batch."""
    chunks = []
    with torch.inference_mode():
        for chunk in pixel_values.split(IMAGE_BATCH):
            output = zs.model.get_image_features(pixel_values=chunk.to(device=zs.device, dtype=zs.dtype))
            chunks.append(_normalise(output.pooler_output))
    return torch.cat(chunks)


def postprocess(zs: ZeroShotModel, image_features: torch.Tensor, label_features: torch.Tensor) -> torch.Tensor:
    """Probabilities over labels, one row per image: softmax of scaled cosine similarities."""
    scale = zs.model.logit_scale.exp().float()
    return (scale * image_features @ label_features.T).softmax(dim=-1).cpu()


def top_labels(probabilities: torch.Tensor, labels: list[str], k: int) -> dict[str, float]:
    top = probabilities.topk(min(k, len(labels)))
    return {labels[i]: round(float(p), 4) for p, i in zip(top.values.tolist(), top.indices.tolist())}


@dataclass
class ZeroShotResult:
    probabilities: torch.Tensor  # [images, labels]
    labels: list[str]
    image_ms: float
    text_ms: float

    def top(self, row: int, k: int) -> dict[str, float]:
        return top_labels(self.probabilities[row], self.labels, k)


def classify(zs: ZeroShotModel, images: list, labels: list[str], ensemble: bool = False) -> ZeroShotResult:
    """Pure predict function: images and candidate labels in, probabilities per image out."""
    rgb = [common.open_image(image) for image in images]
    templates = templates_for(zs, ensemble)
    text_watch, image_watch = common.Stopwatch(), common.Stopwatch()
    with text_watch.measure(zs.device):
        label_features = text_embeddings(zs, labels, templates)
    pixel_values = preprocess(zs, rgb)
    with image_watch.measure(zs.device):
        image_features = forward(zs, pixel_values)
    probabilities = postprocess(zs, image_features, label_features)
    return ZeroShotResult(probabilities, labels, image_watch.ms, text_watch.ms)


def notes(zs: ZeroShotModel, labels: list[str]) -> str:
    lines = []
    if len(labels) == 1:
        lines.append("With a single label the probability is always 100%: add labels to compare against.")
    if zs.language == "en" and any(CJK.search(label) for label in labels):
        lines.append(f"This CLIP was trained on English; for Chinese labels choose `{CHOICES[-1]}`.")
    return " ".join(lines)


@common.user_errors
def run(image, labels_text, ensemble, model_id):
    labels = parse_labels(labels_text)
    zs = get_model(model_id)
    result = classify(zs, [image], labels, ensemble)
    timing = f"Image {result.image_ms:.0f} ms; label prompts {result.text_ms:.0f} ms (cached for this label set)."
    note = " ".join(filter(None, [timing, notes(zs, labels)]))
    return result.top(0, SHOWN_LABELS), common.describe_run(model_id, zs.device, result.image_ms + result.text_ms, note)


def _prepare(image, labels_text, ensemble, model_id):
    common.check_choice(model_id, CHOICES, "CLIP model")
    return (model_id, tuple(parse_labels(labels_text)), bool(ensemble)), common.open_image(image)


def _predict(key, images):
    model_id, labels, ensemble = key
    zs = get_model(model_id)
    result = classify(zs, images, list(labels), ensemble)
    ms = (result.image_ms + result.text_ms) / len(images)
    note = f"Answered in a batch of {len(images)} requests with the same labels."
    return [(result.top(row, SHOWN_LABELS), common.describe_run(model_id, zs.device, ms, note)) for row in range(len(images))]


# API-only twin of run for many concurrent callers: Gradio's queue batches their requests.
run_batched = common.batch_endpoint(_prepare, _predict, lambda message: ({}, f"**Error:** {message}"))


def build_ui() -> None:
    import gradio as gr

    gr.Markdown(
        "**CLIP** scores an image against any labels you type, without training on them: each label "
        "becomes a prompt such as *a photo of a cat.* and CLIP picks the closest. Chinese labels "
        f"work best with `{CHOICES[-1]}`."
    )
    with gr.Row():
        with gr.Column():
            image = common.image_input()
            labels = gr.Textbox(
                value="cheetah, lion, house cat, dog, car",
                label="Candidate labels (comma-separated)",
                lines=2,
            )
            ensemble = gr.Checkbox(value=False, label="Prompt ensemble (7 templates, as in the CLIP paper)")
            model_id = gr.Dropdown(CHOICES, value=CHOICES[0], label="Model")
            button = gr.Button("Classify", variant="primary")
        with gr.Column():
            label = gr.Label(num_top_classes=SHOWN_LABELS, label="Probabilities")
            info = gr.Markdown()
    gr.Examples(
        [
            [examples.cheetah(), "cheetah, leopard, lion, house cat, dog", False],
            [examples.bus(), "a bus, a tram, a truck, people, a bicycle", True],
            [examples.lion(), "猫, 狗, 狮子, 老虎", False],
        ],
        inputs=[image, labels, ensemble],
    )
    button.click(run, [image, labels, ensemble, model_id], [label, info], api_name="zero_shot")
    common.add_batched_api(run_batched, [image, labels, ensemble, model_id], [label, info], "zero_shot_batched")


def preload() -> None:
    get_model(CHOICES[0])
