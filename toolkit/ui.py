"""Gradio glue every tab uses: errors as page messages, the image upload, model pickers, the line
under each result, and batched API twins."""

from __future__ import annotations

import functools
import html
import inspect
import logging
import os
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import gradio as gr
import torch

import models
from models.device import LoadedModel, on_zero_gpu
from models.errors import ShowcaseError
from toolkit.i18n import t
from toolkit.messages import in_visitor_language, message
from toolkit.task import Task

log = logging.getLogger("showcase")

# Requests Gradio's queue may put in one batch (batched twins).
MAX_BATCH = 8
# GPU seconds a ZeroGPU Space reserves for one call (spaces.GPU's duration); see gpu_seconds.
GPU_SECONDS = 60


def gpu_seconds(seconds: int) -> Callable:
    """Marks a handler that may need more than GPU_SECONDS of GPU per call on a ZeroGPU Space."""

    def mark(fn: Callable) -> Callable:
        fn.gpu_seconds = seconds
        return fn

    return mark


def on_gpu(fn: Callable) -> Callable:
    """fn as a ZeroGPU task (spaces.GPU, with its gpu_seconds) on a ZeroGPU Space; fn anywhere else."""
    if not on_zero_gpu():
        return fn
    import spaces  # imported before torch by app.py, as ZeroGPU requires

    return spaces.GPU(duration=getattr(fn, "gpu_seconds", GPU_SECONDS))(fn)


def user_errors(fn: Callable) -> Callable:
    """Wraps a UI handler so that failures show as a message in the page, never a traceback.

    ShowcaseError messages are shown in the visitor's language; anything else is logged with its traceback and
    shown as a short internal error, and the server keeps serving. Gradio renders the message as
    HTML, so it is escaped: "<urlopen error>" must show, and a file name must not inject markup.
    On a ZeroGPU Space the handler runs as a GPU task (on_gpu); its errors are translated here,
    back in the server.
    """
    task = on_gpu(fn)

    def translate(error: BaseException) -> BaseException:
        if isinstance(error, gr.Error):
            return error
        if isinstance(error, ShowcaseError):
            return gr.Error(html.escape(in_visitor_language(error.text), quote=False), print_exception=False)
        if isinstance(error, torch.cuda.OutOfMemoryError):
            torch.cuda.empty_cache()
            return gr.Error(message("The GPU ran out of memory on this input; try a smaller one."))
        log.exception("unexpected error in %s", fn.__name__)
        detail = html.escape(f"{type(error).__name__}: {error}", quote=False)
        return gr.Error(message("Something went wrong inside the app ({detail}).", detail=detail))

    if inspect.isgeneratorfunction(fn):

        @functools.wraps(fn)
        def stream(*args, **kwargs):
            try:
                yield from task(*args, **kwargs)
            except Exception as error:
                raise translate(error) from error

        return stream

    @functools.wraps(fn)
    def call(*args, **kwargs):
        try:
            return task(*args, **kwargs)
        except Exception as error:
            raise translate(error) from error

    return call


def image_input(label: str = "Photo") -> gr.Image:
    """An image upload handed to the handler as a file path, unopened.

    gr.Image opens an uploaded file itself before the handler runs, so a corrupt or non-image upload
    fails there with a hidden error; this one hands over the path and toolkit.inputs.open_image says
    what is wrong. (Overridden on the instance: a gr.Image subclass makes Gradio write a .pyi stub.)
    """
    component = gr.Image(type="filepath", image_mode=None, label=t(label))
    preprocess_opened = component.preprocess

    def preprocess(payload):
        if payload is not None and payload.path and not (payload.url or "").startswith("data:"):
            return str(payload.path)
        return preprocess_opened(payload)

    component.preprocess = preprocess
    return component


def image_output(label: str, format: str = "jpeg", **kwargs) -> gr.Image:
    """An image result (an RGB or RGBA array) whose file no download finds half-written.

    Gradio names a result's file after a hash of its bytes and rewrites that file on every request
    that returns the same image; a room of visitors clicking the same example at once then downloads
    truncated images. This one writes the file under a temporary name and renames it into place, so
    a reader has the whole old file or the whole new one. (Overridden on the instance, as image_input.)
    """
    from gradio import processing_utils
    from gradio.data_classes import ImageData
    from PIL import Image

    component = gr.Image(type="numpy", label=t(label), format=format, **kwargs)

    def postprocess(value):
        if value is None:
            return None
        data = processing_utils.encode_pil_to_bytes(Image.fromarray(value), format)
        folder = Path(component.GRADIO_CACHE) / processing_utils.hash_bytes(data)
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"image.{format}"
        if not path.exists():
            partial = folder / f".{uuid.uuid4().hex}.{format}"
            partial.write_bytes(data)
            os.replace(partial, path)
        return ImageData(path=str(path), orig_name=path.name)

    component.postprocess = postprocess
    return component


def model_dropdown(task: Task, role: str = "model", label: str = "Model") -> gr.Dropdown:
    """A picker of the task's models for one role, named by their spaces.yaml labels."""
    choices = task.choices(role)
    return gr.Dropdown([(models.label(m), m) for m in choices], value=task.default(role), label=t(label))


