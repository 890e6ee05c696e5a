"""CLIP and Chinese-CLIP: images and text prompts in one embedding space (hub ids)."""

from __future__ import annotations

import functools
import hashlib
import json
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import torch
from PIL import Image

import i18n
from models import config, runtime
from models.base import Answers, Ranking, Timings
from models.device import place
from models.hub import HubModel, from_hub
from models.runtime import Runner
from models.tensors import IMAGES_PER_PASS, TEXTS_PER_PASS, chunked, unit

FROM_HUB = True
# Row-wise methods (a row out per row of the first argument): joined across requests on Ray Serve.
BATCHED = ("classify", "embed_images")
# Label sets whose text embeddings stay cached per model; a demo repeats the same few sets.
LABEL_CACHE_SIZE = 32
# Label sets this large (ImageNet's 1,000 classes) are also kept on disk: computing them takes seconds.
DISK_LABELS = 100


@dataclass(frozen=True)
class Labels:
    """What CLIP chooses among: labels a visitor typed, or a dataset's classes by their English names,
    which the catalogs name in other languages, so that each model reads them in its own."""

    names: tuple[str, ...]
    dataset: str | None = None  # "ImageNet": i18n.class_names knows these in other languages

    def __len__(self) -> int:
        return len(self.names)

    def read_in(self, language: str) -> list[str]:
        """The labels as a model that reads `language` is prompted with them."""
        return i18n.class_names(self.dataset, self.names, language) if self.dataset else list(self.names)


class Tower(torch.nn.Module):
    """One of CLIP's encoders with its projection, as a module of its own: what the runtime converts."""

    def __init__(self, model: torch.nn.Module) -> None:
        super().__init__()
        self.model = model


class ImageTower(Tower):
    def forward(self, pixel_values: torch.Tensor) -> torch.Tensor:
        return self.model.get_image_features(pixel_values=pixel_values).pooler_output


class TextTower(Tower):
    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        return self.model.get_text_features(input_ids=input_ids, attention_mask=attention_mask).pooler_output


