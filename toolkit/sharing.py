"""Share what you saw: the Share button under a tab's answer, the `?result=<id>` link that opens it
again (after a restart, in another browser), "My results" and reports, and /share and /report.

A tab shares by calling panel() with the components on screen that make its answer: its inputs
and settings (locked while a saved result shows, until the visitor chooses to run it again) and
its outputs, explanations included. Share keeps their values (toolkit.saved_values) with the models
they name (id, hash of the weights, device, runtime, precision, the answer's time), the app's
version, the language and the time, in the results store (storage.results). Nothing is kept until
the visitor presses Share. A browser is known by a random key in its localStorage: the results it
saved are listed under "My results" (under the page's header), and only it may delete them.
"""

from __future__ import annotations

import datetime
import functools
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import gradio as gr
import pandas as pd

import i18n
import models
from i18n import N_
from models.errors import ShowcaseError
from storage import results
from storage.results import MB, Result, StoredFile
from toolkit import gradio_internals, report, saved_values, ui
from toolkit.interface import in_language, t
from toolkit.messages import message, visitor_language
from toolkit.saved_values import Field
from toolkit.task import SHARING_ENDPOINTS, Task

BROWSER_KEY = "showcase-browser"  # localStorage: this browser's key (128 random bits, hex)
# The page's key, made on its first visit; the server sees only what the page sends.
KEY_JS = f"""() => {{
  let key = localStorage.getItem("{BROWSER_KEY}");
  if (!key) {{
    const bytes = crypto.getRandomValues(new Uint8Array(16));
    key = Array.from(bytes, b => b.toString(16).padStart(2, "0")).join("");
    localStorage.setItem("{BROWSER_KEY}", key);
  }}
  return key;
}}"""
# A link the server gives as "?result=<id>" made whole with the page's own address, and copied.
LINK_JS = """(link) => {
  if (!link || !link.startsWith("?")) return link;
  const url = location.origin + location.pathname + link;
  if (navigator.clipboard) navigator.clipboard.writeText(url).catch(() => {});
  return url;
}"""
OPEN_JS = """(link) => { if (link) location.href = location.origin + location.pathname + link; return link; }"""
KEPT = N_(
    "Nothing is kept unless you press **Share** under an answer. A shared result keeps what the tab showed: "
    "its inputs (uploaded photos included), settings, answers and explanations, the models with a hash of "
    "their weights, where and how they ran, how long they took, and when. It is kept for {days:g} days "
    "(or less, if the store fills up: the oldest results go first) and anyone with its link can open it; "
    "only this browser can delete it. This list is the results this browser shared."
)
MY_RESULTS_COLUMNS = [N_("#"), N_("Saved"), N_("Tab"), N_("What was asked"), N_("Size")]


@dataclass(frozen=True)
class SharedTab:
    task: Task
    fields: tuple[Field, ...]


@dataclass
class AppParts:
    """What the app holds once for every tab: the browser's key, the saved-result banner and flag."""

    key: gr.Textbox
    showing_saved: gr.State
    banner_row: gr.Row
    banner: gr.Markdown
    run_again: gr.Button


_tabs: dict[str, SharedTab] = {}
_parts: list[AppParts] = []


def begin() -> AppParts:
    """The app's shared parts, made before the tabs (their panels use them)."""
    key = gr.Textbox(visible=False, elem_id="browser-key")
    showing_saved = gr.State(False)
    with gr.Row(visible=False, elem_id="saved-result") as banner_row:
        # The line's width before the button wraps under it (a phone's).
        with gr.Column(scale=4, min_width=320):
            banner = gr.Markdown(elem_id="saved-result-banner")
        run_again = gr.Button(t("Change it and run it again"), size="sm", scale=1, min_width=220)
    parts = AppParts(key, showing_saved, banner_row, banner, run_again)
    _parts[:] = [parts]
    _tabs.clear()
    ui.hold_outputs_while(showing_saved)
    return parts


def panel(task: Task, inputs: list, outputs: list) -> None:
    """The Share button and its link, under a tab's answer; `inputs` and `outputs` are what it keeps."""
    parts = _parts[0]
    for component in outputs:
        if component.interactive is None:  # Share reads it: Gradio would take it for an input to edit
            component.interactive = False
    fields = tuple(Field(c, True) for c in inputs) + tuple(Field(c, False) for c in outputs)
    _tabs[task.key] = SharedTab(task, fields)
    with gr.Row(elem_id=f"{task.key}-share"):
        button = gr.Button(t("Share"), size="sm", scale=0, min_width=120, elem_id=f"{task.key}-share-button")
        link = gr.Textbox(
            show_label=False,
            container=False,
            interactive=False,
            visible=False,
            buttons=["copy"],
            elem_id=f"{task.key}-share-link",
        )
    shared = _tabs[task.key]

    def share_on_page(key: str, *values):
        return share(shared, key, *values)

    button.click(
        ui.user_errors(share_on_page),
        [parts.key, *inputs, *outputs],
        link,
        api_visibility="private",
    ).then(None, link, link, js=LINK_JS)