def info_line() -> gr.Markdown:
    """The output that shows run_info; labelled so that the API page and MCP tools name it."""
    return gr.Markdown(label="Info: the model, where and how it ran, and how long it took")


def run_info(model: LoadedModel, ms: float | None, note: str = "", name: str | None = None) -> str:
    """The line under each result: which model answered, where and how, and how long it took; once,
    after the request that converted the model for the accelerated runtime, how long that took."""
    text = message(
        "**{name}** on `{device}` ({runtime} {precision})",
        name=name or models.label(model.model_id),
        device=model.device.type,
        runtime=model.runtime,
        precision=model.precision,
    )
    if ms is not None:
        text += f" · {ms:.0f} ms"
    converted_s = model.take_conversion_seconds()
    conversion = (
        message(
            "First use: converted to {runtime} in {seconds:.1f} s; kept on disk for next time.",
            runtime=model.runtime,
            seconds=converted_s,
        )
        if converted_s
        else ""
    )
    return "\n\n".join(part for part in (text, conversion, note) if part)


def one_request(
    prepare: Callable[..., tuple[Any, Any]], predict: Callable[[Any, list], list[tuple]], description: str
) -> Callable:
    """A plain endpoint's handler from the same two steps as its batched twin: a batch of one.
    `description` is its docstring (API page and MCP tool): what it does, its Args and Returns."""

    def handler(*request):
        key, prepared = prepare(*request)
        return predict(key, [prepared])[0]

    handler.__name__ = predict.__module__.rsplit(".", 1)[-1]
    handler.__signature__ = inspect.signature(prepare)  # named parameters, not *request
    handler.__doc__ = description
    return user_errors(handler)


def batch_endpoint(
    prepare: Callable[..., tuple[Any, Any]], predict: Callable[[Any, list], list[tuple]], failed: Callable[[str], tuple]
) -> Callable:
    """A Gradio batch handler (batch=True) built from per-request and per-group steps.

    prepare(*one request's inputs) checks the input and returns (group key, prepared input); requests
    with the same key (same model and settings) go through predict(key, inputs) together, in one
    forward pass. A request whose input is bad gets failed(reason) as its outputs; the rest of
    the batch is still answered, which raising gr.Error would not allow.
    """

    def handler(*columns):
        results: list[tuple | None] = [None] * len(columns[0])
        groups: dict[Any, list[tuple[int, Any]]] = {}
        for row, request in enumerate(zip(*columns)):
            try:
                key, prepared = prepare(*request)
                groups.setdefault(key, []).append((row, prepared))
            except ShowcaseError as error:
                results[row] = failed(in_visitor_language(error.text))
        for key, members in groups.items():
            try:
                outputs = predict(key, [prepared for _, prepared in members])
            except ShowcaseError as error:
                outputs = [failed(in_visitor_language(error.text))] * len(members)
            for (row, _), output in zip(members, outputs):
                results[row] = output
        return tuple(list(column) for column in zip(*results))

    return handler


def add_batched_api(
    prepare: Callable[..., tuple[Any, Any]],
    predict: Callable[[Any, list], list[tuple]],
    inputs: list,
    outputs: list,
    api_name: str,
) -> None:
    """Registers an API-only endpoint whose concurrent requests go through one forward pass together.

    A bad request gets "**Error:** message" in its last output and empty earlier ones. One batch at
    a time: Gradio starts a batch with whatever is waiting and never waits to fill it, so with two
    running at once most batches held a single request (bench/RESULTS.md, section 3); one at a
    time, the requests that arrive during a batch form the next one.
    """

    def failed(reason: str) -> tuple:
        return (*([None] * (len(outputs) - 1)), message("**Error:** {reason}", reason=reason))

    handler = on_gpu(batch_endpoint(prepare, predict, failed))
    handler.__signature__ = inspect.signature(prepare)  # the API page names the inputs
    handler.__doc__ = (
        f"The batched twin of /{api_name.removesuffix('_batched')}: the same inputs and outputs, "
        "each a list with one item per request; concurrent requests share one forward pass."
    )
    gr.Button(visible=False).click(
        not_a_tool(handler),
        inputs,
        outputs,
        api_name=api_name,
        batch=True,
        max_batch_size=MAX_BATCH,
        concurrency_limit=1,
    )


def not_a_tool(fn: Callable) -> Callable:
    """Keeps an endpoint out of the MCP tool list (training, batched twins, trying a trained model):
    Gradio lists a function as a tool unless it is marked as another kind of MCP object."""
    fn._mcp_type = "not a tool"
    return fn


def name_tools(demo: gr.Blocks) -> None:
    """Names each endpoint's MCP tool after its API name (`detect`, not the handler's `run`); the tool's
    description and parameters come from the handler's docstring."""
    for block_fn in demo.fns.values():
        if (
            block_fn.api_visibility == "public"
            and block_fn.api_name
            and block_fn.fn is not None
            and getattr(block_fn.fn, "_mcp_type", "tool") == "tool"
        ):
            block_fn.fn.__name__ = block_fn.api_name
