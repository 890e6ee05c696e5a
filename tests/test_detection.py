import re
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import examples
import models
from models import yolo as yolo_family
from models.errors import ModelUnavailable, ShowcaseError
from tasks import detection
from toolkit.inputs import open_image

IN_BROWSER = r"Found \d+ person, \d+ bus"  # what the tab shows after its first example


def detect_one(detector, image, confidence=0.25, iou=0.45) -> detection.Found:
    (found,) = detection.detect(detector, [open_image(image)], confidence, iou)
    return found


def test_finds_the_bus_and_the_people(yolo):
    found = detect_one(yolo, examples.bus())
    classes = found.table["class"].tolist()
    assert "bus" in classes
    assert classes.count("person") >= 3
    bus = found.table[found.table["class"] == "bus"].iloc[0]
    assert bus.confidence > 0.5
    assert bus.x2 - bus.x1 > 500  # the bus spans most of the photo's width
    assert "mask_pixels" not in found.table.columns


def test_annotated_image_keeps_the_photo_colours(yolo):
    """The drawing goes through OpenCV's BGR order; outside the boxes the output must equal the RGB photo."""
    found = detect_one(yolo, examples.bus())
    photo = np.asarray(Image.open(examples.bus()).convert("RGB")).astype(int)
    assert found.image.shape == photo.shape
    outside = np.ones(photo.shape[:2], bool)
    for box in found.table.itertuples():
        outside[int(box.y1) - 5 : int(box.y2) + 5, max(int(box.x1) - 5, 0) : int(box.x2) + 5] = False
    coloured = outside & (np.abs(photo[..., 0] - photo[..., 2]) > 40)
    assert coloured.sum() > 1000
    # Medians: labels sit above their boxes, outside the margin, and cover a few of these pixels.
    difference = np.median(np.abs(found.image.astype(int) - photo)[coloured])
    swapped = np.median(np.abs(found.image[..., ::-1].astype(int) - photo)[coloured])
    assert difference < 1 < 20 < swapped


def test_higher_confidence_keeps_fewer_objects(yolo):
    assert len(detect_one(yolo, examples.bus(), confidence=0.8).table) < len(
        detect_one(yolo, examples.bus(), confidence=0.2).table
    )


def test_segmentation_model_returns_masks():
    segmenter = models.load("yolo11n-seg.pt")
    assert segmenter.segments
    found = detect_one(segmenter, examples.bus())
    bus = found.table[found.table["class"] == "bus"].iloc[0]
    assert bus.mask_pixels > 10_000


def test_a_chinese_visitor_reads_the_classes_in_chinese_in_the_table_and_on_the_photo(yolo, chinese_request):
    from PIL import ImageFont

    from toolkit import fonts

    found = detect_one(yolo, examples.bus())
    assert "公交车" in found.table["class"].tolist() and "人" in found.table["class"].tolist()
    font = ImageFont.truetype(str(fonts.label_font()), 24)
    # The labels' font draws Chinese: its glyphs are not the missing-glyph box (a private-use character's).
    assert font.getmask("公交车").getbbox() != font.getmask("\ue000\ue000\ue000").getbbox()


def test_the_api_asks_in_english_without_a_language(yolo):
    assert "bus" in detect_one(yolo, examples.bus()).table["class"].tolist()


def test_default_offline_is_a_model_on_disk():
    assert detection.TASK.choices()[0] == "yolo11n.pt"
    assert detection.TASK.default() == "yolov8n.pt"


def test_missing_weights_say_which_and_how(monkeypatch, tmp_path):
    monkeypatch.setenv("SHOWCASE_MODEL_DIR", str(tmp_path))
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ModelUnavailable, match=r"'yolo11n\.pt' could not be loaded.*SHOWCASE_MODEL_DIR"):
        yolo_family.load("yolo11n.pt")


@pytest.mark.parametrize("confidence, iou", [(-0.1, 0.45), (0.25, 1.5), (None, 0.45)])
def test_thresholds_are_checked(yolo, confidence, iou):
    with pytest.raises(ShowcaseError, match="between 0 and 1"):
        detect_one(yolo, examples.bus(), confidence, iou)


def test_unknown_model_is_refused():
    with pytest.raises(ShowcaseError, match="Unknown model '../../etc/passwd' for Object detection"):
        detection.TASK.load("../../etc/passwd")


def test_one_pixel_image_gives_an_empty_table(yolo):
    found = detect_one(yolo, Image.new("RGB", (1, 1)))
    assert found.table.empty


