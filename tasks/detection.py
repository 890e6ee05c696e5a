"""Object detection and instance segmentation with Ultralytics YOLO (`/detect`)."""

from __future__ import annotations

import html
import time
from dataclasses import dataclass

import gradio as gr
import numpy as np
import pandas as pd

import examples
from i18n import N_, Text
from models.errors import ShowcaseError
from models.yolo import DATASET, Detections, Detector
from toolkit import drawing, gradio_internals, ui, video
from toolkit.inputs import open_image
from toolkit.interface import t
from toolkit.messages import class_names, in_visitor_language, message, with_columns_translated
from toolkit.task import Endpoint, Task

# A clip being annotated shows a frame this often: the page needs a few a second, not every one.
PREVIEW_EVERY_S = 0.25
# A live stream sends a frame at most this often, and only once the last one is answered.
LIVE_EVERY_S = 0.1
LIVE_SECONDS = 300
# A stream whose page sends no frame for this long after an answer has gone (a closed tab): it is
# ended, and its slot freed for the next visitor.
LIVE_IDLE_S = 5

# Column titles: English here, in the visitor's language on screen (N_ marks them for the catalogs).
CLASS = N_("class")
CONFIDENCE = N_("confidence")
MASK_PIXELS = N_("mask_pixels")
TABLE_COLUMNS = [CLASS, CONFIDENCE, "x1", "y1", "x2", "y2", MASK_PIXELS]


@dataclass
class Found:
    image: np.ndarray  # annotated, RGB
    table: pd.DataFrame
    ms: float


def check_thresholds(confidence: float, iou: float) -> None:
    for name, value in ((N_("Confidence threshold"), confidence), (N_("IoU threshold (overlap for NMS)"), iou)):
        if value is None or not 0.0 <= float(value) <= 1.0:
            raise ShowcaseError("{name} must be between 0 and 1, got {value}.", name=Text(name), value=value)


def table(found: Detections, names: list[str]) -> pd.DataFrame:
    """A row per object: its class (as shown), confidence, box corners and, for a segmenter, mask area."""
    boxes = np.asarray(found.boxes, dtype=np.float64).reshape(-1, 4)
    rows = pd.DataFrame(
        {
            CLASS: [names[c] for c in found.class_ids],
            CONFIDENCE: found.confidences,
            **{name: boxes[:, i] for i, name in enumerate(("x1", "y1", "x2", "y2"))},
        },
        columns=TABLE_COLUMNS[:-1],
    )
    if found.mask_pixels is not None:
        rows[MASK_PIXELS] = found.mask_pixels
    return rows


def detect(detector: Detector, images: list, confidence: float = 0.25, iou: float = 0.45) -> list[Found]:
    """Pure predict function: RGB images (opened) in, one forward pass; each one's annotated copy and
    table, class names in the visitor's language, and its share of the time."""
    check_thresholds(confidence, iou)
    answers = detector.detect(images, confidence, iou)
    names = class_names(DATASET, detector.class_names)
    ms = answers.timings["forward"] / len(images)
    return [
        Found(drawing.draw(np.asarray(image), found, names), table(found, names), ms)
        for image, found in zip(images, answers)
    ]


def describe(table: pd.DataFrame) -> str:
    """What was found, by class: "4 person, 1 bus"."""
    return ", ".join(f"{n} {name}" for name, n in table[CLASS].value_counts().items()) or message(
        "nothing above the threshold"
    )


@ui.user_errors
def run(image, confidence, iou, model_id):
    """Finds the objects of the 80 COCO classes in a photo with Ultralytics YOLO and outlines them.

    Args:
        image: the photo (JPEG, PNG, WebP or HEIC)
        confidence: keep objects found with at least this confidence, 0 to 1 (0.25 is usual)
        iou: boxes overlapping more than this are one object, 0 to 1 (0.45 is usual)
        model_id: a model the tab offers (the API page lists them; the first is the default); -seg models draw masks

    Returns:
        the photo with boxes drawn, a table of the objects (class, confidence, box corners in pixels), the info line
    """
    photo = open_image(image)
    detector = TASK.load(model_id)
    (found,) = detect(detector, [photo], confidence, iou)
    note = message("Found {found}.", found=describe(found.table)) + (
        message(" Masks drawn.") if detector.segments else ""
    )
    return found.image, with_columns_translated(found.table), ui.run_info(detector, found.ms, note)


