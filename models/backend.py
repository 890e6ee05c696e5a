"""Where models run: in this process (Embedded), or on Ray Serve (models.remote.RayServe). The
backend in use loads each model once, by its id, and keeps it; models.load asks it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from models.cache import ModelCache
from models.device import on_zero_gpu
from models.families import family, family_of


class Backend:
    """Loads models by id, once each, and keeps them."""

    name = ""

    def __init__(self) -> None:
        self.cache = ModelCache()
        self.recipes: dict[str, Callable[[], Any]] = {}  # how an installed model is built again

    @staticmethod
    def key(model_id: str) -> str:
        return f"{family_of(model_id)}:{model_id}"

    def load(self, model_id: str) -> Any:
        return self.cache.get(self.key(model_id), lambda: self.build(model_id))

    def build(self, model_id: str) -> Any:
        """The model, loaded and ready to answer (what load keeps)."""
        raise NotImplementedError

    def install(self, model_id: str, model: Any, recipe: Callable[[], Any] | None = None) -> None:
        """Keeps a model built elsewhere under its id (random-weight stand-ins, in tests and
        benchmarks), with how to build it again (copy), if it can be."""
        self.cache.put(self.key(model_id), model)
        if recipe is not None:
            self.recipes[model_id] = recipe

    def copy(self, model_id: str) -> Any:
        """Another copy of the model, built as it was and warmed, not kept: the runtime ledger's,
        built under a runtime Choice (models.runtime.choosing)."""
        recipe = self.recipes.get(model_id) or (lambda: family(family_of(model_id)).load(model_id))
        model = recipe()
        model.warm()
        return model

    def is_loaded(self, model_id: str) -> bool:
        return self.key(model_id) in self.cache

    def requests_at_once(self, embedded: int) -> int:
        """How many requests an endpoint runs at once, given what this process's cores allow."""
        return embedded

    def forget(self) -> None:
        """Forgets every model it loaded: the next load of each loads it again."""
        self.cache.clear()

    def stop(self) -> None:
        """Ends the backend (another takes over): its models are forgotten."""
        self.forget()


class Embedded(Backend):
    """Every model in this process: loaded and warmed (compiled for the accelerated runtime) on first use."""

    name = "embedded"

    def build(self, model_id: str) -> Any:
        model = family(family_of(model_id)).load(model_id)
        if not on_zero_gpu():  # on ZeroGPU, CUDA work runs only inside a request's GPU call
            model.warm()
        return model
