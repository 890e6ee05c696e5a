"""What requests leave behind: on disk, Gradio's cache swept and live frames kept seconds only; in
memory, Gradio's sessions held to a number."""

import os
import time
from pathlib import Path

import gradio as gr
import httpx
import numpy as np
import pytest
from gradio_client import handle_file

import app
import examples
import models
from harness.server import free_port, local_client
from harness.stand_ins import install
from tests.images import coloured
from toolkit import gradio_internals, ui


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """The app with a cache folder of its own, so that its files can be counted."""
    cache = tmp_path_factory.mktemp("gradio-cache")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("GRADIO_TEMP_DIR", str(cache))
        patch.setattr("gradio.mcp.DEFAULT_TEMP_DIR", str(cache))  # read when Gradio was imported
        install({})
        demo = app.build_app()
        port = free_port()
        app.launch(demo, "127.0.0.1", port, prevent_thread_lock=True, quiet=True)
        yield demo, local_client(f"http://127.0.0.1:{port}/"), cache
        demo.close()
        models.backend().forget()


def files_in(folder: Path) -> set[str]:
    return {str(path) for path in folder.rglob("*") if path.is_file()}


def test_what_requests_leave_in_the_cache_is_swept_and_the_examples_stay(served, tmp_path):
    demo, client, cache = served
    before = files_in(cache)
    for colour in ((200, 30, 30), (30, 30, 200)):  # photos of its own: an example's upload is the example's file
        photo = tmp_path / f"{colour[0]}.png"
        photo.write_bytes(coloured(colour, 0))
        client.predict(handle_file(str(photo)), 0.25, 0.45, "yolov8n.pt", api_name="/detect")
    _, _, clip, *_ = client.predict(
        handle_file(examples.street_clip()), 0.25, 0.45, "yolov8n.pt", api_name="/detect_video"
    )
    left = files_in(cache) - before
    assert len(left) >= 5  # two uploads, two results, the annotated clip (which Gradio lists nowhere)
    assert any(path.endswith("annotated.webm") for path in left)
    assert gradio_internals.sweep_cache(demo, age_s=3600) == 0  # young files stay
    assert gradio_internals.sweep_cache(demo, age_s=0) >= 4
    kept = set().union(*(getattr(block, "keep_in_cache", set()) for block in demo.blocks.values()))
    assert files_in(cache) <= kept  # only the example tables' files
    assert not [folder for folder in cache.rglob("*") if folder.is_dir() and not any(folder.iterdir())]
    assert not set().union(*demo.temp_file_sets) & left  # Gradio no longer lists what was deleted
    example = next(iter(kept))
    assert httpx.get(f"{client.src}gradio_api/file={example}").status_code == 200
    image, *_ = client.predict(handle_file(examples.bus()), 0.25, 0.45, "yolov8n.pt", api_name="/detect")
    assert Path(image).is_file()  # the app serves on after a sweep


def test_the_sweeper_runs_while_the_server_does(served):
    """Every MCP call with a data URL left two decoded copies that were never deleted: one is an
    upload, the other a file Gradio's MCP server lists nowhere; an annotated clip is listed nowhere
    either."""
    demo, client, cache = served
    stale = cache / ("0123abcd" * 8) / "file.png"  # as Gradio's MCP server names a decoded copy
    stale.parent.mkdir()
    stale.write_bytes(b"png")
    long_ago = time.time() - app.CACHE_AGE_S - 1
    os.utime(stale, (long_ago, long_ago))
    os.utime(stale.parent, (long_ago, long_ago))  # the folder dates from its file
    fresh = cache / ("4567cdef" * 8) / "file.png"
    fresh.parent.mkdir()
    fresh.write_bytes(b"png")
    second = app.build_app()  # another server on the same cache: it sweeps as it starts
    app.launch(second, "127.0.0.1", free_port(), prevent_thread_lock=True, quiet=True)
    try:
        deadline = time.time() + 10
        while stale.parent.exists() and time.time() < deadline:
            time.sleep(0.1)
        assert not stale.parent.exists() and fresh.exists()
    finally:
        second.close()


def test_a_live_streams_frames_stay_on_disk_seconds_only():
    """One live stream wrote about 21 MiB every 30 s to the cache, kept an hour at least."""
    with gr.Blocks():
        live = ui.live_image_output("live")
    frame = np.zeros((48, 64, 3), np.uint8)
    paths = []
    for age in (ui.LIVE_FRAME_SECONDS + 5, ui.LIVE_FRAME_SECONDS + 1, 0):  # frames written that long ago
        paths.append(live.postprocess(frame).path)
        live.temp_files.add(paths[-1])  # as Gradio lists each result
        written = time.time() - age
        os.utime(paths[-1], (written, written))
    paths.append(live.postprocess(frame).path)  # the next frame: those past their seconds go
    live.temp_files.add(paths[-1])
    assert [Path(path).exists() for path in paths] == [False, False, True, True]
    assert live.temp_files == set(paths[2:])


def test_gradio_keeps_a_bounded_number_of_sessions(monkeypatch):
    """Each session Gradio keeps holds a copy of every component's settings; a Stop storm of 614 runs
    (a session each) grew the server 45 MB a minute, and Gradio's default keeps 10,000."""
    monkeypatch.setattr(app, "SESSIONS_KEPT", 20)
    install({})
    demo = app.build_app()
    port = free_port()
    app.launch(demo, "127.0.0.1", port, prevent_thread_lock=True, quiet=True)
    try:
        url = f"http://127.0.0.1:{port}"
        fn_index = next(
            d["id"] for d in httpx.get(f"{url}/config").json()["dependencies"] if d.get("api_name") == "tokenize"
        )
        for n in range(30):
            body = {"data": ["hi", "gpt2", "gpt2"], "fn_index": fn_index, "session_hash": f"session-{n}"}
            assert httpx.post(f"{url}/gradio_api/queue/join", json=body).status_code == 200
        deadline = time.time() + 30
        while "session-29" not in demo.state_holder.session_data and time.time() < deadline:
            time.sleep(0.1)
        assert "session-29" in demo.state_holder.session_data
        assert len(demo.state_holder.session_data) <= 20 and "session-0" not in demo.state_holder.session_data
    finally:
        demo.close()