@functools.cache
def app_version() -> str:
    """The git commit the app runs (a Space is a git checkout), else "unknown"."""
    try:
        found = subprocess.run(
            ["git", "rev-parse", "--short=12", "HEAD"],
            cwd=Path(__file__).resolve().parent,
            capture_output=True,
            text=True,
            timeout=5,
        )
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return found.stdout.strip() or "unknown"


def model_entry(model_id: str) -> dict[str, Any]:
    """A model a result names: its id and label, and, if this process runs it, its weights' hash,
    where and how it runs, and its last answer's time to this visitor."""
    entry: dict[str, Any] = {"id": model_id, "label": models.label(model_id), "ms": ui.answer_time(model_id)}
    if models.backend().is_loaded(model_id):
        model = models.load(model_id)
        for name, read in (
            ("device", lambda: model.device.type),
            ("runtime", lambda: model.runtime),
            ("precision", lambda: model.precision),
            ("weights", lambda: model.weights_hash),
        ):
            try:
                value = read()
            except AttributeError:
                value = None
            # A model on Ray Serve holds here only what its replica described; the rest is a remote call.
            entry[name] = value if isinstance(value, str) else None
    return entry


def record_of(shared: SharedTab, values: tuple) -> tuple[dict[str, Any], list[StoredFile]]:
    """What a result keeps of the values on screen, and the files among them."""
    files: list[StoredFile] = []
    fields, model_ids = [], []
    for field, key, value in zip(shared.fields, keys_of(shared.fields), values):
        picks_model = getattr(field.component, "picks_a_model", False)
        fields.append(
            {
                "key": key,
                "label": saved_values.english_label(field.component),
                "kind": field.kind,
                "input": field.is_input,
                "model": picks_model,
                "value": saved_values.encoded(field.component, value, files),
            }
        )
        if picks_model and isinstance(value, str):
            model_ids.append(value)
    if all(saved_values.is_empty(f["value"]) for f in fields if not f["input"]):
        raise ShowcaseError("There is nothing to share yet: get an answer first, then press Share.")
    now = datetime.datetime.now(datetime.UTC)
    record = {
        "tab": shared.task.key,
        "title": shared.task.title,
        "fields": fields,
        "models": [model_entry(model_id) for model_id in dict.fromkeys(model_ids)],
        "app": app_version(),
        "language": visitor_language(),
        "when": now.isoformat(timespec="seconds"),
    }
    return record, files


def share(shared: SharedTab, key: str, *values):
    """Keeps the tab's result; its link (made whole by the page)."""
    record, files = record_of(shared, values)
    saved = results.store().save(key, shared.task.key, record["language"], record, files)
    note = message(
        "Saved. Anyone with the link sees this result for {days:g} days; it is copied if the browser allows.",
        days=results.store().limits.days,
    )
    if saved.evicted:
        note += message(" To make room, the {count} oldest results in the store were removed.", count=saved.evicted)
    gr.Info(note)
    return gr.Textbox(value=f"?result={saved.id}", visible=True)


def every_field() -> list[Field]:
    return [field for shared in _tabs.values() for field in shared.fields]


def reopen_outputs(select_tab_outputs: list) -> list:
    parts = _parts[0]
    return [
        *select_tab_outputs,
        parts.banner_row,
        parts.banner,
        parts.run_again,
        parts.showing_saved,
        *(field.component for field in every_field()),
    ]


def reopened(result_id: str | None, select_tab) -> list:
    """The page's updates for `?result=<id>`: its tab selected, its values shown and its inputs
    locked, and a banner that says what this is; a banner that says why not, if the link is stale."""
    fields = every_field()
    skipped = [gr.skip()] * len(fields)
    if not result_id:
        return [*select_tab(None), gr.skip(), gr.skip(), gr.skip(), gr.skip(), *skipped]
    try:
        result = results.store().open(result_id)
        shared = _tabs.get(result.tab)
        if shared is None:
            raise ShowcaseError("This result comes from a tab this app no longer has.")
        values = shown_values(shared, result)
    except ShowcaseError as error:
        why = message("**This link does not open a result.** {why}", why=error.text)
        return [*select_tab(None), gr.Row(visible=True), why, gr.Button(visible=False), False, *skipped]
    updates = [values.get(id(field), gr.skip()) for field in fields]
    return [*select_tab(result.tab), gr.Row(visible=True), banner_text(result), gr.Button(visible=True), True, *updates]


