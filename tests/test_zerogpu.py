"""ZeroGPU Spaces: handlers become GPU tasks with their durations; generation gets its own worker.

A real ZeroGPU cannot run here; a stand-in `spaces` module records what the app asks of it.
"""

import sys
import types

import gradio as gr
import pytest

from models.decoding import Decoding
from models.errors import ShowcaseError
from tasks import generation
from toolkit import ui


@pytest.fixture
def zero_gpu(monkeypatch):
    """SPACES_ZERO_GPU=true and a `spaces` module whose GPU decorator records (function, duration)."""
    calls = []

    def gpu(duration=None):
        def decorate(fn):
            def task(*args, **kwargs):
                calls.append((fn.__name__, duration))
                return fn(*args, **kwargs)

            return task

        return decorate

    monkeypatch.setitem(sys.modules, "spaces", types.SimpleNamespace(GPU=gpu))
    monkeypatch.setenv("SPACES_ZERO_GPU", "true")
    return calls


def test_handlers_run_as_gpu_tasks_with_their_durations(zero_gpu):
    @ui.user_errors
    @ui.gpu_seconds(120)
    def long(x):
        return x * 2

    @ui.user_errors
    def streamed(x):
        yield x

    @ui.user_errors
    def refused():
        raise ShowcaseError("no such model")

    assert long(2) == 4 and list(streamed(3)) == [3]
    with pytest.raises(gr.Error, match="no such model"):  # still a page message, back in the server
        refused()
    assert zero_gpu == [("long", 120), ("streamed", ui.GPU_SECONDS), ("refused", ui.GPU_SECONDS)]


def test_without_zero_gpu_nothing_is_wrapped(monkeypatch):
    monkeypatch.delenv("SPACES_ZERO_GPU", raising=False)

    def plain(x):
        return x

    assert ui.on_gpu(plain) is plain


def test_generation_gets_its_own_worker_on_zero_gpu(zero_gpu, tiny_gpt2, tiny_gpt2_steps):
    *_, last = generation.stream(tiny_gpt2, "Once upon a time", Decoding(max_new_tokens=5))
    assert last.tokens == 5
    assert tiny_gpt2_steps and not [name for name in tiny_gpt2_steps if name.startswith("showcase-generate")]
