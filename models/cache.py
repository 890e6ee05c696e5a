"""Loaded models, kept for the life of the process."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

log = logging.getLogger("showcase")


class ModelCache:
    """Loads each model once per process and keeps it.

    A lock per key means two first requests for the same model wait for one load, while loads of
    different models proceed in parallel. Failed loads are not cached, so a later request retries.
    """

    def __init__(self) -> None:
        self._models: dict[str, Any] = {}
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()
        # Called with the key when a request must wait for another thread's load (the background
        # warm-up, or another visitor's first request); the app shows it as a message.
        self.on_wait: Callable[[str], None] | None = None

    def get(self, key: str, loader: Callable[[], Any]) -> Any:
        if key in self._models:
            return self._models[key]
        with self._guard:
            lock = self._locks.setdefault(key, threading.Lock())
        if self.on_wait is not None and lock.locked():
            self.on_wait(key)
        with lock:
            if key not in self._models:
                started = time.perf_counter()
                self._models[key] = loader()
                log.info("loaded %s in %.1f s", key, time.perf_counter() - started)
            return self._models[key]

    def put(self, key: str, model: Any) -> None:
        """Installs an already built model (tests and benchmarks install random-weight stand-ins)."""
        self._models[key] = model

    def __contains__(self, key: str) -> bool:
        return key in self._models

    def clear(self) -> None:
        self._models.clear()
