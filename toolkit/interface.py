"""The interface in the visitor's language (gr.I18n): labels, buttons and descriptions are written in
English and wrapped in t(); the browser shows them in the language of its locale, among the
catalogs there are (i18n.languages), and the switch at the top overrides it (remembered in the
browser). The page translates, so one app serves every language.
"""

from __future__ import annotations

import json
from typing import Any

import gradio as gr

import i18n
from toolkit.messages import COOKIE

STORED = "showcase-lang"  # the visitor's choice, in the browser's localStorage

# Filled as t() is called: each language's translation of every interface text, by its English.
I18N = gr.I18n()


def switch_choices() -> dict[str, str]:
    """The language switch: each language's own name -> the browser locale that shows it."""
    return {language.name: language.locale for language in i18n.languages().values()}


def t(text: Any, **values: Any) -> Any:
    """Interface text, translated in the browser: English (a template, if values are given) whose
    translation every catalog may have; without one it shows in English."""
    if not isinstance(text, str):
        return text  # already translatable
    english = i18n.Text(text, values)
    key = english.render(i18n.SOURCE)
    for code in i18n.languages():
        I18N.translations.setdefault(code, {})[key] = english.render(code)
    return I18N(key)


def in_language(text: str, language: str) -> str:
    """Interface text as t() registered it (its values filled in) in a language; text t() never saw,
    through the catalogs."""
    return I18N.translations.get(language, {}).get(text) or i18n.translate(text, language)


def choices(values: list[str]) -> list[tuple[Any, str]]:
    """A picker's choices shown in the visitor's language; the handler still gets the English value."""
    return [(t(value), value) for value in values]


# Before Gradio starts, the page takes the language the visitor chose earlier as the browser's own:
# Gradio sets its language once, from the browser's, when it first draws the page. The cookie tells
# the server, which writes its messages in it (toolkit/messages.py); in a cross-site frame (a Space's
# page on huggingface.co) only a SameSite=None cookie reaches it.
EARLY_SCRIPT = f"""<script>try {{
  const chosen = localStorage.getItem("{STORED}");
  if (chosen) {{
    Object.defineProperty(navigator, "language", {{get: () => chosen}});
    Object.defineProperty(navigator, "languages", {{get: () => [chosen]}});
  }}
  const where = location.protocol === "https:" ? "; SameSite=None; Secure" : "; SameSite=Lax";
  document.cookie = "{COOKIE}=" + encodeURIComponent(chosen || navigator.language || "en") + "; path=/" + where;
}} catch (error) {{}}</script>""".encode()


def switch_js() -> str:
    """The switch: remembers the choice, and draws the page again in that language."""
    return f"""(choice) => {{
  localStorage.setItem("{STORED}", {json.dumps(switch_choices(), ensure_ascii=False)}[choice] || "en");
  location.reload();
  return choice;
}}"""


def restore_js() -> str:
    """On load: the switch shows the page's language (the one whose code starts the browser's locale)."""
    names = {language.code: language.name for language in i18n.languages().values()}
    return f"""() => {{
  const names = {json.dumps(names, ensure_ascii=False)};
  const code = (navigator.language || "en").toLowerCase().split(/[-_]/)[0];
  return names[code] || names["en"];
}}"""


class EarlyLanguage:
    """ASGI middleware that puts EARLY_SCRIPT at the top of the page's HTML (the app's index page).
    Other responses pass through untouched and unbuffered (streams: the queue, MCP)."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http" or scope["method"] not in ("GET", "HEAD") or not scope["path"].endswith("/"):
            return await self.app(scope, receive, send)
        start: dict = {}
        body = bytearray()

        async def inject(event) -> None:
            if event["type"] == "http.response.start":
                start.update(event)
                headers = dict(event.get("headers", []))
                if not headers.get(b"content-type", b"").startswith(b"text/html"):
                    start["passed"] = True
                    await send(event)
                elif scope["method"] == "HEAD":  # no body to change: the length GET's page will have
                    start["passed"] = True
                    length = int(headers.get(b"content-length", b"0")) + len(EARLY_SCRIPT)
                    headers[b"content-length"] = str(length).encode()
                    await send({**event, "headers": list(headers.items())})
                return
            if start.get("passed"):
                return await send(event)
            body.extend(event.get("body", b""))
            if event.get("more_body"):
                return
            headers = dict(start.get("headers", []))
            page = bytes(body).replace(b"<head>", b"<head>" + EARLY_SCRIPT, 1)
            headers[b"content-length"] = str(len(page)).encode()
            await send({"type": "http.response.start", "status": start["status"], "headers": list(headers.items())})
            await send({"type": "http.response.body", "body": page})

        await self.app(scope, receive, inject)
