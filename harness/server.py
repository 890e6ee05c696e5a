"""The app served on a free local port for tests, with random-weight stand-ins for missing weights."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from contextlib import contextmanager

import httpx
from gradio_client import Client

import app
import models
from harness.offline import ROOT
from harness.stand_ins import install


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def local_client(url: str) -> Client:
    """A gradio_client Client for a server on this machine.

    ssl_verify=False because gradio_client makes a fresh httpx client per request, and with
    verification on each one loads the CA bundle: 77 ms of CPU per request (measured), which on a
    2-core machine starves the server the clients are measuring. The URL is plain http, so no
    certificate is ever checked either way.
    """
    return Client(url, verbose=False, ssl_verify=False)


def serve(stand_ins: dict):
    """Yields a gradio_client Client of the app served in this process, with these models installed
    ({model id: model}); for a pytest fixture to `yield from`."""
    install(stand_ins)
    demo = app.build_app()
    port = free_port()
    app.launch(demo, "127.0.0.1", port, prevent_thread_lock=True, quiet=True)
    yield local_client(f"http://127.0.0.1:{port}/")
    demo.close()
    models.backend().forget()


@contextmanager
def spawned(command: list[str], timeout: float = 600, port: int | None = None):
    """A server in its own process (`python <command> --port N`, on a free port unless given):
    yields (pid, url, seconds until its page answered)."""
    port = port or free_port()
    url = f"http://127.0.0.1:{port}/"
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, *command, "--port", str(port)], cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"{command} exited with {process.returncode}")
            if time.perf_counter() - started > timeout:
                raise TimeoutError(f"{command} did not answer within {timeout} s")
            try:
                if httpx.get(url, timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        yield process.pid, url, time.perf_counter() - started
    finally:
        process.terminate()
        process.wait(timeout=30)
