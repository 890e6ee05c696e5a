"""What the server refuses: files outside the app, oversized uploads; and what it warns about."""

import subprocess
import sys

import httpx
import pytest

import app
from harness.offline import ROOT
from harness.server import serve


@pytest.fixture(scope="module")
def base_url():
    for client in serve({}):
        yield client.src.rstrip("/")


@pytest.mark.parametrize(
    "path", ["/etc/passwd", "%2Fetc%2Fpasswd", "../../../../../../etc/passwd", str(ROOT / "app.py")]
)
def test_file_route_serves_nothing_outside_the_app(base_url, path):
    for prefix in ("/gradio_api/file=", "/file="):
        response = httpx.get(f"{base_url}{prefix}{path}")
        assert response.status_code in (403, 404), (prefix, path)
        assert "root:" not in response.text


def test_file_route_serves_the_example_files(base_url):
    response = httpx.get(f"{base_url}/gradio_api/file={ROOT / 'examples' / 'reviews.csv'}")
    assert response.status_code == 200 and response.text.startswith("text,label")


def test_uploads_over_the_limit_are_refused(base_url):
    limit = 25 * 1024 * 1024  # Gradio reads "25mb" as MiB
    small = httpx.post(f"{base_url}/gradio_api/upload", files={"files": ("ok.bin", b"0" * 1000)})
    assert small.status_code == 200
    big = httpx.post(f"{base_url}/gradio_api/upload", files={"files": ("big.bin", b"0" * (limit + 1))})
    assert big.status_code == 413
    assert app.MAX_UPLOAD == "25mb"


def test_a_json_body_over_the_limit_is_refused_before_it_is_read(base_url):
    """A 200 MB body to /tokenize was parsed whole (+432 MB) before the 20,000-character check."""
    from toolkit import request_limits

    url = f"{base_url}/gradio_api/call/tokenize"
    small = httpx.post(url, json={"data": ["Hello world", "gpt2", "gpt2"]})
    assert small.status_code == 200, small.text
    body = b'{"data": ["' + b"a" * (request_limits.MAX_JSON_BYTES + 1) + b'"]}'
    big = httpx.post(url, content=body, headers={"content-type": "application/json", "accept-language": "zh-CN"})
    assert big.status_code == 413
    assert big.json()["detail"].startswith("请求超过 16 MB")


def test_a_body_sent_without_its_length_is_cut_off_at_the_limit(base_url):
    from toolkit import request_limits

    def chunks():  # chunked transfer: no content-length to refuse it by
        yield b'{"data": ["'
        for _ in range(request_limits.MAX_JSON_BYTES // 2**20 + 2):
            yield b"a" * 2**20

    response = httpx.post(f"{base_url}/gradio_api/call/tokenize", content=chunks())
    assert response.status_code == 413
    assert "larger than 16 MB" in response.json()["detail"]


def test_a_live_frame_over_a_frames_worth_is_refused(base_url):
    from toolkit import request_limits

    frame = b"0" * (request_limits.MAX_FRAME_BYTES + 1)
    response = httpx.post(f"{base_url}/gradio_api/stream/no-such-event", content=frame)
    assert response.status_code == 413


def test_head_and_get_give_the_page_the_same_length(base_url):
    got = httpx.get(f"{base_url}/")
    head = httpx.head(f"{base_url}/")
    assert got.status_code == head.status_code == 200
    assert int(head.headers["content-length"]) == int(got.headers["content-length"]) == len(got.content)


def test_listening_on_all_interfaces_prints_a_warning():
    process = subprocess.Popen(
        [sys.executable, "app.py", "--host", "0.0.0.0", "--port", "1"],
        cwd=ROOT,
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
    )
    try:
        first_line = process.stderr.readline()
    finally:
        process.kill()
        process.wait()
    assert "WARNING: listening on 0.0.0.0" in first_line and "reachable from the network" in first_line


def test_share_links_are_off_by_default():
    assert app.parse_args([]).share is False
    assert app.parse_args(["--share"]).share is True