def keys_of(fields: tuple[Field, ...]) -> list[str]:
    """Each field's key in a record: its label and kind, and which of the tab's fields with both it is
    (a later version of the tab may move fields, or drop some: a key still finds its value)."""
    seen: dict[tuple[str, str], int] = {}
    keys = []
    for field in fields:
        name = (saved_values.english_label(field.component), field.kind)
        seen[name] = seen.get(name, 0) + 1
        keys.append(f"{name[0]}|{name[1]}|{seen[name]}")
    return keys


def shown_values(shared: SharedTab, result: Result) -> dict[int, Any]:
    """Each field's update, by the field's identity: the value saved under its key."""
    store = results.store()
    saved = {entry["key"]: entry["value"] for entry in result.record.get("fields", [])}
    updates: dict[int, Any] = {}
    for field, key in zip(shared.fields, keys_of(shared.fields)):
        if key not in saved or (not field.is_input and saved_values.is_empty(saved[key])):
            continue  # an empty answer is what the page starts with (a table keeps its column titles)
        options: dict[str, Any] = {"value": saved_values.decoded(field.component, saved[key], store)}
        if field.is_input:
            options["interactive"] = False
        if not field.component.visible:  # shown with an answer only (text classification's many lines)
            options["visible"] = not saved_values.is_empty(saved[key])
        updates[id(field)] = gr.update(**options)
    return updates


def banner_text(result: Result) -> str:
    return message(
        "**A saved result** ({when}, app version {version}): what this tab showed then, read-only until "
        "you press *Change it and run it again*.",
        when=report.moment(result.created),
        version=result.record.get("app", "?"),
    )


def run_again_outputs() -> list:
    parts = _parts[0]
    return [parts.banner_row, parts.showing_saved, *(f.component for f in every_field() if f.is_input)]


def run_again() -> list:
    """Unlocks the inputs of a saved result: from now on the tab is the visitor's own again."""
    inputs = [field for field in every_field() if field.is_input]
    return [gr.Row(visible=False), False, *[gr.update(interactive=True) for _ in inputs]]


def bind_app(demo: gr.Blocks, after_load, select_tab_outputs: list, select_tab) -> None:
    """The app's events: the browser's key on load; `?result=` shown once the page's own greeting
    (after_load) has filled in the inputs; Run again; and the /share and /report endpoints."""
    parts = _parts[0]
    demo.load(None, None, parts.key, js=KEY_JS)

    def reopen(request: gr.Request):
        return reopened(request.query_params.get("result"), select_tab)

    after_load.then(reopen, None, reopen_outputs(select_tab_outputs), api_visibility="private")
    parts.run_again.click(run_again, None, run_again_outputs(), api_visibility="private", queue=False)
    bind_api()


# My results ------------------------------------------------------------------------------------


def build_my_results() -> None:
    """My results, closed under the page's header (a fourth section's title would not fit beside the
    others on a phone): this browser's shared results, listed when opened, to open, put into a
    report or delete."""
    parts = _parts[0]
    with gr.Accordion(t("My results"), open=False, elem_id="my-results") as panel:
        note = gr.Markdown(elem_id="my-results-kept")
        refresh = gr.Button(t("Refresh"), size="sm", scale=0, min_width=120)
        table = ui.table_with_columns(
            gr.DataFrame(
                label=t("My results"), show_label=False, interactive=False, wrap=True, elem_id="my-results-table"
            ),
            MY_RESULTS_COLUMNS,
        )
        listed = gr.State([])
        rows = gr.Textbox(label=t("Rows (e.g. 1 or 1, 3, 4)"), value="1", elem_id="my-results-rows")
        with gr.Row():
            open_button = gr.Button(t("Open"), elem_id="my-results-open")
            report_button = gr.Button(t("Report"), variant="primary", elem_id="my-results-report")
            delete_button = gr.Button(t("Delete"), variant="stop", elem_id="my-results-delete")
        said = gr.Markdown(elem_id="my-results-said")
        link = gr.Textbox(visible=False)
        made = gr.File(label=t("Report (HTML: open it, or print it to PDF)"), visible=False, elem_id="my-results-file")
    shown = [note, table, listed]
    gr.on([panel.expand, refresh.click], ui.user_errors(my_results), parts.key, shown, api_visibility="private")
    open_button.click(ui.user_errors(link_of_rows), [listed, rows], link, api_visibility="private").then(
        None, link, None, js=OPEN_JS
    )
    report_button.click(ui.user_errors(report_of_rows), [listed, rows], [made, said], api_visibility="private")
    delete_button.click(
        ui.user_errors(delete_rows), [parts.key, listed, rows], [said, *shown], api_visibility="private"
    )


