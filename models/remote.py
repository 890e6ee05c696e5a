"""The Ray Serve backend (`python app.py --backend ray`): each model family is a Serve deployment.

The tabs do not know. models.load returns a RemoteModel: it carries the model's plain attributes
(id, device, runtime, precision, tokenizer, labels, ...) and sends every method call to a replica
of the family's deployment, where the embedded model layer loads and runs the model: a tab's
task-level call (top_k, classify, detect, rank, stream) is one replica call. A method that yields
streams back, and closing the stream (Stop) stops it in the replica. Calls of a family's BATCHED methods from
concurrent requests are joined into one call. Options per family (replicas, autoscaling, CPU or
GPU per replica) come from spaces.yaml's `serve` section.
"""

from __future__ import annotations

import functools
import logging
import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import ray
import torch
from ray import serve
from ray.exceptions import GetTimeoutError, RayActorError, RayTaskError
from ray.serve.exceptions import BackPressureError, DeploymentUnavailableError, ReplicaUnavailableError
from ray.serve.schema import ApplicationStatus

from models import config, families
from models.backend import Backend
from models.errors import ShowcaseError
from models.replica import FamilyServer, rows

log = logging.getLogger("showcase")

# Requests per endpoint the app keeps in flight to the deployments (Serve queues and spreads them).
REQUESTS_AT_ONCE = 16
# A request that gets no answer in this long is failed with a message rather than left hanging.
ANSWER_TIMEOUT_S = 300.0
# A family's replicas not running this long after it is deployed (their models load and convert
# first) are given up on, with a message.
DEPLOY_TIMEOUT_S = 300.0
# Settings the replicas need to find and run models as this process does (model caches, runtime).
FORWARDED_VARIABLES = (
    "HF_HOME",
    "HF_HUB_OFFLINE",
    "TORCH_HOME",
    "YOLO_OFFLINE",
    "SHOWCASE_MODEL_DIR",
    "SHOWCASE_CACHE",
    "SHOWCASE_RUNTIME",
    "SHOWCASE_PRECISION",
    "SHOWCASE_DEVICE",
    "HF_HUB_DISABLE_TELEMETRY",
)


@contextmanager
def answered(name: str) -> Iterator[None]:
    """A replica's failure as the visitor's message: the model's own errors as they are, a lost or
    busy replica and a missing answer as what happened, never a hang."""
    try:
        yield
    except RayTaskError as error:  # raised by the model in the replica: the same error as embedded
        raise (error.cause if error.cause is not None else error) from None
    except (RayActorError, ReplicaUnavailableError) as error:
        log.warning("a replica serving %s was lost: %s", name, error)
        raise ShowcaseError(
            "The worker running {name} stopped while answering; it is being replaced. Try again in a few seconds.",
            name=name,
        ) from None
    except (BackPressureError, DeploymentUnavailableError) as error:
        log.warning("%s: %s", name, error)
        raise ShowcaseError("Every worker running {name} is busy; try again in a few seconds.", name=name) from None
    except (GetTimeoutError, TimeoutError):
        raise ShowcaseError(
            "{name} did not answer within {seconds:g} s; the model server may be overloaded.",
            name=name,
            seconds=ANSWER_TIMEOUT_S,
        ) from None


class RemoteModel:
    """A model served by its family's deployment, used as the loaded model itself would be."""

    def __init__(self, handle, model_id: str, description: dict[str, Any]) -> None:
        self._handle = handle
        self._model_id = model_id
        self._class = description["class"]
        self._streams, self._batched = set(description["streams"]), set(description["batched"])
        self.__dict__.update(description["attributes"])

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        if name in self._streams:
            return functools.partial(self._stream, name)
        return functools.partial(self._call, name)

    def _call(self, method: str, *args, **kwargs) -> Any:
        # A progress callback cannot reach into a replica: its work shows no progress here.
        kwargs.pop("on_progress", None)
        with answered(config.label(self._model_id)):
            if method in self._batched and args and isinstance(args[0], (list, torch.Tensor)) and rows(args[0]):
                response = self._handle.call_batched.remote((self._model_id, method, args[0], args[1:], kwargs))
            else:
                response = self._handle.call.remote(self._model_id, method, args, kwargs)
            return response.result(timeout_s=ANSWER_TIMEOUT_S)

    def _stream(self, method: str, *args, **kwargs) -> Iterator[Any]:
        responses = self._handle.options(stream=True).stream.remote(self._model_id, method, args, kwargs)
        try:
            with answered(config.label(self._model_id)):
                yield from responses
        finally:
            responses.cancel()  # Stop, or a visitor gone: the replica stops generating


