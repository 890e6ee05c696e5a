"""A report of saved results: one self-contained HTML page (styles and images inline, no request
leaves it) in the reader's language, laid out for reading and for printing to PDF from the browser.

Everything a visitor typed or named (texts, labels, file names, table cells) is escaped; Markdown
the tabs wrote (info lines, verdicts) is rendered with raw HTML off, so it escapes the same.
"""

from __future__ import annotations

import base64
import datetime
import html
from typing import Any

from markdown_it import MarkdownIt

import i18n
import models
from storage.results import Result, ResultStore
from toolkit import saved_values
from toolkit.interface import in_language

MARKDOWN = MarkdownIt("commonmark", {"html": False})
STYLE = """
body {font-family: "Noto Sans CJK SC", "Noto Sans", "Segoe UI", "PingFang SC", sans-serif; color: #1f2328;
  max-width: 56rem; margin: 2rem auto; padding: 0 1rem; line-height: 1.5}
h1 {font-size: 1.6rem; margin-bottom: 0.2rem}
h2 {font-size: 1.25rem; border-bottom: 2px solid #d0d7de; padding-bottom: 0.2rem; margin-top: 2rem}
h3 {font-size: 1rem; margin: 1rem 0 0.3rem}
.meta, .when {color: #57606a; font-size: 0.9rem}
.field {margin: 0.6rem 0}
.field img {max-width: 100%; max-height: 22rem; display: block; border: 1px solid #d0d7de}
table {border-collapse: collapse; font-size: 0.9rem; margin: 0.3rem 0}
th, td {border: 1px solid #d0d7de; padding: 0.2rem 0.5rem; text-align: left; vertical-align: top}
th {background: #f6f8fa}
table.settings th {font-weight: 600; min-width: 12rem}
.bar {display: inline-block; height: 0.7rem; background: #2f81f7; vertical-align: middle}
pre {white-space: pre-wrap; background: #f6f8fa; padding: 0.5rem; margin: 0}
mark {padding: 0 0.15rem; border-radius: 0.2rem}
section.result {break-before: page}
section.result:first-of-type {break-before: auto}
@media print {
  body {margin: 0; max-width: none}
  .field, table, img, figure {break-inside: avoid}
  .field img {max-height: 16cm}
}
"""


def render(results: list[Result], store: ResultStore, language: str) -> str:
    """The report of these results, newest last, in `language`."""

    def say(text: str, **values: Any) -> str:
        return html.escape(i18n.Text(text, values).render(language))

    sections = [result_section(result, store, language, say) for result in sorted(results, key=lambda r: r.created)]
    title = say("Model Showcase: results")
    made = moment(datetime.datetime.now(datetime.UTC).timestamp())
    summary = say("{count} results; report made {when}.", count=len(results), when=made)
    return (
        f'<!DOCTYPE html><html lang="{html.escape(language)}"><head><meta charset="utf-8">'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{title}</title><style>{STYLE}</style></head><body>"
        f"<h1>{title}</h1><p class='meta'>{summary}</p>{''.join(sections)}</body></html>"
    )


