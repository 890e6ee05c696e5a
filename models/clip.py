"""CLIP and Chinese-CLIP: images and text prompts in one embedding space (hub ids)."""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any, Callable

import torch
from PIL import Image

from models import config
from models.hub import HubModel, from_hub
from models.tensors import IMAGES_PER_PASS, TEXTS_PER_PASS, chunked, unit

FROM_HUB = True
# Label sets whose text embeddings stay cached per model; a demo repeats the same few sets.
LABEL_CACHE_SIZE = 32

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


@dataclass
class Clip(HubModel):
    image_processor: Any = None
    language: str = "en"  # the language of its prompts: spaces.yaml's `languages`
    label_cache: OrderedDict = field(default_factory=OrderedDict)
    label_lock: threading.Lock = field(default_factory=threading.Lock)

    def templates(self, ensemble: bool) -> tuple[str, ...]:
        return TEMPLATES[self.language][bool(ensemble)]

    def preprocess(self, images: list[Image.Image]) -> torch.Tensor:
        return self.image_processor(images=images, return_tensors="pt")["pixel_values"]

    def forward(self, pixel_values: torch.Tensor) -> torch.Tensor:
        """Unit image embeddings for a preprocessed batch."""

        def one_pass(chunk: torch.Tensor) -> torch.Tensor:
            return unit(self.model.get_image_features(pixel_values=chunk.to(device=self.device, dtype=self.dtype)).pooler_output)

        return chunked(one_pass, pixel_values, IMAGES_PER_PASS)

    def embed_images(self, images: list[Image.Image]) -> torch.Tensor:
        return self.forward(self.preprocess(images))

    def encode_prompts(self, labels: list[str], templates: tuple[str, ...],
                       on_progress: Callable[[int, int], None] | None = None) -> torch.Tensor:
        """One unit vector per label: the normalised mean of its prompts' embeddings (prompt ensembling)."""
        prompts = [template.format(label) for label in labels for template in templates]
        max_length = min(self.tokenizer.model_max_length, self.model.config.text_config.max_position_embeddings)
        done = [0]

        def one_pass(chunk: list[str]) -> torch.Tensor:
            tokens = self.encode(chunk, padding=True, truncation=True, max_length=max_length, return_tensors="pt")
            output = self.model.get_text_features(input_ids=tokens["input_ids"].to(self.device),
                                                  attention_mask=tokens["attention_mask"].to(self.device))
            done[0] += len(chunk)
            if on_progress:
                on_progress(done[0], len(prompts))
            return unit(output.pooler_output)

        per_prompt = chunked(one_pass, prompts, TEXTS_PER_PASS).view(len(labels), len(templates), -1)
        return unit(per_prompt.mean(dim=1))

    def label_embeddings(self, labels: list[str], ensemble: bool = False,
                         on_progress: Callable[[int, int], None] | None = None) -> torch.Tensor:
        """encode_prompts, cached per label set: a demo asks about the same labels again and again."""
        templates = self.templates(ensemble)
        key = (tuple(labels), templates)
        with self.label_lock:
            if key in self.label_cache:
                self.label_cache.move_to_end(key)
                return self.label_cache[key]
        embeddings = self.encode_prompts(labels, templates, on_progress)
        with self.label_lock:
            self.label_cache[key] = embeddings
            while len(self.label_cache) > LABEL_CACHE_SIZE:
                self.label_cache.popitem(last=False)
        return embeddings

    def probabilities(self, image_features: torch.Tensor, label_features: torch.Tensor) -> torch.Tensor:
        """Probabilities over labels, one row per image: softmax of scaled cosine similarities."""
        scale = self.model.logit_scale.exp().float()
        return (scale * image_features @ label_features.T).softmax(dim=-1).cpu()


def wrap(model: torch.nn.Module, tokenizer: Any, image_processor: Any, model_id: str) -> Clip:
    language = "zh" if "zh" in config.languages(model_id) else "en"
    return Clip.wrap(model, tokenizer, model_id, image_processor=image_processor, language=language)


def load(model_id: str) -> Clip:
    from transformers import AutoImageProcessor, AutoModel, AutoTokenizer

    model, tokenizer, image_processor = from_hub(
        model_id, AutoModel.from_pretrained, AutoTokenizer.from_pretrained, AutoImageProcessor.from_pretrained
    )
    return wrap(model, tokenizer, image_processor, model_id)
