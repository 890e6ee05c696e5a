"""The model families: one module of this package each, which loads and runs the models spaces.yaml
lists under it."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from types import ModuleType

from models import config

# Family name in spaces.yaml -> the module that loads and runs it.
FAMILIES = ("yolo", "image_classifier", "clip", "sequence_classifier", "sentence_encoder", "causal_lm")


def family(name: str) -> ModuleType:
    return importlib.import_module(f"models.{name}")


def family_of(model_id: str) -> str:
    return config.entry(model_id)["family"]


def default(choices: list[str], is_loaded: Callable[[str], bool]) -> str:
    """The first choice, unless offline and only a later one can load here (a YOLO file on disk)."""
    for model_id in choices:
        available = getattr(family(family_of(model_id)), "available_offline", None)
        if available is None or available(model_id) or is_loaded(model_id):
            return model_id
    return choices[0]


def hub_models() -> list[str]:
    """Ids of the models that come from the Hugging Face hub (the Space card lists them)."""
    return [model_id for model_id, entry in config.model_entries().items() if family(entry["family"]).FROM_HUB]


def problems() -> list[str]:
    """What is wrong with spaces.yaml's models (unknown families or fields, a CLIP model with no
    prompts in its language) or its serve section."""
    found = []
    for model_id, entry in config.model_entries().items():
        if not isinstance(entry, dict) or entry.get("family") not in FAMILIES:
            found.append(f"spaces.yaml: model '{model_id}' needs a family, one of {', '.join(FAMILIES)}.")
        elif set(entry) - config.MODEL_FIELDS:
            unknown = sorted(set(entry) - config.MODEL_FIELDS)
            found.append(f"spaces.yaml: model '{model_id}' has unknown fields {unknown}.")
        elif entry["family"] == "clip" and not config.reads(model_id, config.prompt_language(model_id)):
            found.append(f"spaces.yaml: prompts has no templates in a language '{model_id}' reads.")
    for name in set(config.spaces().get("serve", {})) - {"default", *FAMILIES}:
        found.append(f"spaces.yaml: serve: '{name}' is not a model family (one of {', '.join(FAMILIES)}, or default).")
    return found