def test_annotated_image_keeps_the_photos_colours(yolo):
    """The channel swaps into Ultralytics' BGR and back cancel out: a red photo comes back red."""
    red = Image.new("RGB", (64, 48), (220, 30, 10))
    found = detect_one(yolo, red, confidence=0.99)
    assert found.table.empty
    assert found.image.shape == (48, 64, 3)
    assert tuple(found.image[24, 32]) == (220, 30, 10)


def test_online_a_missing_model_downloads_into_the_model_folder(monkeypatch, tmp_path):
    """What makes YOLO weights survive a Space's restarts: they land in SHOWCASE_MODEL_DIR (/data there)."""
    import shutil

    from ultralytics.utils import downloads

    from models import yolo as yolo_family

    fetched, on_disk = [], yolo_family.local_file("yolov8n.pt")

    def fake_download(url, file=None, **kwargs):  # the network, replaced by a real file on disk
        fetched.append((url, Path(file)))
        shutil.copy(on_disk, file)

    monkeypatch.setattr(downloads, "safe_download", fake_download)
    monkeypatch.delenv("YOLO_OFFLINE", raising=False)
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.setenv("SHOWCASE_MODEL_DIR", str(tmp_path))
    monkeypatch.setenv("SHOWCASE_RUNTIME", "torch")
    detector = yolo_family.load("yolo11n.pt")
    assert fetched and fetched[0][0].endswith("/yolo11n.pt") and fetched[0][1] == tmp_path / "yolo11n.pt"
    assert (tmp_path / "yolo11n.pt").is_file() and detector.class_names[5] == "bus"
    assert not (on_disk.parent / "yolo11n.pt").exists()


def test_table_numbers_read_as_rounded(yolo):
    """0.873, not 0.8730000257492065: what the page and the API show."""
    table = detect_one(yolo, examples.bus()).table
    assert len(table) and "0000" not in table.to_json() and "9999" not in table.to_json()


# ---------------------------------------------------------------- video file and live modes


def test_a_clip_is_annotated_frame_by_frame(yolo, tmp_path):
    """The example clip: 2 s of the bus photo, then 2 s of Zidane's, at 10 frames a second."""
    import cv2

    clip = examples.street_clip(tmp_path)
    updates = detection.run_video(clip, 0.25, 0.45, "yolov8n.pt")
    progress = []
    for update in updates:  # frames as they are done, then the finished video
        if "Frame " not in update[1]:
            break
        progress.append(update)
    frame, info, annotated, counts, *counted = update
    assert progress and counted == [None] * 4  # no tracking asked for, no shapes: no counts
    assert "40 frames (4.0 s of video)" in info and "seen: bus, person" in info
    capture = cv2.VideoCapture(annotated)
    assert annotated.endswith(".webm") and capture.get(cv2.CAP_PROP_FRAME_COUNT) == 40
    assert (capture.get(cv2.CAP_PROP_FRAME_WIDTH), capture.get(cv2.CAP_PROP_FRAME_HEIGHT)) == (640, 480)
    original = cv2.VideoCapture(clip)
    drawn = np.abs(capture.read()[1].astype(int) - original.read()[1].astype(int)).mean(axis=2) > 60
    assert drawn.mean() > 0.005  # boxes and labels drawn on the first frame
    most = counts.groupby(["class", counts.second >= 2])["count"].max()
    assert most["bus", False] == 1 and most["bus", True] == 0  # the bus leaves with the first photo
    assert most["person", False] >= 3 and most["tie", True] >= 1 and most.get(("tie", False), 0) == 0
    assert frame.shape == (480, 640, 3)
    assert next(updates, None) is None and not Path(annotated).exists()  # handed over, then its folder goes


@pytest.mark.parametrize(
    "name, content, message",
    [
        ("notes.txt", b"hello", "not a video this tab reads"),
        ("broken.mp4", b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 500, "could not be decoded as a video"),
        # FFmpeg decodes an image named .mp4 as a one-frame video: a 16000x16000 PNG cost 2.2 GB.
        ("image.mp4", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 100, "not a video this tab reads"),
    ],
)
def test_bad_clips_get_messages(tmp_path, name, content, message):
    from toolkit import video

    (tmp_path / name).write_bytes(content)
    with pytest.raises(ShowcaseError, match=message):
        video.open_clip(tmp_path / name)
    with pytest.raises(ShowcaseError, match="upload a video"):
        video.open_clip(None)


def test_a_clip_over_the_limit_is_refused_before_any_frame_is_detected(tmp_path):
    import cv2

    from toolkit import video

    path = tmp_path / "long.webm"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"VP80"), 1, (32, 24))
    for _ in range(video.MAX_CLIP_SECONDS + 10):
        writer.write(np.zeros((24, 32, 3), np.uint8))
    writer.release()
    with pytest.raises(ShowcaseError, match=r"130 s long; the limit here is 120 s"):
        video.open_clip(path)


