"""The model layer: every model the tabs run is loaded, placed and cached here, by its id.

spaces.yaml names each model and its family, the module of this package that loads and runs it.
A model added to spaces.yaml with a known family needs no code.

    models.load("yolov8n.pt")                  # a models.yolo.Detector, loaded once per process
    models.load_tokenizer("openai-community/gpt2")
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from types import ModuleType
from typing import Any

from models import config
from models.cache import ModelCache
from models.device import LoadedModel, on_zero_gpu, pick_device
from models.errors import ModelUnavailable, ShowcaseError

__all__ = [
    "FAMILIES",
    "LoadedModel",
    "ModelUnavailable",
    "ShowcaseError",
    "default",
    "family_of",
    "hub_models",
    "label",
    "languages",
    "load",
    "load_tokenizer",
    "pick_device",
    "problems",
    "put",
    "reads_chinese",
    "reset",
    "requests_at_once",
    "serve_on_ray",
    "serving_on_ray",
    "stop_serving_on_ray",
    "when_waiting",
]

# Family name in spaces.yaml -> the module that loads and runs it.
FAMILIES = ("yolo", "image_classifier", "clip", "sequence_classifier", "sentence_encoder", "causal_lm")

_cache = ModelCache()
_remote: ModuleType | None = None  # models.remote, once serve_on_ray() started it
label = config.label
languages = config.languages
reads_chinese = config.reads_chinese


def family(name: str) -> ModuleType:
    return importlib.import_module(f"models.{name}")


def family_of(model_id: str) -> str:
    return config.entry(model_id)["family"]


def _key(model_id: str) -> str:
    return f"{family_of(model_id)}:{model_id}"


def load(model_id: str) -> Any:
    """The model, loaded and warmed (compiled for the accelerated runtime) on first use, and kept;
    ModelUnavailable says which model and how to get it."""

    def ready():
        if _remote is not None:
            return _remote.load(model_id)
        model = family(family_of(model_id)).load(model_id)
        if not on_zero_gpu():  # on ZeroGPU, CUDA work runs only inside a request's GPU call
            model.warm()
        return model

    return _cache.get(_key(model_id), ready)


def serve_on_ray(address: str | None = None, **options: Any) -> None:
    """From now on models run on Ray Serve, a deployment per family (models/remote.py): on a new
    local Ray instance, or on the cluster at `address`."""
    global _remote
    from models import remote  # ImportError without requirements-ray.txt installed

    remote.start(address, **options)
    _remote = remote
    reset()


def serving_on_ray() -> bool:
    return _remote is not None


def requests_at_once(embedded: int) -> int:
    """How many requests an endpoint runs at once: `embedded`, what this process's cores allow; on
    Ray Serve, where this process only waits for replicas, as many as it may keep in flight."""
    return embedded if _remote is None else _remote.REQUESTS_AT_ONCE


def stop_serving_on_ray() -> None:
    """Back to loading models in this process; the Serve deployments are deleted."""
    global _remote
    if _remote is not None:
        _remote.stop()
        _remote = None
        reset()


def when_waiting(callback: Callable[[str], None] | None) -> None:
    """callback(model id) runs when a request must wait for a model another thread is loading."""
    _cache.on_wait = None if callback is None else (lambda key: callback(key.split(":", 1)[1]))


def load_tokenizer(model_id: str) -> Any:
    """A hub model's tokenizer alone (its weights are not needed)."""
    if not family(family_of(model_id)).FROM_HUB:
        raise ShowcaseError("'{model_id}' is not a Hugging Face model and has no tokenizer.", model_id=model_id)
    return _cache.get(f"tokenizer:{model_id}", lambda: family("tokenizer").load(model_id))


def is_loaded(model_id: str) -> bool:
    return _key(model_id) in _cache


def put(model_id: str, model: Any) -> None:
    """Installs a model built elsewhere under its id (tests and benchmarks: random-weight stand-ins)."""
    _cache.put(_key(model_id), model)


def reset() -> None:
    """Forgets every loaded model (tests: to see the real loading path again)."""
    _cache.clear()


def default(choices: list[str]) -> str:
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
    """What is wrong with spaces.yaml's model list (unknown families or fields) or its serve section."""
    found = []
    for model_id, entry in config.model_entries().items():
        if not isinstance(entry, dict) or entry.get("family") not in FAMILIES:
            found.append(f"spaces.yaml: model '{model_id}' needs a family, one of {', '.join(FAMILIES)}.")
        elif set(entry) - config.MODEL_FIELDS:
            found.append(
                f"spaces.yaml: model '{model_id}' has unknown fields {sorted(set(entry) - config.MODEL_FIELDS)}."
            )
    for name in set(config.spaces().get("serve", {})) - {"default", *FAMILIES}:
        found.append(f"spaces.yaml: serve: '{name}' is not a model family (one of {', '.join(FAMILIES)}, or default).")
    return found
