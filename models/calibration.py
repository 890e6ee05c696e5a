"""What INT8 quantization calibrates on: the photos and sentences the project ships as examples,
through each family's own preprocessing. Never a visitor's upload."""

from __future__ import annotations

from collections.abc import Callable

import torch
from PIL import Image

import examples
from models import config
from models.runtime import Calibration


def photos() -> list[Image.Image]:
    return [Image.open(path).convert("RGB") for path in examples.photos()]


def sentences(model_id: str) -> list[str]:
    """The example reviews in the first language the model reads."""
    return examples.sentences(next(iter(config.languages(model_id)), "en"))


def of_images(preprocess: Callable[[Image.Image], dict[str, torch.Tensor]], transformer: bool = False) -> Calibration:
    """One sample per example photo: preprocess turns a photo into the network's keyword inputs."""
    return Calibration(lambda: [preprocess(photo) for photo in photos()], transformer)


def of_texts(model_id: str, tokenize: Callable[[str], dict[str, torch.Tensor]]) -> Calibration:
    """One sample per example sentence, for a transformer: tokenize turns a sentence into the
    network's keyword inputs."""
    return Calibration(lambda: [tokenize(sentence) for sentence in sentences(model_id)], transformer=True)
