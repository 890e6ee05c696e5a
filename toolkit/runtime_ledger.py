"""The runtime ledger as the tabs show it: one ledger at a time per server, its table and bar chart
in the visitor's language, and how an answer agrees with PyTorch's (rankings, boxes, embeddings).

A tab says what the ledger runs (Task.runtimes): a LedgerCall, the task-level method of its model on
the input on screen and how to compare two of its answers. models.ledger measures; this shows.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from i18n import N_
from models import ledger
from models.errors import ShowcaseError
from models.ledger import REFERENCE, RuntimeRun
from toolkit import plots
from toolkit.messages import class_names, message
from toolkit.task import LEDGER_ENDPOINT

# One ledger at a time per server: each holds an extra copy of a network while it runs.
_running = threading.Lock()

# What a reader compares first comes first (a phone shows the left of the table).
COLUMNS = (
    N_("Runtime"),
    N_("Total (ms)"),
    N_("Speed-up"),
    N_("Precision"),
    N_("Network (ms)"),
    N_("Preprocess (ms)"),
    N_("Postprocess (ms)"),
    N_("Memory (MiB)"),
    N_("Agreement with PyTorch fp32"),
)
STEPS = {"preprocess": N_("Preprocess (ms)"), "forward": N_("Network (ms)"), "postprocess": N_("Postprocess (ms)")}
CHART_TITLE = N_("Time per answer, by step")


@dataclass(frozen=True)
class LedgerCall:
    """What a tab's ledger runs: its model's task-level method with these arguments, and how two of
    its answers' rows (PyTorch fp32's, another runtime's) agree, in words."""

    model: Any
    method: str
    args: tuple
    agree: Callable[[Any, Any], str]
    kwargs: dict = field(default_factory=dict)
    name: str = ""  # the model's, shown when a tab's ledger runs several


def of_detections(detector, photo, confidence: float, iou: float) -> LedgerCall:
    """A detector's ledger on one photo: boxes matched to PyTorch's by overlap."""
    from models.yolo import DATASET

    names = class_names(DATASET, detector.class_names)
    return LedgerCall(
        detector, "detect", ([photo], confidence, iou), lambda first, other: detections(first, other, names)
    )


def of_ranking(
    model, method: str, args: tuple, names: list[str], ranking: Callable = lambda row: row, name: str = ""
) -> LedgerCall:
    """A classifier's ledger (a method answering a models.base.Ranking per input, or a row holding
    one): the first class and the top-5 overlap with PyTorch's."""
    return LedgerCall(
        model, method, args, lambda first, other: rankings(ranking(first), ranking(other), names), name=name
    )


@contextmanager
def server_turn() -> Iterator[None]:
    """The server's one ledger at a time: a second while one runs is refused at once."""
    if not _running.acquire(blocking=False):
        raise ShowcaseError(
            "Another visitor's runtime ledger is running (it holds extra copies of a network): try again in a minute."
        )
    try:
        yield
    finally:
        _running.release()


def runs(calls: Sequence[LedgerCall]) -> Iterator[tuple[LedgerCall, RuntimeRun | None]]:
    """Each call's runtimes' lines as they are measured, with a None after each step of the work
    (where Stop ends it), in the server's one turn."""
    with server_turn():
        for call in calls:
            for run in call.model.runtimes(call.method, *call.args, **call.kwargs):
                yield call, run


Measured = list[tuple[LedgerCall, RuntimeRun]]


def step_cell(run: RuntimeRun, step: str) -> str:
    if step not in run.steps:
        return "—"
    median, low, high = run.steps[step]
    return f"{median:.1f} ({low:.1f}–{high:.1f})" if high - low >= 0.1 else f"{median:.1f}"


