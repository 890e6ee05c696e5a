"""Video for the detection tab: a visitor's clip read within limits, the annotated clip written back,
and the rolling frame rate and latency that a live stream shows."""

from __future__ import annotations

import collections
import shutil
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from models.errors import ShowcaseError

MAX_CLIP_SECONDS = 120
# Frames are shrunk to this on the longer side: YOLO sees 640 px anyway, and drawing and encoding
# cost grows with the pixels.
FRAME_SIDE = 640
# Containers whose files a phone or camera makes; OpenCV's FFmpeg reads them all.
CLIP_SUFFIXES = (".mp4", ".mov", ".m4v", ".webm", ".mkv", ".avi")
# Some containers (a browser's WebM recording) do not say their frame rate.
UNKNOWN_FPS = 25.0


@dataclass(frozen=True)
class Clip:
    path: Path
    fps: float
    frames: int  # as the container says; 0 when it does not
    width: int
    height: int

    @property
    def seconds(self) -> float:
        return self.frames / self.fps

    @property
    def frame_limit(self) -> int:
        return int(MAX_CLIP_SECONDS * self.fps)


def open_clip(path) -> Clip:
    """A visitor's video, checked: a readable file of a known kind, no longer than MAX_CLIP_SECONDS
    when the container says its length (otherwise read_frames stops there)."""
    import cv2

    if not path:
        raise ShowcaseError("Please upload a video first (or click the example).")
    path = Path(path)
    if not path.is_file():
        raise ShowcaseError("The video file '{name}' was not found.", name=path.name)
    if path.suffix.lower() not in CLIP_SUFFIXES:
        raise ShowcaseError(
            "'{name}' is not a video this tab reads; upload one of: {kinds}.",
            name=path.name,
            kinds=", ".join(CLIP_SUFFIXES),
        )
    capture = cv2.VideoCapture(str(path))
    try:
        readable, _ = capture.read()
        if not capture.isOpened() or not readable:
            raise ShowcaseError(
                "'{name}' could not be decoded as a video; it may be damaged or use a rare codec.", name=path.name
            )
        fps = capture.get(cv2.CAP_PROP_FPS)
        clip = Clip(
            path,
            fps if 1 <= fps <= 240 else UNKNOWN_FPS,
            max(int(capture.get(cv2.CAP_PROP_FRAME_COUNT)), 0),
            int(capture.get(cv2.CAP_PROP_FRAME_WIDTH)),
            int(capture.get(cv2.CAP_PROP_FRAME_HEIGHT)),
        )
    finally:
        capture.release()
    if clip.seconds > MAX_CLIP_SECONDS:
        raise ShowcaseError(
            "The video is {seconds:.0f} s long; the limit here is {limit} s. Please trim it first.",
            seconds=clip.seconds,
            limit=MAX_CLIP_SECONDS,
        )
    return clip


def shrink(frame: np.ndarray, side: int = FRAME_SIDE) -> np.ndarray:
    """The frame at most `side` pixels on its longer side."""
    import cv2

    scale = side / max(frame.shape[:2])
    if scale >= 1:
        return frame
    return cv2.resize(
        frame, (round(frame.shape[1] * scale), round(frame.shape[0] * scale)), interpolation=cv2.INTER_AREA
    )


def read_frames(clip: Clip) -> Iterator[np.ndarray]:
    """The clip's frames in order, RGB and shrunk, at most MAX_CLIP_SECONDS of them."""
    import cv2

    capture = cv2.VideoCapture(str(clip.path))
    try:
        for _ in range(clip.frame_limit):
            readable, frame = capture.read()
            if not readable:
                return
            yield cv2.cvtColor(shrink(frame), cv2.COLOR_BGR2RGB)
    finally:
        capture.release()


class ClipWriter:
    """RGB frames written as a WebM (VP8) file, which browsers play (OpenCV's wheels cannot write H.264),
    in a folder of its own that goes when the `with` block ends: hand the file over inside it."""

    def __init__(self, fps: float, name: str = "annotated") -> None:
        self.path = Path(tempfile.mkdtemp(prefix="showcase-video-")) / f"{name}.webm"
        self.fps = fps
        self.writer = None

    def __enter__(self) -> ClipWriter:
        return self

    def __exit__(self, *error) -> None:
        self.close()
        shutil.rmtree(self.path.parent, ignore_errors=True)

    def write(self, frame: np.ndarray) -> None:
        import cv2

        if self.writer is None:  # the size of the first frame fixes the video's
            height, width = frame.shape[:2]
            self.writer = cv2.VideoWriter(str(self.path), cv2.VideoWriter_fourcc(*"VP80"), self.fps, (width, height))
        self.writer.write(cv2.cvtColor(frame, cv2.COLOR_RGB2BGR))

    def close(self) -> Path:
        """The finished file."""
        if self.writer is not None:
            self.writer.release()
            self.writer = None
        return self.path


def counts_over_time(timeline: list[tuple[float, list[str]]], steps: int = 200) -> pd.DataFrame:
    """How many objects of each class a clip shows over time, from (second, labels found) per frame,
    as (second, class, count) rows for a line plot; a long clip in at most `steps` steps, each the
    most seen within it."""
    wide = pd.DataFrame([collections.Counter(labels) for _, labels in timeline]).fillna(0)
    if wide.columns.empty:
        return pd.DataFrame(columns=["second", "class", "count"])
    wide.index = [round(second, 2) for second, _ in timeline]
    step = -(-len(wide) // steps)
    wide = wide.groupby(np.arange(len(wide)) // step).max().set_axis(wide.index[::step])
    return wide.astype(int).rename_axis("second").reset_index().melt("second", var_name="class", value_name="count")


class FrameRate:
    """Frames per second and per-frame latency over the last few seconds of a stream."""

    def __init__(self, window_s: float = 5.0) -> None:
        self.window_s = window_s
        self.recent: collections.deque[tuple[float, float]] = collections.deque()  # (finished at, ms)
        self.frames = 0

    def add(self, ms: float, now: float | None = None) -> None:
        now = time.monotonic() if now is None else now
        self.recent.append((now, ms))
        self.frames += 1
        while self.recent and self.recent[0][0] < now - self.window_s:
            self.recent.popleft()

    @property
    def fps(self) -> float:
        if len(self.recent) < 2:
            return 0.0
        span = self.recent[-1][0] - self.recent[0][0]
        return (len(self.recent) - 1) / span if span > 0 else 0.0

    @property
    def p95_ms(self) -> float:
        return float(np.percentile([ms for _, ms in self.recent], 95)) if self.recent else 0.0
