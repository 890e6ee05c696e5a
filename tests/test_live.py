"""Live detection as a visitor's page streams it, against a served app: frames sent as the page sends
them (JPEG data URLs), streams that vanish, and frames that are not what they claim."""

import base64
import struct
import threading
import time
import zlib

import cv2
import httpx
import psutil
import pytest

import examples
from harness import live_client
from harness.server import serve
from tasks import detection

SETTINGS = [0.25, 0.45, "yolov8n.pt", None, False, ""]  # confidence, IoU, model, the stream's state, tracking, shapes


@pytest.fixture(scope="module")
def url():
    for client in serve({}):
        yield client.src


def png_header(width: int, height: int) -> bytes:
    """A PNG that says it is width x height: its signature, header and end, no pixels."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
        + chunk(b"IEND", b"")
    )


def png_data_url(width: int, height: int) -> str:
    return "data:image/png;base64," + base64.b64encode(png_header(width, height)).decode()


def camera_frame():
    return cv2.resize(cv2.imread(examples.bus()), (480, 640), interpolation=cv2.INTER_AREA)


def test_a_stream_annotates_frames_sent_as_the_page_sends_them(url):
    outputs: list = []
    timings = live_client.stream(url, camera_frame(), SETTINGS, 3, outputs=outputs)
    assert len(timings) >= 3
    assert "1 bus" in outputs[-1][1]


def test_streams_whose_visitors_vanish_free_their_slots(url):
    """Two streams whose clients stop sending without closing (a closed tab) kept a third visitor
    waiting 298 s: a stream that sends nothing for LIVE_IDLE_S is ended."""
    vanishing = [
        threading.Thread(target=live_client.stream, args=(url, camera_frame(), SETTINGS, 1), kwargs={"close": False})
        for _ in range(2)
    ]
    for stream in vanishing:
        stream.start()
    time.sleep(1.5)  # both hold a slot, and have stopped sending
    started = time.monotonic()
    timings = live_client.stream(url, camera_frame(), SETTINGS, 2)
    assert timings, "the third visitor got no answer"
    assert time.monotonic() - started < detection.LIVE_IDLE_S + 30  # the limit is 300 s
    for stream in vanishing:
        stream.join()


def test_a_frame_too_large_is_named_from_its_header_and_the_stream_goes_on(url):
    """A 20000x20000 frame (a few bytes of PNG header) ended the stream with an empty error; decoded
    whole, such frames cost the server 1.5 GB each."""
    server = psutil.Process()
    before = server.memory_info().rss
    outputs: list = []
    timings = live_client.stream(url, png_data_url(20000, 20000), SETTINGS, 2, outputs=outputs)
    assert len(timings) >= 2, "the stream ended at the bad frame"
    assert "more than 64 megapixels, the limit here" in outputs[-1][1]
    assert server.memory_info().rss - before < 100e6


def test_a_photo_sent_as_a_data_url_is_checked_before_it_is_decoded(url):
    """A 13000x13000 PNG posted as a data URL was refused only after 7.3 s and +1.56 GB."""
    server = psutil.Process()
    before = server.memory_info().rss
    photo = {"url": png_data_url(13000, 13000), "meta": {"_type": "gradio.FileData"}}
    began = time.monotonic()
    event = httpx.post(f"{url}gradio_api/call/detect", json={"data": [photo, 0.25, 0.45, "yolov8n.pt"]}).json()
    answer = httpx.get(f"{url}gradio_api/call/detect/{event['event_id']}", timeout=60).text
    assert "13000x13000 (169 megapixels); the limit is 64 megapixels" in answer
    assert time.monotonic() - began < 5
    assert server.memory_info().rss - before < 100e6


def test_a_data_url_that_is_not_an_image_is_named_so(url):
    photo = {"url": "data:image/png;base64,bm90IGFuIGltYWdl", "meta": {"_type": "gradio.FileData"}}
    event = httpx.post(f"{url}gradio_api/call/detect", json={"data": [photo, 0.25, 0.45, "yolov8n.pt"]}).json()
    answer = httpx.get(f"{url}gradio_api/call/detect/{event['event_id']}", timeout=60).text
    assert "is not an image this app can read" in answer