def table(measured: Measured, calls: Sequence[LedgerCall]) -> pd.DataFrame:
    """A row per runtime (of each model, named beside it, when the tab runs several): times per step
    (median, and the range of the timed calls), the speed-up over the model's PyTorch fp32, the
    copy's memory, and how its answer agrees with PyTorch fp32's."""
    references = {id(call): run for call, run in measured if run.name == REFERENCE and run.why_not is None}
    rows = []
    for call, run in measured:
        row = {message("Runtime"): named(call, run.name, calls)}
        if run.why_not is not None:
            row[message("Precision")] = "—"
            row[message("Agreement with PyTorch fp32")] = message("Not here: {why}", why=run.why_not)
            rows.append(row)
            continue
        reference = references.get(id(call))
        row[message("Precision")] = run.precision
        for step, title in STEPS.items():
            row[message(title)] = step_cell(run, step)
        row[message("Total (ms)")] = f"{run.total_ms:.1f}"
        row[message("Speed-up")] = f"{reference.total_ms / run.total_ms:.2f}x" if reference and run.total_ms else "—"
        row[message("Memory (MiB)")] = f"{run.memory_mib:.0f}" if run.memory_mib is not None else "—"
        if reference is None or run is reference:
            row[message("Agreement with PyTorch fp32")] = message("(the reference)") if run is reference else "—"
        else:
            row[message("Agreement with PyTorch fp32")] = call.agree(reference.row, run.row)
        rows.append(row)
    return pd.DataFrame(rows, columns=[message(column) for column in COLUMNS]).fillna("—")


def chart(measured: Measured, calls: Sequence[LedgerCall]):
    """Stacked bars of each runtime's median times per step (the ones that ran)."""
    ran = [(call, run) for call, run in measured if run.why_not is None]
    figure, axes = plots.plt.subplots(figsize=(7, 0.6 * max(len(ran), 2) + 1.2), layout="constrained")
    left = np.zeros(len(ran))
    colours = {"preprocess": "#94a3b8", "forward": "#f97316", "postprocess": "#0ea5e9"}
    for step, title in STEPS.items():
        widths = np.array([run.steps.get(step, (0.0, 0.0, 0.0))[0] for _, run in ran])
        axes.barh(range(len(ran)), widths, left=left, color=colours[step], label=message(title))
        left += widths
    axes.set_yticks(range(len(ran)), [named(call, run.name, calls) for call, run in ran])
    axes.invert_yaxis()
    axes.set_xlabel(message("Milliseconds per answer (median)"))
    axes.set_title(message(CHART_TITLE), fontsize=10)
    # Below the figure: inside the axes, it would cover the shortest bar.
    figure.legend(loc="outside lower center", ncol=3, fontsize=8, frameon=False)
    plots.plt.close(figure)
    return figure


def named(call: LedgerCall, runtime: str, calls: Sequence[LedgerCall]) -> str:
    """A runtime's name, with its model's when the tab runs several."""
    return f"{call.name} · {runtime}" if len(calls) > 1 else runtime


