"""The model layer: every model the tabs run is loaded, placed and cached here, by its id.

spaces.yaml names each model and its family, the module of this package that loads and runs it.
A model added to spaces.yaml with a known family needs no code. Where models run is the backend's
choice: this process (models.backend.Embedded, the default), or Ray Serve (serve_on_ray).

    models.load("yolov8n.pt")                  # a models.yolo.Detector, loaded once per process
    models.load_tokenizer("openai-community/gpt2")
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from models import config, families
from models.backend import Backend, Embedded
from models.cache import ModelCache
from models.errors import ModelUnavailable, ShowcaseError
from models.families import FAMILIES, family, family_of, hub_models, problems

__all__ = [
    "FAMILIES",
    "ModelUnavailable",
    "ShowcaseError",
    "backend",
    "default",
    "family",
    "family_of",
    "hub_models",
    "label",
    "languages",
    "load",
    "load_tokenizer",
    "problems",
    "reads",
    "requests_at_once",
    "serve_on_ray",
    "stop_serving_on_ray",
    "use",
    "when_waiting",
]

label = config.label
languages = config.languages
reads = config.reads

_backend: Backend = Embedded()
_tokenizers = ModelCache()


def backend() -> Backend:
    """Where models run now."""
    return _backend


def use(new: Backend) -> None:
    """Models load and run on `new` from now on; what the old backend held is forgotten."""
    global _backend
    new.cache.on_wait = _backend.cache.on_wait
    _backend.stop()
    _backend = new


def load(model_id: str) -> Any:
    """The model, loaded and warmed on first use, and kept; ModelUnavailable says which model and
    how to get it."""
    return _backend.load(model_id)


def serve_on_ray(address: str | None = None, **options: Any) -> None:
    """From now on models run on Ray Serve, a deployment per family (models/remote.py): on a new
    local Ray instance, or on the cluster at `address`. Ray is optional (requirements-ray.txt)."""
    from models.remote import RayServe  # ImportError without Ray installed

    use(RayServe(address, **options))


def stop_serving_on_ray() -> None:
    """Back to loading models in this process; the Serve deployments are deleted."""
    if _backend.name == "ray":
        use(Embedded())


def requests_at_once(embedded: int) -> int:
    """How many requests an endpoint runs at once: `embedded`, what this process's cores allow; on
    Ray Serve, where this process only waits for replicas, as many as it may keep in flight."""
    return _backend.requests_at_once(embedded)


def when_waiting(callback: Callable[[str], None] | None) -> None:
    """callback(model id) runs when a request must wait for a model another thread is loading."""
    _backend.cache.on_wait = None if callback is None else (lambda key: callback(key.split(":", 1)[1]))


def load_tokenizer(model_id: str) -> Any:
    """A hub model's tokenizer alone (its weights are not needed), loaded in this process."""
    if not family(family_of(model_id)).FROM_HUB:
        raise ShowcaseError("'{model_id}' is not a Hugging Face model and has no tokenizer.", model_id=model_id)
    return _tokenizers.get(model_id, lambda: family("tokenizer").load(model_id))


def default(choices: list[str]) -> str:
    """The first choice, unless offline and only a later one can load here (a YOLO file on disk)."""
    return families.default(choices, _backend.is_loaded)