def my_results(key: str):
    """What is kept and for how long, and this browser's results, newest first."""
    store = results.store()
    kept = message(KEPT, days=store.limits.days)
    mine = store.mine(key) if key else []
    language = visitor_language()
    rows = [
        [
            number,
            report.moment(result.created),
            in_language(result.record.get("title", result.tab), language),
            asked(result),
            f"{result.size / MB:.2f} MB" if result.size >= MB / 10 else f"{max(1, round(result.size / 1024))} KB",
        ]
        for number, result in enumerate(mine, start=1)
    ]
    columns = [i18n.translate(column, language) for column in MY_RESULTS_COLUMNS]
    if not rows:
        kept += "\n\n" + message("This browser has shared no results yet.")
    return kept, pd.DataFrame(rows, columns=columns), [result.id for result in mine]


def asked(result: Result) -> str:
    """A line of what was asked: the first text input, else the first image's name, and the model."""
    inputs = [f for f in result.record.get("fields", []) if f.get("input") and f.get("value") not in (None, "")]
    text = next((str(f["value"]) for f in inputs if f["kind"] == "value" and isinstance(f["value"], str)), "")
    model = next((models.label(str(f["value"])) for f in inputs if f.get("model")), "")
    if not text and any(f["kind"] == "image" for f in inputs):
        text = message("a photo")
    text = text if len(text) <= 60 else text[:59] + "…"
    return " · ".join(part for part in (text.replace("\n", " "), model) if part)


def picked(listed: list[str], rows: str) -> list[str]:
    """The result ids of the rows a visitor typed ("1, 3"), in that order; refused if none or out of range."""
    numbers = [int(n) for n in re.findall(r"\d+", rows or "")]
    if not listed:
        raise ShowcaseError("There are no results in the list: press Refresh, or share a result first.")
    if not numbers or any(not 1 <= n <= len(listed) for n in numbers):
        raise ShowcaseError("Give row numbers from 1 to {count}, separated by commas.", count=len(listed))
    return [listed[n - 1] for n in dict.fromkeys(numbers)]


def link_of_rows(listed: list[str], rows: str) -> str:
    return f"?result={picked(listed, rows)[0]}"


def report_of_rows(listed: list[str], rows: str):
    ids = picked(listed, rows)
    path = report_file(ids, visitor_language())
    return gr.File(value=path, visible=True), message(
        "A report of {count} results: open the file in a browser, or print it to PDF.", count=len(ids)
    )


def report_file(ids: list[str], language: str) -> str:
    """The report of these results (toolkit.report) written to a file Gradio serves."""
    store = results.store()
    opened = [store.open(result_id) for result_id in ids]
    page = report.render(opened, store, language)
    path = gradio_internals.new_cache_folder("showcase-report-") / "model-showcase-report.html"
    path.write_text(page, encoding="utf-8")
    return str(path)


def delete_rows(key: str, listed: list[str], rows: str):
    ids = picked(listed, rows)
    store = results.store()
    deleted = sum(store.delete(result_id, key) for result_id in ids)
    said = message("Deleted {count} results; their links now say so.", count=deleted)
    return said, *my_results(key)


# The API and MCP -------------------------------------------------------------------------------


def share_endpoint(result_id: str, request: gr.Request) -> str:
    """The link that opens a saved result (one a page shared: its id is the end of its link).

    Args:
        result_id: the result's id (the text after `?result=` in its link)

    Returns:
        the link, on this server's address; a result that is gone is refused with why
    """
    result = results.store().open(result_id.strip().removeprefix("?result="))
    base = str(request.request.base_url) if request.request is not None else "/"
    return f"{base.rstrip('/')}/?result={result.id}"


def report_endpoint(result_ids: str, language: str = "") -> str:
    """A report of saved results: one self-contained HTML page (images inline), for reading or
    printing to PDF.

    Args:
        result_ids: one or more result ids (or links), separated by commas or spaces
        language: the report's language code (en, zh); empty: the caller's

    Returns:
        the report, an HTML file
    """
    ids = list(dict.fromkeys(part.rsplit("result=", 1)[-1] for part in re.split(r"[,\s]+", result_ids or "") if part))
    if not ids:
        raise ShowcaseError("Name at least one result id.")
    language = language.strip() if language and language.strip() in i18n.languages() else visitor_language()
    return report_file(ids, language)


def bind_api() -> None:
    """/share and /report (and their MCP tools), on hidden components of the app."""
    result_id = gr.Textbox(visible=False, label=t("Result id"))
    link = gr.Textbox(visible=False, label=t("Link"))
    gr.Button(visible=False).click(ui.user_errors(share_endpoint), result_id, link, api_name=SHARING_ENDPOINTS[0])
    ids = gr.Textbox(visible=False, label=t("Result ids"))
    language = gr.Textbox(visible=False, label=t("Language"))
    page = gr.File(visible=False, label=t("Report"))
    gr.Button(visible=False).click(
        ui.user_errors(report_endpoint), [ids, language], page, api_name=SHARING_ENDPOINTS[1]
    )