def progress_line(measured: Measured, calls: Sequence[LedgerCall]) -> str:
    """What the ledger is at: how many runtimes are done, and which is converting or running now."""
    names, count = list(ledger.RUNTIMES), len(ledger.RUNTIMES) * len(calls)
    done = len(measured)
    if done < count:
        return message(
            "{done} of {count} runtimes measured; now {name} (converted on first use, which can take a minute)…",
            done=done,
            count=count,
            name=named(calls[done // len(names)], names[done % len(names)], calls),
        )
    fastest = []  # each model's fastest runtime
    for call in calls:
        ran = [run for of, run in measured if of is call and run.why_not is None]
        if ran:
            fastest.append(named(call, min(ran, key=lambda run: run.total_ms).name, calls))
    return message(
        "Every runtime measured: medians of {repeats} runs after one warm-up. Fastest here: {name}.",
        repeats=ledger.REPEATS,
        name=", ".join(fastest) or "—",
    )


def as_calls(made: LedgerCall | Sequence[LedgerCall]) -> list[LedgerCall]:
    return [made] if isinstance(made, LedgerCall) else list(made)


def on_page(made: LedgerCall | Sequence[LedgerCall]) -> Iterator[tuple[pd.DataFrame, Any, str]]:
    """The table, chart and line after each runtime, for the page to show as the ledger goes."""
    import gradio as gr

    calls, measured = as_calls(made), []
    yield table(measured, calls), None, progress_line(measured, calls)
    for call, run in runs(calls):
        if run is None:  # a step done: the page keeps what it shows, and Stop can end the ledger here
            yield gr.skip(), gr.skip(), gr.skip()
            continue
        measured.append((call, run))
        yield table(measured, calls), chart(measured, calls), progress_line(measured, calls)


# How answers agree, by kind of answer.


def rankings(reference, other, names: list[str], k: int = 5) -> str:
    """Two models.base.Ranking: the same first class, and how many of the top k both have."""
    same_first = reference.indices[0] == other.indices[0]
    overlap = len(set(reference.indices[:k]) & set(other.indices[:k]))
    k = min(k, len(reference.indices))
    first = (
        message("top-1 the same ({name})", name=names[reference.indices[0]])
        if same_first
        else message(
            "top-1 differs: {name} instead of {reference}",
            name=names[other.indices[0]],
            reference=names[reference.indices[0]],
        )
    )
    gap = max(abs(a - b) for a, b in zip(reference.probabilities[:k], _aligned(reference, other)[:k]))
    return message(
        "{first} · top-{k} overlap {overlap}/{k} · largest probability change {gap:.3f}",
        first=first,
        k=k,
        overlap=overlap,
        gap=gap,
    )


def _aligned(reference, other) -> list[float]:
    """The other ranking's probabilities for the reference's classes, in its order."""
    probability = dict(zip(other.indices, other.probabilities))
    return [probability.get(index, 0.0) for index in reference.indices]


def scores(reference: np.ndarray, other: np.ndarray) -> str:
    """Two rows of cosine similarities (a query's with each sentence): the same order, and the
    largest change in a similarity."""
    first, second = np.asarray(reference, np.float64), np.asarray(other, np.float64)
    same = int(np.sum(np.argsort(-first) == np.argsort(-second)))
    gap = float(np.abs(first - second).max()) if first.size else 0.0
    return message(
        "{same} of {count} places in the ranking the same · largest similarity change {gap:.4f}",
        same=same,
        count=first.size,
        gap=gap,
    )


def detections(reference, other, names: list[str], iou: float = 0.5) -> str:
    """Two models.yolo.Detections: boxes of one class matched by overlap (IoU at least `iou`),
    and the ones lost or gained named with their confidence."""
    import torch
    import torchvision

    if not reference.boxes and not other.boxes:
        return message("both found nothing")
    overlaps = (
        torchvision.ops.box_iou(torch.tensor(reference.boxes), torch.tensor(other.boxes)).numpy()
        if reference.boxes and other.boxes
        else np.zeros((len(reference.boxes), len(other.boxes)))
    )
    matched, taken = [], set()
    for row in np.argsort(-np.asarray(reference.confidences)):  # the surest boxes pick first
        candidates = [
            column
            for column in np.argsort(-overlaps[row])
            if column not in taken
            and overlaps[row, column] >= iou
            and other.class_ids[column] == reference.class_ids[row]
        ]
        if candidates:
            taken.add(candidates[0])
            matched.append((row, candidates[0]))
    lost = [row for row in range(len(reference.boxes)) if row not in {r for r, _ in matched}]
    gained = [column for column in range(len(other.boxes)) if column not in taken]

    def named(found, indices) -> str:
        return ", ".join(f"{names[found.class_ids[i]]} {found.confidences[i]:.2f}" for i in indices)

    mean_iou = float(np.mean([overlaps[r, c] for r, c in matched])) if matched else 0.0
    parts = [
        message(
            "{matched} of {count} boxes matched (mean IoU {iou:.2f})",
            matched=len(matched),
            count=len(reference.boxes),
            iou=mean_iou,
        )
    ]
    if lost:
        parts.append(message("lost: {boxes}", boxes=named(reference, lost)))
    if gained:
        parts.append(message("gained: {boxes}", boxes=named(other, gained)))
    return " · ".join(parts)


def tokens(reference: list[int], other: list[int]) -> str:
    """Two generations' token ids: how many of the first agree, up to the first difference."""
    same = next((i for i, (a, b) in enumerate(zip(reference, other)) if a != b), min(len(reference), len(other)))
    count = max(len(reference), len(other))
    if same == count:
        return message("identical tokens ({count} of {count})", count=count)
    return message("the first {same} of {count} tokens identical", same=same, count=count)


# The page: a panel under a tab's answer, and the /runtimes endpoint for every tab that has one.


@dataclass
class Panel:
    """The ledger's components in a tab."""

    button: Any
    stop: Any
    table: Any
    chart: Any
    line: Any

    @property
    def outputs(self) -> list:
        return [self.table, self.chart, self.line]


def panel(elem_id: str) -> Panel:
    """The ledger's panel, closed until opened: what it does, Run and Stop, the table, chart and line."""
    import gradio as gr

    from toolkit.interface import t

    with gr.Accordion(t("Runtime ledger: this input on every runtime here"), open=False, elem_id=elem_id):
        gr.Markdown(
            t(
                "Runs the input on screen through a copy of the model on each runtime this machine has: PyTorch "
                "fp32 (the reference), OpenVINO fp32, bf16 where the CPU computes it, INT8 (quantized with "
                "NNCF on the example inputs), and CUDA fp16 where there is a GPU. Each time is split into "
                "preprocess, network and postprocess (median of 5 runs, the range in brackets); memory is "
                "what the copy holds. A runtime converts on first use, once."
            )
        )
        with gr.Row():
            button = gr.Button(t("Run on every runtime"), variant="secondary")
            stop = gr.Button(t("Stop"), variant="stop")
        table = gr.DataFrame(label=t("Runtimes"), wrap=True, interactive=False, elem_id=f"{elem_id}-table")
        # The figure has its title: a label badge would cover its first bar on a phone.
        chart = gr.Plot(show_label=False, elem_id=f"{elem_id}-chart")
        line = gr.Markdown(elem_id=f"{elem_id}-line")
    return Panel(button, stop, table, chart, line)


def bind(shown: Panel, handler: Callable, inputs: list) -> None:
    """Run starts the tab's ledger handler (a generator of on_page's rows), Stop ends it."""
    event = shown.button.click(handler, inputs, shown.outputs, api_visibility="private")
    shown.stop.click(None, cancels=[event])


def ledger_call_for(tab: str, model_id: str, image: Any = None, text: str = "") -> list[LedgerCall]:
    """What the ledger runs for a tab's model and input (the tab's Task.runtimes)."""
    import tasks

    offered = {task.key: task for task in tasks.registered() if task.runtimes is not None}
    if tab not in offered:
        raise ShowcaseError("The runtime ledger runs on the tabs {tabs}; got '{tab}'.", tabs=sorted(offered), tab=tab)
    return as_calls(offered[tab].runtimes(model_id, image, text))


def api(tab: str, model_id: str, image: Any = None, text: str = "") -> tuple[pd.DataFrame, str]:
    """The ledger of a tab's input (the /runtimes endpoint), measured whole: a row per runtime (and
    model, for a tab that shows several)."""
    calls = ledger_call_for(tab, model_id, image, text)
    measured = [(call, run) for call, run in runs(calls) if run is not None]
    return table(measured, calls), progress_line(measured, calls)


def ledger_endpoint(tab: str, model_id: str, image=None, text: str = ""):
    """Runs one input through the model on every runtime this machine has (PyTorch fp32, OpenVINO
    fp32, bf16 where the CPU computes it, INT8, CUDA fp16 where there is a GPU) and compares them.
    One ledger runs at a time per server; a second is refused while one runs.

    Args:
        tab: the tab whose model and input to measure: detection, segmentation, image_classification, zero_shot,
            compare (both of its models), text_classification, similarity or generation
        model_id: one of the models that tab offers (the API page lists them); for compare, the CLIP model
        image: the photo, for detection, segmentation, image_classification, zero_shot and compare
        text: zero_shot's labels (comma-separated; compare's, empty for ImageNet's 1,000 classes);
            text_classification's text (its first line is measured);
            similarity's query on the first line and the sentences to search after it; generation's prompt
            (greedy decoding of 60 tokens)

    Returns:
        a table with a row per runtime (its precision, milliseconds for preprocess, network and postprocess
        as median and range of 5 runs, speed-up over PyTorch fp32, memory in MiB, agreement with PyTorch
        fp32's answer, or why it cannot run here), and a line saying which was fastest
    """
    return api(tab, model_id, image, text)


def bind_api() -> None:
    """The /runtimes endpoint (and MCP tool), on hidden components of the app."""
    import gradio as gr

    from toolkit import ui
    from toolkit.interface import t

    inputs = [
        gr.Textbox(visible=False, label=t("Tab")),
        gr.Textbox(visible=False, label=t("Model")),
        ui.image_input(visible=False),
        gr.Textbox(visible=False, label=t("Text")),
    ]
    outputs = [gr.DataFrame(visible=False, label=t("Runtimes")), ui.info_line(visible=False)]
    gr.Button(visible=False).click(ui.user_errors(ledger_endpoint), inputs, outputs, api_name=LEDGER_ENDPOINT)
