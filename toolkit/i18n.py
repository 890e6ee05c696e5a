"""The interface in English and Simplified Chinese (gr.I18n): the browser's language picks one, the
switch at the top overrides it (and is remembered in the browser).

UI text is written in English and wrapped in t(); its Chinese is in toolkit/zh.py, keyed by the
English. The page translates in the browser, so one app serves both languages.
"""

from __future__ import annotations

import json
from typing import Any

import gradio as gr
from gradio.i18n import I18nData

from toolkit.messages import COOKIE
from toolkit.zh import ZH

# The switch's choices, and the browser language each stands for (Gradio's own text has zh-CN, not zh).
LANGUAGES = {"English": "en", "中文": "zh-CN"}
MARKER = "__i18n__"  # how gr.I18n marks translatable text inside a string
STORED = "showcase-lang"  # the visitor's choice, in the browser's localStorage

I18N = gr.I18n(en={text: text for text in ZH}, zh=ZH)


def _english(value: Any) -> Any:
    """value with every translatable text replaced by its English."""
    if isinstance(value, I18nData):
        return value.key
    if isinstance(value, str) and value.startswith(MARKER):
        return json.loads(value[len(MARKER) :])["key"]
    if isinstance(value, dict):
        return {key: _english(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_english(item) for item in value]
    return value


def mend_what_gradio_leaves_untranslated(demo: gr.Blocks) -> None:
    """Where Gradio shows labels without translating them, they read as English, not as keys (the
    column titles of example tables, and the API description: the API page, gradio_client, MCP);
    and the example tables' title, which Gradio writes in English, is translated."""
    for block in demo.blocks.values():
        if isinstance(block, gr.Dataset):
            block.headers = _english(block.headers)
            if block.label is None:  # an example table, which Gradio titles "Examples" in English
                block.label = t("Examples")
    api_info = demo.get_api_info
    demo.get_api_info = lambda *args, **kwargs: _english(api_info(*args, **kwargs))


def choices(values: list[str]) -> list[tuple[Any, str]]:
    """A picker's choices shown in the visitor's language; the handler still gets the English value."""
    return [(t(value), value) for value in values]


def t(text: Any) -> Any:
    """UI text in the visitor's language: English text with a Chinese translation in ZH. Text
    without one is refused at start-up, so no label is left untranslated by accident."""
    if not isinstance(text, str):
        return text  # already translatable
    if text not in ZH:
        raise KeyError(f"No Chinese for the UI text {text!r}: add it to toolkit/zh.py.")
    return I18N(text)


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

# The switch: remembers the choice, and draws the page again in that language.
SWITCH_JS = f"""(choice) => {{
  localStorage.setItem("{STORED}", {json.dumps(LANGUAGES, ensure_ascii=False)}[choice] || "en");
  location.reload();
  return choice;
}}"""

# On load: the switch shows the page's language.
RESTORE_JS = '() => (navigator.language || "en").toLowerCase().startsWith("zh") ? "中文" : "English"'


class EarlyLanguage:
    """ASGI middleware that puts EARLY_SCRIPT at the top of the page's HTML (the app's index page).
    Other responses pass through untouched and unbuffered (streams: the queue, MCP)."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http" or scope["method"] != "GET" or not scope["path"].endswith("/"):
            return await self.app(scope, receive, send)
        start: dict = {}
        body = bytearray()

        async def inject(message) -> None:
            if message["type"] == "http.response.start":
                start.update(message)
                if not dict(message.get("headers", [])).get(b"content-type", b"").startswith(b"text/html"):
                    start["passed"] = True
                    await send(message)
                return
            if start.get("passed"):
                return await send(message)
            body.extend(message.get("body", b""))
            if message.get("more_body"):
                return
            headers = dict(start.get("headers", []))
            page = bytes(body).replace(b"<head>", b"<head>" + EARLY_SCRIPT, 1)
            headers[b"content-length"] = str(len(page)).encode()
            await send({"type": "http.response.start", "status": start["status"], "headers": list(headers.items())})
            await send({"type": "http.response.body", "body": page})

        await self.app(scope, receive, inject)
