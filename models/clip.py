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
from models import calibration as calibration_set
from models import config, runtime
from models.base import Answers, ClassMap, Ranking, Timings
from models.device import place
from models.hub import HubModel, encode, from_hub
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
    """The image embedding, and the tokens entering the last transformer block (what LastBlock explains)."""

    def forward(self, pixel_values: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        output = self.model.get_image_features(pixel_values=pixel_values, output_hidden_states=True)
        return output.pooler_output, output.hidden_states[-2]


class LastBlock(torch.nn.Module):
    """The vision transformer's last block, pooling and projection: the image embedding from the tokens
    entering that block. Kept in PyTorch beside the converted tower for gradients; it is a twelfth
    of the vision weights, and a backward pass through it alone is short."""

    def __init__(self, model: torch.nn.Module) -> None:
        super().__init__()
        self.layer = model.vision_model.encoder.layers[-1]
        self.post_layernorm = model.vision_model.post_layernorm
        self.projection = model.visual_projection
        self.requires_grad_(True)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        out = self.layer(tokens, None)
        out = out[0] if isinstance(out, tuple) else out
        return unit(self.projection(self.post_layernorm(out[:, 0])))


class LabelScore:
    """Grad-CAM's target: the image's similarity to one label's prompts."""

    def __init__(self, label_vector: torch.Tensor) -> None:
        self.label_vector = label_vector

    def __call__(self, embedding: torch.Tensor) -> torch.Tensor:
        return embedding @ self.label_vector.to(embedding.dtype)


def token_grid(tokens: torch.Tensor) -> torch.Tensor:
    """Patch tokens [images, 1 + rows * columns, width] as maps [images, width, rows, columns] (the
    class token dropped): how grad-cam reads a vision transformer's layer."""
    patches = tokens[:, 1:]
    side = int(round(patches.shape[1] ** 0.5))
    return patches.reshape(len(patches), side, side, -1).permute(0, 3, 1, 2)


class TextTower(Tower):
    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        return self.model.get_text_features(input_ids=input_ids, attention_mask=attention_mask).pooler_output


def patch_grad_cam(block: LastBlock):
    """grad-cam's Grad-CAM at the block's first layer norm, answering on the patch grid itself
    (toolkit.heatmaps scales it over the photo), not at the size of its input tensor."""
    from pytorch_grad_cam import GradCAM

    class OnThePatchGrid(GradCAM):
        def get_target_width_height(self, input_tensor: torch.Tensor) -> tuple[int, int]:
            side = token_grid(input_tensor).shape[-1]
            return side, side

    return OnThePatchGrid(block, [block.layer.layer_norm1], token_grid)


@dataclass
class Clip(HubModel):
    image_processor: Any = None
    language: str = i18n.SOURCE  # the language it is prompted in (config.prompt_language)
    image_tower: Runner | None = None
    text_tower: Runner | None = None
    last_block: LastBlock | None = None
    explain_lock: threading.Lock = field(default_factory=threading.Lock)
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

    def label_maps(
        self, images: list[Image.Image], labels: Labels | list[str], ensemble: bool, ranks: list[int]
    ) -> Answers[ClassMap]:
        """Where in each image the evidence for its label of a rank (0: the likeliest) lies: Grad-CAM
        of the image's similarity to that label at the patch tokens entering the last transformer
        block. The converted tower gives the ranking and those tokens in its one forward pass; the
        gradients come from the last block alone (LastBlock, in PyTorch)."""
        labels = labels if isinstance(labels, Labels) else Labels(tuple(labels))
        timings = Timings()
        with timings.measure("labels", self.device):
            label_features = self.label_embeddings(labels, ensemble)
        with timings.measure("preprocess"):
            pixels = self.preprocess(images)
        with timings.measure("forward", self.device):
            embeddings, tokens = self.image_tower.outputs(pixel_values=pixels)
            probabilities = (self.logit_scale * unit(embeddings) @ label_features.T).softmax(dim=-1).cpu()
        with timings.measure("explain", self.device):
            indices = [Ranking.of(row).indices[rank] for row, rank in zip(probabilities, ranks)]
            parameter = next(self.last_block.parameters())
            # A copy: tokens from PyTorch's inference mode take no part in autograd.
            inputs = tokens.to(parameter.device, parameter.dtype).clone()
            targets = [LabelScore(label_features[index]) for index in indices]
            # One explanation at a time per model: grad-cam hooks the block's layer for the call.
            with self.explain_lock, patch_grad_cam(self.last_block) as cam:
                evidence = cam(input_tensor=inputs, targets=targets)
        rows = [
            ClassMap(index, float(probabilities[row, index]), evidence[row], self.seen_region(image.size))
            for row, (index, image) in enumerate(zip(indices, images))
        ]
        return Answers(rows, timings)

    def seen_region(self, size: tuple[int, int]) -> tuple[int, int, int, int]:
        """The part of a photo (width, height) the network sees, as its image processor resizes and crops."""
        processor = self.image_processor
        width, height = size
        wanted = processor.size
        if "shortest_edge" in wanted:
            scale_x = scale_y = wanted["shortest_edge"] / min(width, height)
        else:
            scale_x, scale_y = wanted["width"] / width, wanted["height"] / height
        if not getattr(processor, "do_center_crop", False):
            return 0, 0, width, height
        crop = processor.crop_size
        x1 = (width * scale_x - crop["width"]) / 2 / scale_x
        y1 = (height * scale_y - crop["height"]) / 2 / scale_y
        return round(x1), round(y1), round(x1 + crop["width"] / scale_x), round(y1 + crop["height"] / scale_y)

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
    images = calibration_set.of_images(
        lambda photo: {"pixel_values": image_processor(images=[photo], return_tensors="pt")["pixel_values"]},
        transformer=True,
    )

    def tokenize(sentence: str) -> dict[str, torch.Tensor]:
        tokens = encode(tokenizer, sentence, truncation=True, return_tensors="pt")
        return {"input_ids": tokens["input_ids"], "attention_mask": tokens["attention_mask"]}

    return Clip(
        model_id,
        device,
        dtype,
        None,
        tokenizer,
        model.config,
        image_processor=image_processor,
        language=config.prompt_language(model_id),
        image_tower=tower(ImageTower(model), part="image-and-last-block-input", calibration=images),
        text_tower=tower(TextTower(model), part="text", calibration=calibration_set.of_texts(model_id, tokenize)),
        logit_scale=float(model.logit_scale.detach().exp()),
        last_block=LastBlock(model),
    )


def load(model_id: str) -> Clip:
    from transformers import AutoImageProcessor, AutoModel, AutoTokenizer

    model, tokenizer, image_processor = from_hub(
        model_id, AutoModel.from_pretrained, AutoTokenizer.from_pretrained, AutoImageProcessor.from_pretrained
    )
    return wrap(model, tokenizer, image_processor, model_id)
