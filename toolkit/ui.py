"""Gradio glue every tab uses: errors as page messages, the image upload, model pickers, the line
under each result, and endpoints bound to their buttons, with their batched twins."""

from __future__ import annotations

import collections
import functools
import html
import inspect
import logging
from collections.abc import Callable
from typing import Any

import gradio as gr
import pandas as pd
import torch

import i18n
import models
from models.base import LoadedModel
from models.device import on_zero_gpu
from models.errors import ShowcaseError
from toolkit import gradio_internals, heatmaps
from toolkit.inputs import open_image
from toolkit.interface import choices, t
from toolkit.messages import in_visitor_language, message
from toolkit.task import Endpoint, Task

log = logging.getLogger("showcase")

# Requests Gradio's queue may put in one batch (batched twins).
MAX_BATCH = 8
# GPU seconds a ZeroGPU Space reserves for one call (spaces.GPU's duration); see gpu_seconds.
GPU_SECONDS = 60
# A live stream's frame (or a clip's, as it is annotated) stays on the server's disk this long after
# it is written (the page fetches it at once; a slow phone may take a few seconds).
LIVE_FRAME_SECONDS = 10


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


def download_failure(url: str, error: Exception) -> str:
    """Why a file an API or MCP client named by URL could not be fetched, for the client to read:
    the server fetches only public http(s) addresses (Gradio's guard against requests to the
    server's own network)."""
    reason = str(error)
    if "failed validation" in reason:
        reason = message("it is on a private or local network, which this server does not fetch from")
    elif "Unable to resolve hostname" in reason:
        reason = message("its host name could not be found")
    elif "Status code:" in reason:
        reason = message("the server there answered HTTP {status}", status=reason.rsplit(" ", 1)[-1])
    shown = url if len(url) <= 120 else url[:117] + "…"
    return html.escape(
        message(
            "The file at {url} could not be fetched: {reason}. Send the file itself (or a data URL), or a "
            "public http(s) URL.",
            url=shown,
            reason=reason,
        ),
        quote=False,
    )


def image_input(label: Any = None, **kwargs) -> gr.Image:
    """An image (an upload, or a webcam's frames) handed to the handler unopened, as a file path or
    bytes: gr.Image would decode it before the handler runs, so a corrupt, non-image or oversized
    upload would fail there with a hidden error or cost memory; toolkit.inputs.open_image checks it
    from its header and says what is wrong."""
    component = gr.Image(type="filepath", image_mode=None, label=label or t("Photo"), **kwargs)
    return gradio_internals.hand_over_path(component)


def whole_number(value: int, label: Any, **kwargs) -> gr.Number:
    """A box for a whole number (the API calls it an integer) whose value the handler checks: Gradio's
    own rounding would fail on '1e400' with its generic error (toolkit.inputs.number says what is wrong)."""
    return gradio_internals.hand_over_as_sent(gr.Number(value=value, precision=0, label=label, **kwargs))


def image_output(label: Any, format: str = "jpeg", **kwargs) -> gr.Image:
    """An image result (an RGB or RGBA array) whose file no download finds half-written: Gradio
    names a result's file after a hash of its bytes and rewrites it on every request that returns
    the same image, so a room of visitors clicking the same example at once would download
    truncated images."""
    component = gr.Image(type="numpy", label=label, format=format, **kwargs)
    return gradio_internals.write_whole_files(component, format)


def live_image_output(label: Any, **kwargs) -> gr.Image:
    """Result frames that follow each other (a live stream's, a clip's as it is annotated), each
    deleted from the server's disk LIVE_FRAME_SECONDS after it is written: the page fetches a frame
    as soon as it is answered."""
    component = gr.Image(type="numpy", label=label, format="jpeg", **kwargs)
    return gradio_internals.write_short_lived_files(component, "jpeg", LIVE_FRAME_SECONDS)


def heatmap_output(photo: gr.Image, elem_id: str, label: Any = None) -> tuple[gr.Image, gr.Slider, gr.State]:
    """An explanation's picture: the heat over the photo, an opacity slider that redraws it without
    running the model again, and the state that keeps the heat for the slider."""
    shown = image_output(label or t("Explanation"), elem_id=elem_id)
    opacity = gr.Slider(0, 1, value=heatmaps.OPACITY, step=0.05, label=t("Opacity of the heat"))
    heatmap = gr.State()

    def redraw(image, kept: heatmaps.Heatmap | None, value: float):
        if kept is None:
            return gr.skip()
        return heatmaps.overlay(open_image(image), kept, value)

    opacity.change(user_errors(redraw), [photo, heatmap, opacity], shown, api_visibility="private", queue=False)
    return shown, opacity, heatmap


# The app's "a saved result is on screen" flag (toolkit.sharing): set, the page shows a saved result
# whose inputs it fills in, and their change must not empty the outputs it fills in beside them.
_showing_saved: list[gr.State] = []


def hold_outputs_while(showing_saved: gr.State) -> None:
    """From now on, cleared_by leaves outputs as they are while `showing_saved` is set."""
    _showing_saved[:] = [showing_saved]


