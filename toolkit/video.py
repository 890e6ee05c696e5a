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

from models.errors import ShowcaseError, Text

MAX_CLIP_SECONDS = 120
# Frames read at most, whatever frame rate the container claims: 120 s at 30 frames a second.
MAX_CLIP_FRAMES = 3600
# Frames larger than 4K (4096x2160) are refused before one is decoded: each would cost its size
# in memory, though YOLO sees 640 px.
MAX_FRAME_PIXELS = 4096 * 2160
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


def is_container(head: bytes) -> bool:
    """Whether a file's first bytes are those of a video container this tab reads (ISO media for
    MP4/MOV/M4V, EBML for WebM/MKV, RIFF AVI): FFmpeg would also decode an image renamed .mp4."""
    iso_media = head[4:8] in (b"ftyp", b"moov", b"mdat", b"wide", b"free", b"skip")
    return iso_media or head.startswith(b"\x1a\x45\xdf\xa3") or (head[:4] == b"RIFF" and head[8:12] == b"AVI ")


def open_clip(path) -> Clip:
    """A visitor's video, checked before a frame is decoded: a video container (by its bytes, not
    its name) of a known kind, frames no larger than MAX_FRAME_PIXELS, no longer than
    MAX_CLIP_SECONDS when the container says its length (ClipFrames holds reading to the limits
    whatever it says)."""
    import cv2

    if not path:
        raise ShowcaseError("Please upload a video first (or click the example).")
    path = Path(path)
    if not path.is_file():
        raise ShowcaseError("The video file '{name}' was not found.", name=path.name)
    with path.open("rb") as file:
        head = file.read(12)
    if path.suffix.lower() not in CLIP_SUFFIXES or not is_container(head):
        raise ShowcaseError(
            "'{name}' is not a video this tab reads; upload one of: {kinds}.",
            name=path.name,
            kinds=", ".join(CLIP_SUFFIXES),
        )
    capture = cv2.VideoCapture(str(path))  # reads the container's headers; decodes nothing yet
    try:
        fps = capture.get(cv2.CAP_PROP_FPS)
        clip = Clip(
            path,
            fps if 1 <= fps <= 240 else UNKNOWN_FPS,
            max(int(capture.get(cv2.CAP_PROP_FRAME_COUNT)), 0),
            int(capture.get(cv2.CAP_PROP_FRAME_WIDTH)),
            int(capture.get(cv2.CAP_PROP_FRAME_HEIGHT)),
        )
        check_frame_size(clip.width, clip.height)
        readable, _ = capture.read()
        if not capture.isOpened() or not readable:
            raise ShowcaseError(
                "'{name}' could not be decoded as a video; it may be damaged or use a rare codec.", name=path.name
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


def check_frame_size(width: int, height: int) -> None:
    if width * height > MAX_FRAME_PIXELS:
        raise ShowcaseError(
            "The video's frames are {width}x{height}; the limit here is 4K ({limit:.1f} megapixels). Please "
            "export it at a lower resolution first.",
            width=width,
            height=height,
            limit=MAX_FRAME_PIXELS / 1e6,
        )


def shrink(frame: np.ndarray, side: int = FRAME_SIDE) -> np.ndarray:
    """The frame at most `side` pixels on its longer side."""
    import cv2

    scale = side / max(frame.shape[:2])
    if scale >= 1:
        return frame
    return cv2.resize(
        frame, (round(frame.shape[1] * scale), round(frame.shape[0] * scale)), interpolation=cv2.INTER_AREA
    )


class ClipFrames:
    """A clip's frames in order, as (second, RGB frame shrunk to FRAME_SIDE), read within the limits
    by reading, not by the container's word: at most MAX_CLIP_FRAMES, none shown after
    MAX_CLIP_SECONDS by its own timestamp, none larger than MAX_FRAME_PIXELS. After the loop, `cut`
    says why reading stopped before the clip's end, if it did."""

    def __init__(self, clip: Clip) -> None:
        self.clip = clip
        self.cut: Text | None = None

    def __iter__(self) -> Iterator[tuple[float, np.ndarray]]:
        import cv2

        capture = cv2.VideoCapture(str(self.clip.path))
        try:
            for index in range(MAX_CLIP_FRAMES + 1):
                readable, frame = capture.read()
                if not readable:
                    return
                # A timestamp of 0 after the first frame: the container keeps none; count by the frame rate.
                second = capture.get(cv2.CAP_PROP_POS_MSEC) / 1000 or index / self.clip.fps
                if index == MAX_CLIP_FRAMES or second > MAX_CLIP_SECONDS:
                    self.cut = Text(
                        "Only the first {seconds:.0f} s ({frames:,} frames) were annotated: the limit here is "
                        "{limit} s or {max_frames:,} frames.",
                        {
                            "seconds": min(second, MAX_CLIP_SECONDS),
                            "frames": index,
                            "limit": MAX_CLIP_SECONDS,
                            "max_frames": MAX_CLIP_FRAMES,
                        },
                    )
                    return
                check_frame_size(frame.shape[1], frame.shape[0])  # the container said otherwise
                yield second, cv2.cvtColor(shrink(frame), cv2.COLOR_BGR2RGB)
        finally:
            capture.release()


def first_frame(clip: Clip) -> np.ndarray:
    """The clip's first frame as the tab sees it (RGB, shrunk to FRAME_SIDE)."""
    for _, frame in ClipFrames(clip):
        return frame
    raise ShowcaseError("The video has no frames that could be decoded.")


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