@ui.user_errors
def run_live(frame, confidence, iou, model_id, rate: video.FrameRate | None):
    """One webcam frame of a live stream: the frame annotated, and the stream's frame rate so far."""
    if frame is None:  # the camera is still starting
        return None, message("Waiting for the camera…"), rate
    started = time.perf_counter()
    try:
        photo = open_image(frame, video.FRAME_SIDE)
    except ShowcaseError as error:  # one bad frame is said beside the stream, which goes on
        return gr.skip(), html.escape(in_visitor_language(error.text), quote=False), rate
    detector = TASK.load(model_id)
    (found,) = detect(detector, [photo], confidence, iou)
    rate = rate or video.FrameRate()
    rate.add((time.perf_counter() - started) * 1000)
    note = message(
        "Live: {fps:.1f} frames/s, {p95_ms:.0f} ms per frame on the server (p95 of the last {count}) · {found}",
        fps=rate.fps,
        p95_ms=rate.p95_ms,
        count=len(rate.recent),
        found=describe(found.table),
    )
    return found.image, ui.run_info(detector, found.ms, note), rate


@ui.gpu_seconds(180)
@ui.user_errors
def run_video(clip_path, confidence, iou, model_id):
    """Annotates every frame of a clip: shows frames as they are done, then the annotated video and
    the objects per class over time."""
    check_thresholds(confidence, iou)
    clip = video.open_clip(clip_path)
    detector = TASK.load(model_id)
    with video.ClipWriter(clip.fps) as writer:
        timeline = []
        began = time.perf_counter()
        shown = 0.0
        frames = video.ClipFrames(clip)
        for index, (second, frame) in enumerate(frames):
            (found,) = detect(detector, [frame], confidence, iou)
            writer.write(found.image)
            timeline.append((second, found.table[CLASS].tolist()))
            if time.monotonic() - shown > PREVIEW_EVERY_S:
                shown = time.monotonic()
                fps = (index + 1) / (time.perf_counter() - began)
                progress = (
                    message(
                        "Frame {frame:,} of {frames:,} · {fps:.1f} frames/s",
                        frame=index + 1,
                        fps=fps,
                        frames=min(clip.frames, video.MAX_CLIP_FRAMES),
                    )
                    if clip.frames > index  # a container may claim fewer frames than it holds
                    else message("Frame {frame:,} · {fps:.1f} frames/s", frame=index + 1, fps=fps)
                )
                yield found.image, ui.run_info(detector, None, progress), gr.skip(), gr.skip()
        if not timeline:
            raise ShowcaseError("The video has no frames that could be decoded.")
        seconds = time.perf_counter() - began
        seen = ", ".join(sorted({label for _, labels in timeline for label in labels})) or message(
            "nothing above the threshold"
        )
        note = message(
            "{frames:,} frames ({video_s:.1f} s of video) in {seconds:.1f} s, {fps:.1f} frames/s · seen: {seen}",
            frames=len(timeline),
            video_s=timeline[-1][0] + 1 / clip.fps,
            seconds=seconds,
            fps=len(timeline) / seconds,
            seen=seen,
        )
        if frames.cut:
            note += " " + in_visitor_language(frames.cut)
        # Gradio copies the file into its cache while handling this yield, before the folder goes.
        yield found.image, ui.run_info(detector, None, note), str(writer.close()), video.counts_over_time(timeline)