@dataclass
class Clip(HubModel):
    image_processor: Any = None
    language: str = i18n.SOURCE  # the language it is prompted in (config.prompt_language)
    image_tower: Runner | None = None
    text_tower: Runner | None = None
    logit_scale: float = 100.0
    label_cache: OrderedDict = field(default_factory=OrderedDict)
    label_lock: threading.Lock = field(default_factory=threading.Lock)

    def runners(self) -> list[Runner]:
        return [self.image_tower, self.text_tower]

    def templates(self, ensemble: bool) -> tuple[str, ...]:
        return tuple(config.prompts(self.language)["ensemble" if ensemble else "one"])

    def classify(
        self,
        images: list[Image.Image],
        labels: Labels | list[str],
        ensemble: bool = False,
        k: int | None = None,
        on_progress: Callable[[int, int], None] | None = None,
    ) -> Answers[Ranking]:
        """Each image's labels by probability (the top k, if given): the softmax of scaled cosine
        similarities between the image and each label's prompts (averaged over the ensemble's
        templates). on_progress(prompts done, prompts) while a new label set is encoded."""
        labels = labels if isinstance(labels, Labels) else Labels(tuple(labels))
        timings = Timings()
        with timings.measure("labels", self.device):
            label_features = self.label_embeddings(labels, ensemble, on_progress)
        with timings.measure("preprocess"):
            pixels = self.preprocess(images)
        with timings.measure("forward", self.device):
            image_features = self.forward(pixels)
        with timings.measure("postprocess"):
            probabilities = (self.logit_scale * image_features @ label_features.T).softmax(dim=-1).cpu()
            rows = [Ranking.of(row, k) for row in probabilities]
        return Answers(rows, timings)

    def preprocess(self, images: list[Image.Image]) -> torch.Tensor:
        return self.image_processor(images=images, return_tensors="pt")["pixel_values"]

    def forward(self, pixel_values: torch.Tensor) -> torch.Tensor:
        """Unit image embeddings for a preprocessed batch."""

        return chunked(lambda chunk: unit(self.image_tower(pixel_values=chunk)), pixel_values, IMAGES_PER_PASS)

    def embed_images(self, images: list[Image.Image]) -> torch.Tensor:
        return self.forward(self.preprocess(images))

    def encode_prompts(
        self, labels: list[str], templates: tuple[str, ...], on_progress: Callable[[int, int], None] | None = None
    ) -> torch.Tensor:
        """One unit vector per label: the normalised mean of its prompts' embeddings (prompt ensembling)."""
        prompts = [template.format(label) for label in labels for template in templates]
        max_length = min(self.tokenizer.model_max_length, self.config.text_config.max_position_embeddings)
        done = [0]

        def one_pass(chunk: list[str]) -> torch.Tensor:
            tokens = self.encode(chunk, padding=True, truncation=True, max_length=max_length, return_tensors="pt")
            output = self.text_tower(input_ids=tokens["input_ids"], attention_mask=tokens["attention_mask"])
            done[0] += len(chunk)
            if on_progress:
                on_progress(done[0], len(prompts))
            return unit(output)

        per_prompt = chunked(one_pass, prompts, TEXTS_PER_PASS).view(len(labels), len(templates), -1)
        return unit(per_prompt.mean(dim=1))

    def label_embeddings(
        self, labels: Labels, ensemble: bool = False, on_progress: Callable[[int, int], None] | None = None
    ) -> torch.Tensor:
        """encode_prompts of the labels as this model reads them, cached per label set: a demo asks
        about the same labels again and again."""
        templates = self.templates(ensemble)
        key = (tuple(labels.read_in(self.language)), templates)
        with self.label_lock:
            if key in self.label_cache:
                self.label_cache.move_to_end(key)
                return self.label_cache[key]
        embeddings = self.stored_label_embeddings(list(key[0]), templates, on_progress)
        with self.label_lock:
            self.label_cache[key] = embeddings
            while len(self.label_cache) > LABEL_CACHE_SIZE:
                self.label_cache.popitem(last=False)
        return embeddings

    def stored_label_embeddings(
        self, labels: list[str], templates: tuple[str, ...], on_progress: Callable[[int, int], None] | None = None
    ) -> torch.Tensor:
        """encode_prompts, read from the disk cache for a large label set computed before."""
        if len(labels) < DISK_LABELS:
            return self.encode_prompts(labels, templates, on_progress)
        if self.text_tower.pending:
            self.encode_prompts(labels[:1], templates[:1])  # compiles first: the key names the runtime
        tower = self.text_tower
        key = hashlib.sha1(
            json.dumps([tower.fingerprint, tower.runtime, tower.precision, labels, templates]).encode(),
            usedforsecurity=False,
        )
        path = runtime.cache_folder(self.model_id) / f"labels-{key.hexdigest()[:16]}.pt"
        if path.exists():
            return torch.load(path, weights_only=True).to(self.device)
        embeddings = self.encode_prompts(labels, templates, on_progress)
        path.parent.mkdir(parents=True, exist_ok=True)
        torch.save(embeddings.cpu(), path.with_suffix(".partial"))
        path.with_suffix(".partial").replace(path)
        return embeddings

    def warm(self) -> None:
        self.embed_images([Image.new("RGB", (224, 224))])
        self.encode_prompts(["cat"], self.templates(False))


def wrap(model: torch.nn.Module, tokenizer: Any, image_processor: Any, model_id: str) -> Clip:
    """Places a network (loaded, or built with random weights by tests); the towers hold the only
    reference to it, so it is freed once both run on the accelerated runtime."""
    model, device, dtype = place(model)
    # Both towers hold the whole model: its weights are hashed once for the two.
    tower = functools.partial(
        Runner, model_id=model_id, device=device, dtype=dtype, weights_fingerprint=runtime.fingerprint(model)
    )
    return Clip(
        model_id,
        device,
        dtype,
        None,
        tokenizer,
        model.config,
        image_processor=image_processor,
        language=config.prompt_language(model_id),
        image_tower=tower(ImageTower(model), part="image"),
        text_tower=tower(TextTower(model), part="text"),
        logit_scale=float(model.logit_scale.detach().exp()),
    )


def load(model_id: str) -> Clip:
    from transformers import AutoImageProcessor, AutoModel, AutoTokenizer

    model, tokenizer, image_processor = from_hub(
        model_id, AutoModel.from_pretrained, AutoTokenizer.from_pretrained, AutoImageProcessor.from_pretrained
    )
    return wrap(model, tokenizer, image_processor, model_id)