def moment(seconds: float) -> str:
    """A time as reports, links and lists show it: to the minute, in UTC (the reader's zone is unknown)."""
    return datetime.datetime.fromtimestamp(seconds, datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")


def result_section(result: Result, store: ResultStore, language: str, say) -> str:
    record = result.record
    when = moment(result.created)
    fields = [field for field in record.get("fields", []) if not saved_values.is_empty(field.get("value"))]
    settings = [field for field in fields if field.get("input") and is_setting(field)]
    asked = "".join(
        field_html(field, store, language) for field in fields if field.get("input") and field not in settings
    )
    asked += settings_table(settings, language)
    answered = "".join(field_html(field, store, language) for field in fields if not field.get("input"))
    title = html.escape(in_language(record.get("title", result.tab), language))
    saved = say("Saved {when}, app version {version}.", when=when, version=record.get("app", "?"))
    headings = [say("What was asked"), say("What the model answered"), say("Models, runtime and time")]
    return (
        f"<section class='result'><h2>{title}</h2><p class='when'>{saved}</p>"
        f"<h3>{headings[0]}</h3>{asked}<h3>{headings[1]}</h3>{answered}"
        f"<h3>{headings[2]}</h3>{models_table(record.get('models', []), say)}</section>"
    )


def models_table(entries: list[dict[str, Any]], say) -> str:
    if not entries:
        nothing = say("No model was named on this tab.")
        return f"<p>{nothing}</p>"
    titles = [say("Model"), say("Weights (hash)"), say("Device"), say("Runtime"), say("Answer time")]
    header = "".join(f"<th>{title}</th>" for title in titles)
    rows = []
    for entry in entries:
        ms = entry.get("ms")
        cells = [
            f"{entry.get('label', '')} ({entry.get('id', '')})",
            entry.get("weights") or "—",
            entry.get("device") or "—",
            " ".join(part for part in (entry.get("runtime"), entry.get("precision")) if part) or "—",
            f"{ms:.0f} ms" if isinstance(ms, int | float) else "—",
        ]
        rows.append("<tr>" + "".join(f"<td>{html.escape(str(cell))}</td>" for cell in cells) + "</tr>")
    return f"<table><tr>{header}</tr>{''.join(rows)}</table>"


def is_setting(field: dict[str, Any]) -> bool:
    """A short value (a number, a choice, a line of text): a row of the settings table."""
    value = field.get("value")
    return field.get("kind") in ("value", "choice") and (
        not isinstance(value, str) or len(value) <= 80 and "\n" not in value
    )


def settings_table(fields: list[dict[str, Any]], language: str) -> str:
    rows = "".join(
        f"<tr><th>{html.escape(in_language(field.get('label', ''), language))}</th>"
        f"<td>{html.escape(setting_text(field))}</td></tr>"
        for field in fields
    )
    return f"<table class='settings'>{rows}</table>" if rows else ""


def setting_text(field: dict[str, Any]) -> str:
    value = field["value"]
    if field.get("model"):
        return models.label(str(value))
    if isinstance(value, bool):
        return "✓" if value else "✗"
    return cell_text(value)


def field_html(field: dict[str, Any], store: ResultStore, language: str) -> str:
    value = field.get("value")
    label = html.escape(in_language(field.get("label", ""), language)) if field.get("label") else ""
    return f"<div class='field'>{f'<b>{label}</b>' if label else ''}{value_html(field, value, store)}</div>"


def value_html(field: dict[str, Any], value: Any, store: ResultStore) -> str:
    kind = field.get("kind")
    if kind == "image":
        data, media_type = store.file(value["sha256"])
        return f'<img alt="" src="data:{media_type};base64,{base64.b64encode(data).decode()}">'
    if kind == "label":
        return label_html(value)
    if kind == "table":
        return table_html(value.get("headers", []), value.get("data", []))
    if kind == "highlighted":
        return "<p>" + "".join(highlighted(token, tag) for token, tag in value) + "</p>"
    if kind == "plot":
        plot = value.get("plot") if isinstance(value, dict) else None
        if isinstance(plot, str) and plot.startswith("data:image/"):
            return f'<img alt="" src="{html.escape(plot)}">'
        if isinstance(value, dict) and "columns" in value:
            return table_html(value["columns"], value.get("data", []))
        return ""
    if kind == "markdown":
        return MARKDOWN.render(str(value))
    return f"<pre>{html.escape(str(value))}</pre>"


def label_html(value: Any) -> str:
    if not isinstance(value, dict):
        return f"<p>{html.escape(str(value))}</p>"
    rows = "".join(
        f"<tr><td>{html.escape(name)}</td><td>{score:.1%}</td>"
        f"<td><span class='bar' style='width:{max(score, 0) * 8:.2f}rem'></span></td></tr>"
        for name, score in sorted(value.items(), key=lambda item: -item[1])
    )
    return f"<table>{rows}</table>"


def table_html(headers: list[Any], rows: list[list[Any]]) -> str:
    head = "".join(f"<th>{html.escape(str(h))}</th>" for h in headers)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(cell_text(cell))}</td>" for cell in row) + "</tr>" for row in rows
    )
    return f"<table><tr>{head}</tr>{body}</table>"


def cell_text(cell: Any) -> str:
    if isinstance(cell, float):
        return f"{cell:.4g}"
    return "" if cell is None else str(cell)


def highlighted(token: str, tag: Any) -> str:
    text = html.escape(str(token))
    if tag is None:
        return text
    if isinstance(tag, int | float):
        colour = f"rgba(47,129,247,{min(abs(tag), 1):.2f})" if tag >= 0 else f"rgba(207,34,46,{min(abs(tag), 1):.2f})"
        return f"<mark style='background:{colour}'>{text}</mark>"
    return f"<mark style='background:#fff3b0' title='{html.escape(str(tag))}'>{text}</mark>"