def build_ui() -> None:
    gr.Markdown(
        t(
            "Finds and outlines objects of the 80 COCO classes with **Ultralytics YOLO**, in a photo, live from "
            "your webcam or in a video. The `-seg` models also draw each object's mask."
        )
    )
    with gr.Row():
        model_id = ui.model_dropdown(TASK)
        # Wide enough for a label beside its number: on a phone each goes on a line of its own.
        confidence = gr.Slider(0.0, 1.0, value=0.25, step=0.01, label=t("Confidence threshold"), min_width=260)
        iou = gr.Slider(0.0, 1.0, value=0.45, step=0.01, label=t("IoU threshold (overlap for NMS)"), min_width=260)
    with gr.Tabs():
        with gr.Tab(t("Photo")):
            with gr.Row():
                with gr.Column():
                    image = ui.image_input()
                    button = gr.Button(t("Detect"), variant="primary")
                with gr.Column():
                    annotated = ui.image_output(t("Detections"))
                    info = ui.info_line()
            objects = ui.table_with_columns(gr.DataFrame(label=t("Objects"), wrap=True), TABLE_COLUMNS[:-1])
            gr.Examples([[examples.bus()], [examples.zidane()], [examples.tower()]], inputs=[image])
        with gr.Tab(t("Webcam (live)")):
            gr.Markdown(
                t(
                    "Allow the camera, then press record: frames go to the server up to {rate:.0f} times a second "
                    "and come back annotated. When the server is busy, frames are skipped, never queued. A stream "
                    "ends after {minutes} minutes; press record again to go on.",
                    rate=1 / LIVE_EVERY_S,
                    minutes=LIVE_SECONDS // 60,
                )
            )
            with gr.Row():
                webcam = ui.image_input(
                    t("Webcam"), sources=["webcam"], streaming=True, webcam_options=gr.WebcamOptions(mirror=False)
                )
                live = ui.live_image_output(t("Detections, live"), elem_id="detection-live")
            live_info, rate = ui.info_line(), gr.State()
        with gr.Tab(t("Video file")):
            with gr.Row():
                with gr.Column():
                    minutes = video.MAX_CLIP_SECONDS // 60
                    clip = gr.Video(sources=["upload"], label=t("Video (up to {minutes} minutes)", minutes=minutes))
                    with gr.Row():
                        start = gr.Button(t("Detect in video"), variant="primary")
                        stop = gr.Button(t("Stop"), variant="stop")
                    gr.Examples([[examples.street_clip()]], inputs=[clip])
                with gr.Column():
                    frame = ui.live_image_output(t("Frames as they are done"))
                    clip_info = ui.info_line()
            with gr.Row():
                annotated_clip = gr.Video(label=t("Annotated video (WebM, with a download button)"))
                counts = gr.LinePlot(
                    x="second",
                    y="count",
                    color="class",
                    label=t("Objects per class over time"),
                    x_title=t("second of the video"),
                    y_title=t("objects"),
                    color_title=t("class"),
                )
    ui.bind(TASK.endpoint("detect"), button.click, [image, confidence, iou, model_id], [annotated, objects, info])
    # Private: an API client sends one frame, not a stream; /detect answers that. Two streams at a time.
    live_stream = webcam.stream(
        run_live,
        [webcam, confidence, iou, model_id, rate],
        [live, live_info, rate],
        stream_every=LIVE_EVERY_S,
        time_limit=LIVE_SECONDS,
        concurrency_limit=2,
        concurrency_id="live",
        api_visibility="private",
    )
    gradio_internals.close_when_idle(live_stream, LIVE_IDLE_S)
    job = ui.bind(
        TASK.endpoint("detect_video"),
        start.click,
        [clip, confidence, iou, model_id],
        [frame, clip_info, annotated_clip, counts],
        concurrency_limit=1,
        concurrency_id="video",
    )
    stop.click(None, cancels=[job])


TASK = Task(
    __name__,
    "Object detection",
    "Vision",
    {"model": ("yolo",)},
    build_ui,
    # A video is long work for a person watching, not a tool an agent waits on.
    endpoints=(Endpoint("detect", run), Endpoint("detect_video", run_video, tool=False)),
)
