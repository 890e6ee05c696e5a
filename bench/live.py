"""Live and video detection on this machine: frames per second and frame latency of the webcam and
video-file modes (yolov8n, 640 px frames), and what one live stream costs the other tabs.

    python -m bench.live [--seconds 20]

The webcam is harness.live_client, which streams as the page does (a frame every stream_every
seconds, none while one is pending). Latency is per frame, from sending it to its annotated frame
arriving. The video file is the example clip (a 4 s pan over two packaged photos) at 30 frames/s.
"""

from __future__ import annotations

import argparse
import os
import statistics
import threading
import time

import cv2
import numpy as np

from harness import offline  # noqa: F401  (first: offline model caches, before huggingface_hub reads them)

# isort: split

import examples
import models
from bench import machine
from harness import live_client
from harness.server import local_client, spawned
from models import runtime
from tasks import detection, tokenizer
from toolkit import video

YOLO = "yolov8n.pt"
SETTINGS = [0.25, 0.45, YOLO, None, False, ""]  # confidence, IoU, model, the stream's state, tracking, shapes


def camera_frame() -> np.ndarray:
    """The bus photo as a webcam would send it: 480x640 (portrait, as the photo)."""
    return cv2.resize(cv2.imread(examples.bus()), (480, 640), interpolation=cv2.INTER_AREA)


def latency(timings: list[tuple[float, float]], seconds: float) -> tuple[float, float, float]:
    """Frames answered per second, and the median and p95 ms from sending a frame to its answer."""
    ms = [(answered - sent) * 1000 for sent, answered in timings]
    return len(timings) / seconds, statistics.median(ms), float(np.percentile(ms, 95))


def round_trips(call, seconds: float) -> list[float]:
    """ms per call, calling one after another for `seconds`."""
    times, ends = [], time.perf_counter() + seconds
    while time.perf_counter() < ends:
        started = time.perf_counter()
        call()
        times.append((time.perf_counter() - started) * 1000)
    return times


def webcam_rows(url: str, seconds: float) -> list[tuple]:
    frame = camera_frame()
    rows = [
        ("webcam, as the page paces it", *latency(live_client.stream(url, frame, SETTINGS, seconds), seconds)),
        (
            "webcam, each frame sent once the last is answered",
            *latency(live_client.stream(url, frame, SETTINGS, seconds, every=0.0), seconds),
        ),
    ]
    from gradio_client import handle_file

    def photos(stop: threading.Event) -> None:
        client = local_client(url)
        while not stop.is_set():
            client.predict(handle_file(examples.zidane()), 0.25, 0.45, YOLO, api_name="/detect")

    stop = threading.Event()
    busy = [threading.Thread(target=photos, args=(stop,)) for _ in range(4)]
    for thread in busy:
        thread.start()
    try:
        rows.append(
            (
                "webcam, as the page paces it, while 4 clients send /detect photos",
                *latency(live_client.stream(url, frame, SETTINGS, seconds), seconds),
            )
        )
    finally:
        stop.set()
        for thread in busy:
            thread.join()
    return rows


def other_tabs(url: str, seconds: float) -> list[tuple]:
    """/detect (a photo) and /tokenize round trips alone, then while one webcam stream runs."""
    from gradio_client import handle_file

    client = local_client(url)
    calls = {
        "/detect, the bus photo": lambda: client.predict(
            handle_file(examples.bus()), 0.25, 0.45, YOLO, api_name="/detect"
        ),
        '/tokenize "hello"': lambda: client.predict("hello", *tokenizer.TASK.choices()[:2], api_name="/tokenize"),
    }
    alone = {name: statistics.median(round_trips(call, seconds / 2)) for name, call in calls.items()}
    streaming = threading.Thread(target=live_client.stream, args=(url, camera_frame(), SETTINGS, seconds * 1.5))
    streaming.start()
    time.sleep(2)  # the stream is running
    beside = {name: statistics.median(round_trips(call, seconds / 2)) for name, call in calls.items()}
    streaming.join()
    return [(name, alone[name], beside[name], beside[name] / alone[name]) for name in calls]


def video_file(url: str) -> tuple:
    """The example clip at 30 frames/s through /detect_video, and per-frame times of the same in this process."""
    from gradio_client import handle_file

    clip = examples.street_clip(fps=30)
    frames = video.open_clip(clip).frames
    client = local_client(url)
    started = time.perf_counter()
    client.predict(handle_file(clip), 0.25, 0.45, YOLO, api_name="/detect_video")
    through_api = frames / (time.perf_counter() - started)
    models.backend().forget()  # this process loads YOLO in the runtime the server runs
    per_frame = clip_frame_ms(clip)
    return frames, through_api, float(statistics.median(per_frame)), float(np.percentile(per_frame, 95))


def clip_frame_ms(clip: str, *settings) -> np.ndarray:
    """ms from each annotated frame of the clip to the next, annotated in this process by
    detection.run_video (settings after the model: tracking, shapes)."""
    done, write = [], video.ClipWriter.write

    def timed_write(self, frame):
        write(self, frame)
        done.append(time.perf_counter())

    video.ClipWriter.write = timed_write
    try:
        for _ in detection.run_video(clip, 0.25, 0.45, YOLO, *settings):
            pass
    finally:
        video.ClipWriter.write = write
    return np.diff(done) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20)
    args = parser.parse_args()
    print(
        f"{machine()}, OpenVINO {runtime.openvino_version()} "
        f"({runtime.default_precision()} here); {YOLO}, frames at most {video.FRAME_SIDE} px\n"
    )
    started = time.perf_counter()
    for label, env in (("OpenVINO", {}), ("PyTorch", {"SHOWCASE_RUNTIME": "torch"})):
        os.environ.update(env)
        try:
            with spawned(["-m", "harness.stand_in_server", "--tiny", "--preload"]) as (_, url, _):
                print(f"### Server runtime: {label}\n")
                print("| mode | frames/s | median ms per frame | p95 ms per frame |")
                print("|---|---:|---:|---:|")
                for name, fps, median, p95 in webcam_rows(url, args.seconds):
                    print(f"| {name} | {fps:.1f} | {median:.0f} | {p95:.0f} |")
                frames, fps, median, p95 = video_file(url)
                print(
                    f"| video file, {frames} frames (round trip through /detect_video; ms: each frame's "
                    f"decode, detect, draw and encode) | {fps:.1f} | {median:.0f} | {p95:.0f} |"
                )
                print("\n| round trip | alone, median ms | while one webcam streams | ratio |")
                print("|---|---:|---:|---:|")
                for name, alone, beside, ratio in other_tabs(url, args.seconds):
                    print(f"| {name} | {alone:.0f} | {beside:.0f} | {ratio:.2f}x |")
                print()
        finally:
            for name in env:
                del os.environ[name]
    print(f"({time.perf_counter() - started:.0f} s)")


if __name__ == "__main__":
    main()
