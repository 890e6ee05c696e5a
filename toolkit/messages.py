"""What the server writes to a visitor (errors, info lines, summaries, table columns), in the
visitor's language: the language the page shows (a cookie the page sets, toolkit/i18n.py), else the
browser's (Accept-Language), else English. API clients get English unless they send either.

Server text is an English template with values (models.errors.Text); its Chinese is in
toolkit/zh_messages.py and toolkit/zh_tab_messages.py, keyed by the template, or in toolkit/zh.py for
a name the interface shows too. A ShowcaseError keeps its Text, so it is translated
where it is shown (toolkit.ui.user_errors).
"""

from __future__ import annotations

from http.cookies import CookieError, SimpleCookie
from typing import Any

import pandas as pd
from gradio.context import LocalContext

from models.errors import Text
from toolkit.zh import ZH
from toolkit.zh_messages import ZH_MESSAGES
from toolkit.zh_tab_messages import ZH_TAB_MESSAGES

COOKIE = "showcase-lang"
# Server text's Chinese; names the interface shows too (tab titles, settings) are in the interface's table.
CHINESE = {**ZH, **ZH_MESSAGES, **ZH_TAB_MESSAGES}


def language_of(headers: Any) -> str:
    """'zh' or 'en' for a request's headers: the page's cookie first, then the browser's first language."""
    cookie = SimpleCookie()
    try:
        cookie.load(headers.get("cookie") or "")
    except CookieError:
        pass
    chosen = cookie[COOKIE].value if COOKIE in cookie else (headers.get("accept-language") or "").split(",")[0]
    return "zh" if chosen.strip().lower().startswith("zh") else "en"


def visitor_language() -> str:
    """The language of the visitor whose request is being handled ('en' outside a request)."""
    request = LocalContext.request.get(None)  # Gradio sets it around every handler call and stream step
    headers = getattr(request, "headers", None)
    return language_of(headers) if headers is not None else "en"


def in_visitor_language(text: Text) -> str:
    table = CHINESE if visitor_language() == "zh" else {}
    return text.render(lambda template: table.get(template, template))


def message(template: str, **values: Any) -> str:
    """The template filled with its values, in the visitor's language."""
    return in_visitor_language(Text(template, values))


def with_columns_translated(table: pd.DataFrame) -> pd.DataFrame:
    """The table with its column titles in the visitor's language (the code reads the English ones)."""
    return table.rename(columns={name: message(name) for name in table.columns})
