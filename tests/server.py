"""The app served on a free local port for tests, with random-weight stand-ins for missing weights."""

from __future__ import annotations

import socket

from gradio_client import Client

import app
from tasks import common


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve(stand_ins: dict):
    """Yields a gradio_client Client of a running app; for a pytest fixture to `yield from`."""
    for key, model in stand_ins.items():
        common.MODELS.put(key, model)
    demo = app.build_app()
    port = free_port()
    app.launch(demo, "127.0.0.1", port, prevent_thread_lock=True, quiet=True)
    yield Client(f"http://127.0.0.1:{port}/", verbose=False)
    demo.close()
    common.MODELS.clear()