def write_clip(path, frames: int, fps: float, size: tuple[int, int] = (32, 24)):
    import cv2

    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"VP80"), fps, size)
    for _ in range(frames):
        writer.write(np.zeros((size[1], size[0], 3), np.uint8))
    writer.release()
    return path


def test_frames_over_4k_are_refused_before_one_is_decoded(tmp_path):
    """Twenty 16000x16000 frames in an 808 KB WebM took the server from 1.43 to 5.07 GB."""
    import psutil

    from toolkit import video

    path = write_clip(tmp_path / "huge.webm", 2, 1, (4200, 2200))
    server = psutil.Process()
    before = server.memory_info().rss
    with pytest.raises(ShowcaseError, match=r"frames are 4200x2200; the limit here is 4K \(8.8 megapixels\)"):
        video.open_clip(path)
    assert server.memory_info().rss - before < 20e6  # one 4200x2200 frame decoded would be 28 MB


def test_the_frame_budget_does_not_grow_with_the_claimed_frame_rate(tmp_path, monkeypatch):
    """The budget was 120 s times the claimed frame rate: at 240 frames/s, 28,800 frames."""
    from toolkit import video

    monkeypatch.setattr(video, "MAX_CLIP_FRAMES", 50)
    frames = video.ClipFrames(video.open_clip(write_clip(tmp_path / "fast.webm", 60, 240)))
    assert len(list(frames)) == 50
    assert "Only the first 0 s (50 frames) were annotated" in frames.cut.render()


def test_a_clip_longer_than_its_container_says_is_cut_by_its_timestamps_and_says_so(tmp_path, monkeypatch):
    """A 200 s clip that claimed one frame was cut at '240 frames (120.0 s)' without a word."""
    from toolkit import video

    monkeypatch.setattr(video, "MAX_CLIP_SECONDS", 10)
    path = write_clip(tmp_path / "long.webm", 30, 1)
    claims_one_frame = video.Clip(path, fps=1.0, frames=1, width=32, height=24)
    frames = video.ClipFrames(claims_one_frame)
    seconds = [second for second, _ in frames]
    assert seconds == [float(i) for i in range(11)]
    assert (
        frames.cut.render() == "Only the first 10 s (11 frames) were annotated: the limit here is 10 s or 3,600 frames."
    )
    short = video.ClipFrames(video.open_clip(write_clip(tmp_path / "short.webm", 5, 1)))
    assert len(list(short)) == 5 and short.cut is None


def test_live_frames_come_back_annotated_with_the_frame_rate(yolo):
    photo = np.asarray(Image.open(examples.bus()).convert("RGB"))  # 810x1080: shrunk to 640 px high
    stream = None
    for _ in range(3):
        image, info, stream, table, chart, heatmap = detection.run_live(photo, 0.25, 0.45, "yolov8n.pt", stream)
    assert image.shape == (640, 480, 3) and stream.rate.frames == 3 and stream.counting is None
    assert re.search(r"Live: [\d.]+ frames/s, \d+ ms per frame .* \d+ person, 1 bus", info)
    waiting = detection.run_live(None, 0.25, 0.45, "yolov8n.pt", stream)
    assert waiting[:3] == (None, "Waiting for the camera…", stream)


def test_frame_rate_counts_the_last_seconds_only():
    from toolkit.video import FrameRate

    rate = FrameRate(window_s=5)
    for i in range(11):  # 11 frames in 1 s, 40 ms each
        rate.add(40.0, now=100 + i / 10)
    assert rate.fps == pytest.approx(10) and rate.p95_ms == 40
    rate.add(400.0, now=110)  # 9 s later: the old frames have left the window
    assert rate.frames == 12 and len(rate.recent) == 1 and rate.p95_ms == 400


def test_counts_over_time_fill_gaps_and_keep_long_clips_short():
    from toolkit.video import counts_over_time

    counts = counts_over_time([(0.0, ["person", "person", "dog"]), (0.1, ["person"]), (0.2, [])])
    assert counts.pivot(index="second", columns="class", values="count").to_dict("list") == {
        "dog": [1, 0, 0],
        "person": [2, 1, 0],
    }
    long = counts_over_time([(i / 30, ["car"] * (i % 4)) for i in range(3600)], steps=200)
    assert len(long) == 200 and set(long["count"]) == {3}  # each step keeps the most it saw
    assert counts_over_time([(0.0, [])]).empty
