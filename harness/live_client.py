"""A webcam, as the browser's gr.Image(streaming=True) is one, for benchmarks of the live detection mode.

gradio_client cannot stream input, so this speaks Gradio's stream protocol itself, as the page does:
the first frame joins the queue, each later one is posted to /stream/<event id>, and answers come
back as server-sent events. Like the page, it sends a frame every `every` seconds, and skips a tick
while the last frame is unanswered (the page checks its pending flag on each tick).
"""

from __future__ import annotations

import base64
import json
import threading
import time
import uuid

import cv2
import httpx
import numpy as np


def data_url(frame_bgr: np.ndarray) -> str:
    """A frame as the page sends it: a JPEG data URL (canvas.toDataURL("image/jpeg"))."""
    return "data:image/jpeg;base64," + base64.b64encode(cv2.imencode(".jpg", frame_bgr)[1].tobytes()).decode()


def stream_endpoint(url: str) -> tuple[int, float]:
    """The live event's id and its stream_every, from the page's config."""
    config = httpx.get(f"{url}config", timeout=30).json()
    for dependency in config["dependencies"]:
        if any(event == "stream" for _, event in dependency["targets"]):
            return dependency["id"], dependency["stream_every"]
    raise LookupError("the app has no streaming event")


def stream(
    url: str,
    frame: np.ndarray | str,
    settings: list,
    seconds: float,
    every: float | None = None,
    close: bool = True,
    outputs: list | None = None,
) -> list[tuple[float, float]]:
    """Streams the frame (a BGR array, or a data URL as sent) for `seconds`, a tick every `every`
    seconds (default: the page's); returns (sent at, answered at) per answered frame after the first,
    in monotonic seconds. `settings` are the event's inputs after the frame (thresholds, model,
    state). Without `close`, the client goes as a closed tab does: it stops sending and never says
    so. Each answer's outputs are added to `outputs` if given."""
    fn_index, page_every = stream_endpoint(url)
    every = page_every if every is None else every
    api = f"{url}gradio_api"
    session = uuid.uuid4().hex[:11]
    frame = {"url": frame if isinstance(frame, str) else data_url(frame)}
    answered = threading.Event()
    timings: list[tuple[float, float]] = []
    sent_at = [0.0]
    event_id: list[str] = []

    def listen(http: httpx.Client) -> None:
        with http.stream("GET", f"{api}/queue/data", params={"session_hash": session}, timeout=None) as events:
            for line in events.iter_lines():
                if not line.startswith("data:"):
                    continue
                message = json.loads(line[5:])
                if message.get("msg") in ("process_streaming", "process_generating"):
                    timings.append((sent_at[0], time.monotonic()))
                    if outputs is not None:
                        outputs.append(message["output"]["data"])
                    answered.set()
                elif message.get("msg") in ("process_completed", "close_stream"):
                    if not message.get("success", True):
                        raise RuntimeError(f"the stream failed: {message.get('output')}")
                    return

    with httpx.Client(timeout=30) as http:
        body = {
            "data": [frame, *settings],
            "fn_index": fn_index,
            "session_hash": session,
            "event_data": None,
            "trigger_id": None,
        }
        sent_at[0] = time.monotonic()
        event_id.append(http.post(f"{api}/queue/join", json=body).json()["event_id"])
        listener = threading.Thread(target=listen, args=(http,), daemon=True)
        listener.start()
        answered.wait(timeout=120)
        ends = time.monotonic() + seconds
        while time.monotonic() < ends:
            tick = time.monotonic()
            if answered.is_set():  # the page skips a tick while its last frame is pending
                answered.clear()
                sent_at[0] = time.monotonic()
                http.post(f"{api}/stream/{event_id[0]}", json=body)
            time.sleep(max(0.0, every - (time.monotonic() - tick)))
        if close:
            http.post(f"{api}/stream/{event_id[0]}/close")
        listener.join(timeout=30)
    return timings[1:]  # the first answer includes loading the model