def cleared_by(events: list[Callable], outputs: list) -> None:
    """Each event empties the outputs at once: what they show no longer belongs to what is on screen
    (unless a saved result is being shown: hold_outputs_while)."""

    def cleared(showing_saved: bool = False):
        return dict.fromkeys(outputs, gr.skip() if showing_saved else None)

    for event in events:
        event(cleared, _showing_saved[:1], outputs, queue=False, api_visibility="private", show_progress="hidden")


def model_dropdown(task: Task, role: str = "model", label: Any = None) -> gr.Dropdown:
    """A picker of the task's models for one role, named by their spaces.yaml labels; a visitor
    starts with the model for their language (Task.model_for)."""
    choices = task.choices(role)
    picker = gr.Dropdown([(models.label(m), m) for m in choices], value=task.default(role), label=label or t("Model"))
    picker.picks_a_model = True  # a shared result records the model it names (toolkit.sharing)
    return greet(picker, functools.partial(task.model_for, role=role))


# Each input's value when the page opens, chosen for the visitor's language: collected while the tabs
# are built, then set by one load event of the app (take_greetings).
_greetings: list[tuple[Any, Callable[[str], Any]]] = []


def greet(component: Any, value_for: Callable[[str], Any]) -> Any:
    """The component starts with value_for(the visitor's language) when the page opens."""
    _greetings.append((component, value_for))
    return component


def radio(values: list[str], value: str, label: Any, **kwargs) -> gr.Radio:
    """A radio of choices shown in the visitor's language (the handler gets the English value), its
    value set again as the page opens: a page in another language than English draws it with no
    choice marked."""
    return greet(gr.Radio(choices(values), value=value, label=label, **kwargs), lambda language: value)


def in_language(texts: list[str]) -> Callable[[str], str]:
    """value_for a text input: the first of `texts` written in the visitor's language, else the first."""

    def first(language: str) -> str:
        return next((text for text in texts if i18n.text_language([text]) == language), texts[0])

    return first


def table_with_columns(component: gr.DataFrame, columns: list[str]) -> gr.DataFrame:
    """An empty table that shows its column titles, in the visitor's language, before its first result."""
    return greet(component, lambda language: pd.DataFrame(columns=[i18n.translate(c, language) for c in columns]))


def take_greetings() -> list[tuple[Any, Callable[[str], Any]]]:
    """The greetings of the tabs built since the last call (one app's)."""
    taken = list(_greetings)
    _greetings.clear()
    return taken


def info_line(**kwargs) -> gr.Markdown:
    """The output that shows run_info; labelled so that the API page and MCP tools name it."""
    return gr.Markdown(label=t("Info: the model, where and how it ran, and how long it took"), **kwargs)


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
        note_answer_time(model.model_id, ms)
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


# The last answer's milliseconds per (visitor's session, model), which a shared result records;
# the oldest sessions are forgotten first.
_answer_times: collections.OrderedDict[tuple[str, str], float] = collections.OrderedDict()
ANSWER_TIMES_KEPT = 10_000


def note_answer_time(model_id: str, ms: float) -> None:
    session = gradio_internals.session_id()
    if session is None:
        return
    _answer_times[session, model_id] = ms
    _answer_times.move_to_end((session, model_id))
    while len(_answer_times) > ANSWER_TIMES_KEPT:
        _answer_times.popitem(last=False)


def answer_time(model_id: str) -> float | None:
    """How long the model's last answer to this visitor took (ms), if it answered this session."""
    session = gradio_internals.session_id()
    return _answer_times.get((session, model_id)) if session is not None else None


def one_request(
    prepare: Callable[..., tuple[Any, Any]], predict: Callable[[Any, list], list[tuple]], description: str
) -> Callable:
    """A plain endpoint's handler from the same two steps as its batched twin: a batch of one.
    `description` is its docstring (API page and MCP tool): what it does, its Args and Returns."""

    def handler(*request):
        key, prepared = prepare(*request)
        return predict(key, [prepared])[0]

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
        gradio_internals.not_a_tool(handler),
        inputs,
        outputs,
        api_name=api_name,
        batch=True,
        max_batch_size=MAX_BATCH,
        concurrency_limit=1,
    )


def bind(
    endpoint: Endpoint, trigger: Callable, inputs: list, outputs: list, twin_outputs: list | None = None, **options
) -> Any:
    """Binds one of a tab's endpoints to an event (a button's click, say): `/name` on the API page,
    an MCP tool if the endpoint is one, and its batched twin if it has one (with the same outputs,
    or `twin_outputs`). Returns the event."""
    handler = endpoint.handler if endpoint.tool else gradio_internals.not_a_tool(endpoint.handler)
    event = trigger(handler, inputs, outputs, api_name=endpoint.name, **options)
    if endpoint.batched:
        add_batched_api(*endpoint.batched, inputs, twin_outputs or outputs, endpoint.twin)
    return event
