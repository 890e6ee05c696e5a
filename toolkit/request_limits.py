"""Request bodies refused by their size before anything parses them (ASGI middleware).

Gradio reads a JSON body whole before a handler can refuse its text as too long, so a 200 MB body
sent to /tokenize costs hundreds of MB before the 20,000-character check. Files go through Gradio's
upload route, which holds each file to the upload limit as it streams in; every other POST (API
calls, the queue, MCP, live frames) is held here to what its largest honest request needs.
"""

from __future__ import annotations

import json

from i18n import N_, Text
from toolkit.messages import language_of

MB = 2**20
# API calls, the queue and MCP: a photo sent inline as a data URL (base64 makes it a third larger) fits.
MAX_JSON_BYTES = 16 * MB
MAX_FRAME_BYTES = 8 * MB  # one live webcam frame, as a data URL
UNLIMITED_ROUTES = ("/upload", "/process_recording")  # Gradio holds each file to the upload limit
TOO_LARGE = N_(
    "The request is larger than {limit} MB, the most this app reads here. Upload files instead of sending them inline."
)


def limit_for(path: str) -> int | None:
    """The most bytes a POST to this path may send; None where Gradio limits it itself."""
    route = path.removeprefix("/gradio_api")
    if route.rstrip("/").endswith(UNLIMITED_ROUTES):
        return None
    if route.startswith("/stream/"):
        return MAX_FRAME_BYTES
    return MAX_JSON_BYTES


class BodyLimit:
    """Refuses a body over its route's limit with 413: by its declared length before it is read,
    or, sent without one, as soon as what arrived passes the limit."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        limit = limit_for(scope["path"]) if scope["type"] == "http" and scope["method"] == "POST" else None
        if limit is None:
            return await self.app(scope, receive, send)
        headers = {key.decode("latin-1").lower(): value.decode("latin-1") for key, value in scope["headers"]}
        declared = headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            return await refuse(send, headers, limit)
        received = 0
        refused = False

        async def counted():
            nonlocal received, refused
            event = await receive()
            received += len(event.get("body", b""))
            if received > limit and not refused:
                refused = True
                await refuse(send, headers, limit)
                return {"type": "http.disconnect"}  # the app stops reading, as if the client had left
            return event

        async def unless_refused(event) -> None:
            if not refused:  # the app's own answer to a body it never got whole goes nowhere
                await send(event)

        await self.app(scope, counted, unless_refused)


async def refuse(send, headers: dict[str, str], limit: int) -> None:
    detail = Text(TOO_LARGE, {"limit": limit // MB}).render(language_of(headers))
    body = json.dumps({"detail": detail}, ensure_ascii=False).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", b"application/json; charset=utf-8"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
