"""What the server writes to a visitor (errors, info lines, summaries, table columns, class names),
in the visitor's language: the one the page shows (a cookie the page sets, toolkit/interface.py),
else the browser's (Accept-Language), else English. API clients get English unless they send either.

Server text is an English template with values (i18n.Text), translated through the catalogs
(locales/<code>.po) where it is shown; a ShowcaseError keeps its Text for that (toolkit.ui).
"""

from __future__ import annotations

from collections.abc import Sequence
from http.cookies import CookieError, SimpleCookie
from typing import Any

import pandas as pd

import i18n
from i18n import Text
from toolkit import gradio_internals

COOKIE = "showcase-lang"


def language_of(headers: Any) -> str:
    """The language for a request's headers: the page's cookie first, then the browser's languages."""
    cookie = SimpleCookie()
    try:
        cookie.load(headers.get("cookie") or "")
    except CookieError:
        pass
    chosen = cookie[COOKIE].value if COOKIE in cookie else None
    return i18n.negotiate(headers.get("accept-language"), chosen)


def visitor_language() -> str:
    """The language of the visitor whose request is being handled (English outside a request)."""
    headers = gradio_internals.request_headers()
    return language_of(headers) if headers is not None else i18n.SOURCE


def in_visitor_language(text: Text) -> str:
    return text.render(visitor_language())


def message(template: str, **values: Any) -> str:
    """The template filled with its values, in the visitor's language."""
    return in_visitor_language(Text(template, values))


def with_columns_translated(table: pd.DataFrame, titles: dict[str, str] | None = None) -> pd.DataFrame:
    """The table with its column titles in the visitor's language (the code reads the English ones):
    each translated as it is, or as `titles` gives it (a title made from a template)."""
    titles = titles or {}
    return table.rename(columns={name: titles.get(name) or message(name) for name in table.columns})


def class_names(dataset: str, english: Sequence[str]) -> list[str]:
    """A model's class names (COCO's, ImageNet's) in the visitor's language."""
    return i18n.class_names(dataset, english, visitor_language())
