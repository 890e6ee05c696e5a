"""What tracking and counting cost on the detection tab: frames per second and per-frame latency of the
webcam and video-file modes with plain detection, with tracking (ByteTrack, ids and trails), and with
tracking and counting at a line and a zone, side by side in one run, as ratios to plain detection.

    python -m bench.counting [--seconds 15] [--rounds 2]

The webcam is harness.live_client streaming the bus photo as the page does (paced: a frame every
stream_every seconds, none while one is pending; unpaced: each frame sent once the last is answered,
which shows what the server can do). The video file is the example clip at 30 frames/s: frames/s
through /detect_video, ms per frame (decode, detect, track, count, draw and encode) in this process.
Conditions alternate round by round; each figure is the median over rounds.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

import numpy as np

from harness import offline  # noqa: F401  (first: offline model caches, before huggingface_hub reads them)

# isort: split

import examples
from bench import machine
from bench.live import YOLO, camera_frame, clip_frame_ms, latency
from harness import live_client
from harness.server import local_client, spawned
from models import runtime
from toolkit import video

# Over the webcam's 480x640 frame of the bus photo: a line across the middle and the lower half as a zone.
WEBCAM_SHAPES = json.dumps(
    {
        "size": [480, 640],
        "shapes": [
            {"name": "Middle", "kind": "line", "points": [[0, 320], [480, 320]]},
            {"name": "Street", "kind": "zone", "points": [[0, 400], [480, 400], [480, 640], [0, 640]]},
        ],
    }
)
# Over the example clip's 640x480 frames.
CLIP_SHAPES = json.dumps(
    {
        "size": [640, 480],
        "shapes": [
            {"name": "Middle", "kind": "line", "points": [[320, 0], [320, 480]]},
            {"name": "Left", "kind": "zone", "points": [[0, 0], [300, 0], [300, 480], [0, 480]]},
        ],
    }
)
CONDITIONS = {
    "plain detection": (False, ""),
    "tracking": (True, ""),
    "tracking + a line and a zone": (True, None),  # None: the mode's shapes
}


def webcam(url: str, seconds: float, track: bool, shapes: str, every: float | None) -> tuple[float, float, float]:
    settings = [0.25, 0.45, YOLO, None, track, WEBCAM_SHAPES if shapes is None else shapes]
    return latency(live_client.stream(url, camera_frame(), settings, seconds, every=every), seconds)


def clip(url: str, path: str, frames: int, track: bool, shapes: str) -> tuple[float, float, float]:
    """Frames per second of /detect_video, from sending the clip to the finished answer; the median
    and p95 ms per frame of the same in this process."""
    from gradio_client import handle_file

    shapes = CLIP_SHAPES if shapes is None else shapes
    started = time.perf_counter()
    local_client(url).predict(handle_file(path), 0.25, 0.45, YOLO, track, shapes, api_name="/detect_video")
    fps = frames / (time.perf_counter() - started)
    per_frame = clip_frame_ms(path, track, shapes)
    return fps, float(statistics.median(per_frame)), float(np.percentile(per_frame, 95))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=15, help="per webcam measurement")
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    print(
        f"{machine()}, OpenVINO {runtime.openvino_version()} "
        f"({runtime.default_precision()} here); {YOLO}, frames at most {video.FRAME_SIDE} px; medians of "
        f"{args.rounds} rounds\n"
    )
    started = time.perf_counter()
    path = examples.street_clip(fps=30)
    frames = video.open_clip(path).frames
    modes = {
        "webcam, as the page paces it": lambda track, shapes: webcam(url, args.seconds, track, shapes, None),
        "webcam, each frame sent once the last is answered": lambda track, shapes: webcam(
            url, args.seconds, track, shapes, 0.0
        ),
        f"video file, {frames} frames at 30 frames/s": lambda track, shapes: clip(url, path, frames, track, shapes),
    }
    with spawned(["-m", "harness.stand_in_server", "--tiny", "--preload"]) as (_, url, _):
        for mode in modes.values():  # warm: the first stream and clip of a server pay for loading
            mode(False, "")
        results = {(mode, condition): [] for mode in modes for condition in CONDITIONS}
        for _ in range(args.rounds):
            for mode, measure in modes.items():
                for condition, (track, shapes) in CONDITIONS.items():
                    results[mode, condition].append(measure(track, shapes))
    print("| mode | condition | frames/s | vs plain | median ms per frame | p95 ms per frame |")
    print("|---|---|---:|---:|---:|---:|")
    for mode in modes:
        plain = statistics.median(fps for fps, _, _ in results[mode, "plain detection"])
        for condition in CONDITIONS:
            runs = np.array(results[mode, condition])
            fps, median, p95 = (statistics.median(runs[:, column]) for column in range(3))
            print(f"| {mode} | {condition} | {fps:.1f} | {fps / plain:.2f}x | {median:.0f} | {p95:.0f} |")
    print(f"\n({time.perf_counter() - started:.0f} s)")


if __name__ == "__main__":
    main()