def options(family: str, overrides: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """spaces.yaml's Serve options for a family: its own over `default`, and this run's over both;
    autoscaling sets the number of replicas itself."""
    settings = config.spaces().get("serve", {})
    chosen = {**settings.get("default", {}), **settings.get(family, {}), **overrides.get(family, {})}
    if "autoscaling_config" in chosen:
        chosen.pop("num_replicas", None)
    return chosen


def wait_until_running(family: str) -> None:
    """Returns once the family's replicas run; a ShowcaseError if they do not within DEPLOY_TIMEOUT_S
    (serve.run would wait for ever on a replica no node can place: more CPUs or GPUs than there are)."""
    started = time.monotonic()
    while True:
        status = serve.status().applications.get(family)
        if status is not None and status.status == ApplicationStatus.RUNNING:
            return
        failed = status is not None and status.status == ApplicationStatus.DEPLOY_FAILED
        if failed or time.monotonic() - started > DEPLOY_TIMEOUT_S:
            if status is None:
                reason = "not deployed"
            else:
                messages = " ".join(d.message for d in status.deployments.values() if d.message)
                reason = messages or status.message or status.status.value
            log.warning("Serve deployment %s not running: %s", family, reason)
            raise ShowcaseError(
                "No worker for {family} models could be started on the model server ({reason}).",
                family=family,
                reason=reason[:400],
            )
        time.sleep(0.2)


class RayServe(Backend):
    """Models on Ray Serve: a deployment per family, made when its first model is loaded."""

    name = "ray"

    def __init__(
        self,
        address: str | None = None,
        overrides: dict[str, dict[str, Any]] | None = None,
        setup: Callable[[str], None] | None = None,
        **ray_options,
    ) -> None:
        """Connects to Ray (a new local instance unless address names a cluster) and starts Serve
        there. overrides: Serve options by family, over spaces.yaml's; setup(family): a module-level
        function each replica runs before loading models (tests and benchmarks: install stand-ins)."""
        super().__init__()
        self.overrides, self.setup = overrides or {}, setup
        self.deployments: dict[str, Any] = {}
        self.lock = threading.Lock()
        environment = {name: os.environ[name] for name in FORWARDED_VARIABLES if name in os.environ}
        runtime_env: dict[str, Any] = {"env_vars": {**environment, "PYTHONPATH": str(config.ROOT)}}
        if address:  # a cluster's nodes get this checkout's code; their Python needs requirements.txt installed
            runtime_env = {
                "env_vars": environment,
                "working_dir": str(config.ROOT),
                "excludes": [".git", ".venv", "tests", "bench", "examples/*.mp4"],
            }
        ray.init(address=address, runtime_env=runtime_env, ignore_reinit_error=True, **ray_options)
        serve.start(proxy_location="Disabled")  # no HTTP: the Gradio app is the only caller

    def defaults_of(self, family: str) -> list[str]:
        """The family's models that some tab offers first: each replica loads them before serving."""
        choices = [choices for roles in config.task_entries().values() for choices in roles.values()]
        firsts = {families.default(models, self.is_loaded) for models in choices}
        return sorted(model_id for model_id in firsts if families.family_of(model_id) == family)

    def deployment(self, family: str):
        """The handle of the family's deployment, deployed on first use (or found running)."""
        with self.lock:
            if family not in self.deployments:
                server = serve.deployment(FamilyServer).options(name=family, **options(family, self.overrides))
                app = server.bind(family, self.defaults_of(family), self.setup)
                # serve.run, less its endless wait for replicas that may never be placed
                handle = serve._run(app, name=family, route_prefix=None, _blocking=False)
                wait_until_running(family)
                self.deployments[family] = handle
            return self.deployments[family]

    def build(self, model_id: str) -> RemoteModel:
        handle = self.deployment(families.family_of(model_id))
        with answered(config.label(model_id)):
            description = handle.describe.remote(model_id).result(timeout_s=ANSWER_TIMEOUT_S)
        return RemoteModel(handle, model_id, description)

    def requests_at_once(self, embedded: int) -> int:
        return REQUESTS_AT_ONCE

    def stop(self) -> None:
        """Deletes the deployments and disconnects (a local instance ends)."""
        self.forget()
        self.deployments.clear()
        serve.shutdown()
        ray.shutdown()
