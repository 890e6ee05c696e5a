"""Object detection and instance segmentation with Ultralytics YOLO (`/detect`)."""

from __future__ import annotations

import html
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

import gradio as gr
import numpy as np
import pandas as pd

import examples
from i18n import N_, Text
from models.errors import ShowcaseError
from models.yolo import DATASET, Detections, Detector
from toolkit import (
    box_explanations,
    counting,
    drawing,
    gradio_internals,
    heatmaps,
    runtime_ledger,
    shapes,
    sharing,
    ui,
    video,
)
from toolkit.inputs import number, open_image
from toolkit.interface import t
from toolkit.messages import class_names, in_visitor_language, message, with_columns_translated
from toolkit.runtime_ledger import LedgerCall
from toolkit.task import Endpoint, Task

# A clip being annotated shows a frame this often: the page needs a few a second, not every one.
PREVIEW_EVERY_S = 0.25
# A live stream sends a frame at most this often, and only once the last one is answered.
LIVE_EVERY_S = 0.1
LIVE_SECONDS = 300
# A stream whose page sends no frame for this long after an answer has gone (a closed tab): it is
# ended, and its slot freed for the next visitor.
LIVE_IDLE_S = 5
# A live stream's counts table, chart and heatmap are redrawn this often (the table also when a count changes).
LIVE_CHART_EVERY_S = 2.0

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


def describe(labels) -> str:
    """What was found, by class, from each object's class name: "4 person, 1 bus"."""
    return ", ".join(f"{n} {name}" for name, n in pd.Series(labels).value_counts().items()) or message(
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
    note = message("Found {found}.", found=describe(found.table[CLASS])) + (
        message(" Masks drawn.") if detector.segments else ""
    )
    return found.image, with_columns_translated(found.table), ui.run_info(detector, found.ms, note)


def ledger_call(model_id: str, image, text: str = "", confidence: float = 0.25, iou: float = 0.45) -> LedgerCall:
    """The runtime ledger of a photo's detections (the /runtimes endpoint's, and the page's)."""
    check_thresholds(confidence, iou)
    return runtime_ledger.of_detections(TASK.load(model_id), open_image(image), confidence, iou)


@ui.user_errors
def runtimes_on_page(image, confidence, iou, model_id):
    yield from runtime_ledger.on_page(ledger_call(model_id, image, confidence=confidence, iou=iou))


@ui.user_errors
def explain(image, confidence, iou, model_id, box: int = 1, opacity: float = heatmaps.OPACITY):
    """Detects as /detect does, then shows why one of the objects was found: the pixels its class
    score rests on (HiResCAM), and every object's next likeliest classes.

    Args:
        image: the photo (JPEG, PNG, WebP or HEIC)
        confidence: as /detect takes it
        iou: as /detect takes it
        model_id: as /detect takes it
        box: which object to explain: its row in /detect's table, 1 for the first (the most confident)
        opacity: how strongly the heat covers the photo, 0 to 1

    Returns:
        the photo with the heat over it and the object outlined, a table of the objects with their next
        likeliest classes, and a line naming the object, the method and the time it took
    """
    opacity = number(opacity, "The opacity", 0, 1)
    photo, result = explanation(image, confidence, iou, model_id, box)
    return heatmaps.overlay(photo, result.heatmap, opacity), result.table, result.info


@ui.user_errors
def explain_on_page(image, confidence, iou, model_id, objects, which, opacity):
    """The answer on screen explained: the object on row `which` of its table."""
    if objects is None or len(objects) == 0:
        raise ShowcaseError("There is no object to explain yet: detect the objects in a photo first.")
    photo, result = explanation(image, confidence, iou, model_id, which, len(objects))
    return heatmaps.overlay(photo, result.heatmap, opacity), result.table, result.info, result.heatmap


def explanation(image, confidence, iou, model_id, which, shown: int | None = None) -> tuple:
    """The photo and the explanation of its object on row `which` (1 for the first) of what /detect
    finds in it; `shown`: how many objects the page shows, which must still be what it finds."""
    picked = box_explanations.row_index(which)
    photo, detector = open_image(image), TASK.load(model_id)
    check_thresholds(confidence, iou)
    (found,) = detector.detect([photo], confidence, iou)
    if shown is not None and len(found.class_ids) != shown:
        raise ShowcaseError("The objects on screen are not this photo's at these settings any more: detect again.")
    names = class_names(DATASET, detector.class_names)
    return photo, box_explanations.explained(detector, photo, found, picked, names)


@dataclass
class LiveStream:
    """What a visitor's live stream keeps between frames: its frame rate, its last frame (to draw
    shapes on), and its tracks and counts while they are asked for (kept when the stream ends)."""

    rate: video.FrameRate = field(default_factory=video.FrameRate)
    last_frame: np.ndarray | None = None
    counting: counting.Counting | None = None
    counting_for: tuple | None = None  # (model, shapes' JSON) the counts were made with
    counted_at: float | None = None  # when its last frame was counted (monotonic seconds)
    chart_at: float = 0.0

    def counting_with(self, detector: Detector, drawn: shapes.Shapes) -> counting.Counting:
        """The stream's counts; started again when the model or the shapes change."""
        key = (detector.model_id, drawn.to_json())
        if self.counting is None or self.counting_for != key:
            self.counting = counting.Counting(drawn, class_names(DATASET, detector.class_names))
            self.counting_for, self.counted_at = key, None
        return self.counting


def counts_wanted(track: bool, drawn: shapes.Shapes) -> bool:
    """Lines and zones count the objects tracking follows: drawing one turns tracking on."""
    return bool(track) or bool(drawn)


@ui.user_errors
def run_live(frame, confidence, iou, model_id, stream: LiveStream | None, track=False, shapes_json=""):
    """One webcam frame of a live stream: the frame annotated, the stream's frame rate so far and,
    when tracking or counting, the counts (the table when a count changes, and with the chart and
    heatmap every LIVE_CHART_EVERY_S)."""
    stream = stream or LiveStream()
    unchanged = (gr.skip(),) * 3  # the counts' table, chart and heatmap
    if frame is None:  # the camera is still starting
        return None, message("Waiting for the camera…"), stream, *unchanged
    started = time.perf_counter()
    try:
        photo = open_image(frame, video.FRAME_SIDE)
        drawn = shapes.read(shapes_json)
    except ShowcaseError as error:  # one bad frame, or shapes, said beside the stream, which goes on
        return gr.skip(), html.escape(in_visitor_language(error.text), quote=False), stream, *unchanged
    detector = TASK.load(model_id)
    stream.last_frame = np.asarray(photo)
    if counts_wanted(track, drawn):
        annotated, described, ms, counted = count_live_frame(stream, detector, drawn, confidence, iou)
    else:
        (found,) = detect(detector, [photo], confidence, iou)
        annotated, described, ms, counted = found.image, describe(found.table[CLASS]), found.ms, unchanged
    stream.rate.add((time.perf_counter() - started) * 1000)
    note = message(
        "Live: {fps:.1f} frames/s, {p95_ms:.0f} ms per frame on the server (p95 of the last {count}) · {found}",
        fps=stream.rate.fps,
        p95_ms=stream.rate.p95_ms,
        count=len(stream.rate.recent),
        found=described,
    )
    return annotated, ui.run_info(detector, ms, note), stream, *counted


def count_live_frame(stream: LiveStream, detector: Detector, drawn: shapes.Shapes, confidence, iou) -> tuple:
    """The stream's last frame tracked and counted: the frame drawn, what it shows, the network's ms,
    and the counts' table, chart and heatmap (the last two skipped between redraws)."""
    check_thresholds(confidence, iou)
    image = stream.last_frame
    counts = stream.counting_with(detector, drawn)
    answers = detector.detect([image], confidence, iou)
    tracked = counts.track(answers[0], image)
    now = time.monotonic()
    # A frame lasts until the next: the time between them, at most a second (a stalled stream).
    frame_s = min(now - stream.counted_at, 1.0) if stream.counted_at else LIVE_EVERY_S
    stream.counted_at = now
    counts.add(tracked, image, counts.timeline[-1][0] + frame_s if counts.timeline else 0.0, frame_s)
    described = describe(counts.class_names(answers[0])) + message(" · {count} followed", count=len(counts.followed))
    counted = (gr.skip(),) * 3
    if now - stream.chart_at > LIVE_CHART_EVERY_S:
        stream.chart_at = now
        counted = (with_columns_translated(counts.table()), counts.over_time(), counts.heatmap())
    elif len(counts.timeline) < 2 or counts.timeline[-1][1] != counts.timeline[-2][1]:  # a count changed (or began)
        counted = (with_columns_translated(counts.table()), gr.skip(), gr.skip())
    return counts.draw(image, tracked), described, answers.timings["forward"], counted


@dataclass
class ClipRun:
    """A clip being annotated: what was seen per frame so far, and its counts when asked for."""

    clip: video.Clip
    counts: counting.Counting | None
    frames: video.ClipFrames
    timeline: list[tuple[float, list[str]]] = field(default_factory=list)


def start_clip(clip_path, confidence, iou, detector_id, track, shapes_json) -> tuple[ClipRun, Detector]:
    """The clip and shapes checked, before a frame is decoded; shapes without a size are in pixels
    of the video as uploaded."""
    check_thresholds(confidence, iou)
    drawn = shapes.read(shapes_json)
    clip = video.open_clip(clip_path)
    drawn = drawn.checked_against((clip.width, clip.height))
    detector = TASK.load(detector_id)
    counts = (
        counting.Counting(drawn, class_names(DATASET, detector.class_names)) if counts_wanted(track, drawn) else None
    )
    return ClipRun(clip, counts, video.ClipFrames(clip)), detector


def annotated_frames(run: ClipRun, detector: Detector, confidence, iou) -> Iterator[np.ndarray]:
    """Each frame of the clip annotated (tracked and counted when asked), in order."""
    for second, frame in run.frames:
        if run.counts is None:
            (found,) = detect(detector, [frame], confidence, iou)
            run.timeline.append((second, found.table[CLASS].tolist()))
            yield found.image
            continue
        answers = detector.detect([frame], confidence, iou)
        tracked = run.counts.track(answers[0], frame)
        run.counts.add(tracked, frame, second, 1 / run.clip.fps)
        run.timeline.append((second, run.counts.class_names(answers[0])))
        yield run.counts.draw(frame, tracked)


def clip_summary(run: ClipRun, seconds: float) -> str:
    if not run.timeline:
        raise ShowcaseError("The video has no frames that could be decoded.")
    seen = ", ".join(sorted({label for _, labels in run.timeline for label in labels})) or message(
        "nothing above the threshold"
    )
    note = message(
        "{frames:,} frames ({video_s:.1f} s of video) in {seconds:.1f} s, {fps:.1f} frames/s · seen: {seen}",
        frames=len(run.timeline),
        video_s=run.timeline[-1][0] + 1 / run.clip.fps,
        seconds=seconds,
        fps=len(run.timeline) / seconds,
        seen=seen,
    )
    if run.counts is not None:
        note += message(" · {count} followed", count=len(run.counts.followed))
    if run.frames.cut:
        note += " " + in_visitor_language(run.frames.cut)
    return note


def counts_file(table: pd.DataFrame) -> str:
    return counting.write_csv(table, gradio_internals.new_cache_folder("showcase-counts-"))


def counts_outputs(counts: counting.Counting | None) -> tuple:
    """The counts table, chart over time, heatmap and CSV of a finished run (None without counts)."""
    if counts is None:
        return None, None, None, None
    table = with_columns_translated(counts.table())
    return table, counts.over_time(), counts.heatmap(), counts_file(table)


@ui.gpu_seconds(180)
@ui.user_errors
def run_video(clip_path, confidence, iou, model_id, track=False, shapes_json=None):
    """Annotates every frame of a clip: shows frames as they are done, then the annotated video and
    the objects per class over time; with tracking (or lines and zones given), each object's id and
    trail, and the counts at the lines and zones."""
    run, detector = start_clip(clip_path, confidence, iou, model_id, track, shapes_json)
    with video.ClipWriter(run.clip.fps) as writer:
        began = time.perf_counter()
        shown = 0.0
        for index, image in enumerate(annotated_frames(run, detector, confidence, iou)):
            writer.write(image)
            if time.monotonic() - shown > PREVIEW_EVERY_S:
                shown = time.monotonic()
                fps = (index + 1) / (time.perf_counter() - began)
                progress = (
                    message(
                        "Frame {frame:,} of {frames:,} · {fps:.1f} frames/s",
                        frame=index + 1,
                        fps=fps,
                        frames=min(run.clip.frames, video.MAX_CLIP_FRAMES),
                    )
                    if run.clip.frames > index  # a container may claim fewer frames than it holds
                    else message("Frame {frame:,} · {fps:.1f} frames/s", frame=index + 1, fps=fps)
                )
                table = with_columns_translated(run.counts.table()) if run.counts else gr.skip()
                yield image, ui.run_info(detector, None, progress), gr.skip(), gr.skip(), table, *[gr.skip()] * 3
        note = clip_summary(run, time.perf_counter() - began)
        # Gradio copies the file into its cache while handling this yield, before the folder goes.
        yield (
            image,
            ui.run_info(detector, None, note),
            str(writer.close()),
            video.counts_over_time(run.timeline),
            *counts_outputs(run.counts),
        )


@ui.gpu_seconds(180)
@ui.user_errors
def count_objects(clip_path, shapes_json, confidence=0.25, iou=0.45, model_id=None):
    """Counts the objects that cross lines and stay in zones of a video, following each object across
    frames (Ultralytics YOLO and ByteTrack).

    Args:
        clip_path: the video (MP4, MOV, WebM, MKV or AVI; up to 2 minutes)
        shapes_json: the lines and zones, as JSON: {"size": [width, height], "shapes": [{"name": "Door",
            "kind": "line", "points": [[x1, y1], [x2, y2]]}, {"name": "Corner", "kind": "zone", "points":
            [[x, y], ...3 or more]}]}; points in pixels of a frame of that size (without "size", of the
            video); at most 16 shapes. An object counts 'in' when its centre crosses a line towards the
            left of the line walked from its first point to its second.
        confidence: keep objects found with at least this confidence, 0 to 1 (0.25 is usual)
        iou: boxes overlapping more than this are one object, 0 to 1 (0.45 is usual)
        model_id: a model the tab offers (the API page lists them; the first is the default)

    Returns:
        a table per line and zone and class (in, out, inside at the end, entered, dwell median and
            longest in seconds), the same as a CSV file, the info line
    """
    run, detector = start_clip(clip_path, confidence, iou, model_id or TASK.default(), True, shapes_json)
    began = time.perf_counter()
    for _ in annotated_frames(run, detector, confidence, iou):
        pass
    note = clip_summary(run, time.perf_counter() - began)
    table, _, _, csv_path = counts_outputs(run.counts)
    return table, csv_path, ui.run_info(detector, None, note)


@ui.user_errors
def take_clip_frame(clip_path, shapes_json):
    """The clip's first frame to draw on, with the shapes drawn so far."""
    frame = video.first_frame(video.open_clip(clip_path))
    return frame, shapes_on(frame, shapes_json, []), ""


@ui.user_errors
def take_live_frame(stream: LiveStream | None, shapes_json):
    """The webcam's last frame to draw on, with the shapes drawn so far."""
    if stream is None or stream.last_frame is None:
        raise ShowcaseError("Start the webcam first: its last frame is the one to draw on.")
    return stream.last_frame, shapes_on(stream.last_frame, shapes_json, []), ""


def shapes_on(frame: np.ndarray | None, shapes_json: str, pending: list) -> np.ndarray | None:
    if frame is None:
        return None
    return shapes.draw(frame, shapes.read(shapes_json), pending)


def frame_size(frame: np.ndarray | None) -> tuple[int, int]:
    """The size (width, height) of the frame being drawn on; a message if none was taken."""
    if frame is None:
        raise ShowcaseError("Take a frame first (the video's first, or the webcam's), then click on it.")
    return frame.shape[1], frame.shape[0]


@ui.user_errors
def click_shape(frame, shapes_json, pending, kind, name, evt: gr.SelectData):
    """A click on the frame: a point of the line or zone being drawn."""
    drawn, pending = shapes.with_click(
        shapes.read(shapes_json), pending or [], kind, name, evt.index, frame_size(frame)
    )
    text = drawn.to_json() if drawn else ""
    return shapes_on(frame, text, pending), text, pending, drawing_hint(kind, pending)


@ui.user_errors
def close_zone(frame, shapes_json, pending, name):
    drawn = shapes.with_zone_closed(shapes.read(shapes_json), pending or [], name, frame_size(frame))
    return shapes_on(frame, drawn.to_json(), []), drawn.to_json(), [], ""


@ui.user_errors
def undo_shape(frame, shapes_json, pending):
    drawn, pending = shapes.without_last(shapes.read(shapes_json), pending or [])
    text = drawn.to_json() if drawn else ""
    return shapes_on(frame, text, pending), text, pending, ""


@ui.user_errors
def redraw_shapes(frame, shapes_json):
    """Shapes typed or pasted as JSON, drawn (or a message saying what is wrong with them)."""
    return shapes_on(frame, shapes_json, []), [], ""


def drawing_hint(kind: str, pending: list) -> str:
    if kind == shapes.ZONE and pending:
        return message("{count} points: click more, then **Close the zone** (3 or more).", count=len(pending))
    if pending:
        return message("Click the line's second point.")
    return ""


@ui.user_errors
def counts_csv(stream: LiveStream | None):
    if stream is None or stream.counting is None:
        raise ShowcaseError("Nothing counted yet: turn on tracking or draw a line or zone, then start the webcam.")
    return counts_file(with_columns_translated(stream.counting.table()))


def over_time(color: str, label, x_title, color_title, **kwargs) -> gr.LinePlot:
    """A chart of counts (y) over seconds (x), a line per `color` column's value."""
    return gr.LinePlot(
        **kwargs,
        x="second",
        y="count",
        color=color,
        label=label,
        x_title=x_title,
        y_title=t("objects"),
        color_title=color_title,
    )


def counts_panel(mode: str) -> tuple[gr.DataFrame, gr.LinePlot]:
    """A mode's counts, beside its picture: the table and the chart over time."""
    table = ui.table_with_columns(
        gr.DataFrame(label=t("Counts at the lines and zones"), wrap=True, elem_id=f"detection-{mode}-counts"),
        counting.COLUMNS,
    )
    chart = over_time(
        "series", t("Counts over time"), t("second"), t("line or zone"), elem_id=f"detection-{mode}-chart"
    )
    return table, chart


def build_ui() -> None:
    gr.Markdown(
        t(
            "Finds and outlines objects of the 80 COCO classes with **Ultralytics YOLO**, in a photo, live from "
            "your webcam or in a video. The `-seg` models also draw each object's mask. On the webcam and in a "
            "video it can follow each object and count what crosses your lines and stays in your zones."
        )
    )
    with gr.Row():
        model_id = ui.model_dropdown(TASK)
        # Wide enough for a label beside its number: on a phone each goes on a line of its own.
        confidence = gr.Slider(0.0, 1.0, value=0.25, step=0.01, label=t("Confidence threshold"), min_width=260)
        iou = gr.Slider(0.0, 1.0, value=0.45, step=0.01, label=t("IoU threshold (overlap for NMS)"), min_width=260)
    with gr.Accordion(t("Tracking, lines and zones (webcam and video)"), open=False) as panel:
        gr.Markdown(
            t(
                "**Follow objects** gives each an id and a trail. To count, take a frame and click on it: a line "
                "takes two clicks (an object crossing towards its arrow counts *in*, the other way *out*); a zone "
                "takes three clicks or more, then **Close the zone**. Counting follows objects, so a line or zone "
                "turns it on. Shapes keep their place if the frame size changes."
            )
        )
        with gr.Row():
            with gr.Column():
                canvas = gr.Image(
                    label=t("Click on the frame to draw"),
                    type="numpy",
                    interactive=False,
                    format="jpeg",
                    elem_id="detection-canvas",
                )
                with gr.Row():
                    from_clip = gr.Button(t("Take the video's first frame"))
                    from_webcam = gr.Button(t("Take the webcam's last frame"))
            with gr.Column():
                track = gr.Checkbox(value=False, label=t("Follow objects (ids and trails)"))
                kind = ui.radio([shapes.LINE, shapes.ZONE], value=shapes.LINE, label=t("Draw a"))
                name = gr.Textbox(label=t("Name of the next line or zone (optional)"), max_length=shapes.MAX_NAME)
                with gr.Row():
                    close = gr.Button(t("Close the zone"))
                    undo = gr.Button(t("Undo"))
                    clear = gr.Button(t("Clear all"))
                drawing_note = gr.Markdown()
                shapes_json = gr.Textbox(
                    label=t("Lines and zones (JSON: edit it, or paste it into the API)"),
                    lines=3,
                    max_lines=8,
                    max_length=shapes.MAX_JSON_CHARS,
                )
        canvas_frame, pending = gr.State(), gr.State([])
    with gr.Tabs():
        with gr.Tab(t("Photo")):
            with gr.Row():
                with gr.Column():
                    image = ui.image_input()
                    button = gr.Button(t("Detect"), variant="primary")
                with gr.Column():
                    annotated = ui.image_output(t("Detections"))
                    info = ui.info_line()
            objects = ui.table_with_columns(
                gr.DataFrame(
                    label=t("Objects"),
                    wrap=True,
                    interactive=False,
                    elem_id="detection-objects",
                ),
                TABLE_COLUMNS[:-1],
            )
            with gr.Row():
                which = ui.whole_number(1, t("Object to explain (its row)"), minimum=1)
                explain_button = gr.Button(t("Explain"))
            with gr.Row():
                with gr.Column():
                    shown, opacity, heat = ui.heatmap_output(image, "detection-explanation")
                with gr.Column():
                    explained = ui.info_line()
                    runner_ups = box_explanations.runner_ups_output()
            sharing.panel(
                TASK,
                [image, model_id, confidence, iou, which, opacity],
                [annotated, info, objects, shown, explained, runner_ups],
            )
            ledger = runtime_ledger.panel("detection-runtimes")
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
            live_info, stream = ui.info_line(), gr.State()
            with gr.Row():
                live_table, live_chart = counts_panel("live")
            with gr.Row():
                live_heatmap = ui.live_image_output(t("Where objects were (heatmap)"), elem_id="detection-live-heatmap")
                with gr.Column():
                    live_csv_button = gr.Button(t("Download the counts (CSV)"))
                    live_csv = gr.File(label=t("Counts (CSV)"), elem_id="detection-live-csv")
        with gr.Tab(t("Video file")):
            with gr.Row():
                with gr.Column():
                    minutes = video.MAX_CLIP_SECONDS // 60
                    clip = gr.Video(sources=["upload"], label=t("Video (up to {minutes} minutes)", minutes=minutes))
                    with gr.Row():
                        start = gr.Button(t("Detect in video"), variant="primary")
                        stop = gr.Button(t("Stop"), variant="stop")
                    clip_examples = gr.Examples(
                        [
                            [examples.street_clip(), "", False],
                            [examples.counting_clip(), json.dumps(examples.COUNTING_SHAPES), True],
                        ],
                        inputs=[clip, shapes_json, track],
                    )
                with gr.Column():
                    frame = ui.live_image_output(t("Frames as they are done"))
                    clip_info = ui.info_line()
            with gr.Row():
                annotated_clip = gr.Video(label=t("Annotated video (WebM, with a download button)"))
                counts = over_time("class", t("Objects per class over time"), t("second of the video"), t("class"))
            with gr.Row():
                clip_table, clip_chart = counts_panel("clip")
            with gr.Row():
                heatmap = ui.image_output(t("Where objects were (heatmap)"), elem_id="detection-heatmap")
                clip_csv = gr.File(label=t("Counts (CSV)"), elem_id="detection-clip-csv")
    ui.bind(TASK.endpoint("detect"), button.click, [image, confidence, iou, model_id], [annotated, objects, info])
    explained_outputs = [shown, runner_ups, explained, heat]
    ui.cleared_by([image.change, button.click], explained_outputs)
    ui.cleared_by([image.change], [objects])
    runtime_ledger.bind(ledger, runtimes_on_page, [image, confidence, iou, model_id])
    ui.cleared_by([image.change, model_id.change], ledger.outputs)
    on_screen = [image, confidence, iou, model_id, objects, which, opacity]
    explain_button.click(explain_on_page, on_screen, explained_outputs, api_visibility="private")
    ui.bind(
        TASK.endpoint("explain_detect"),
        gr.Button(visible=False).click,
        [image, confidence, iou, model_id, which, opacity],
        [gr.Image(visible=False, label=t("Explanation")), gr.DataFrame(visible=False), ui.info_line(visible=False)],
    )
    # Private: an API client sends one frame, not a stream; /detect answers that. Two streams at a time.
    live_stream = webcam.stream(
        run_live,
        [webcam, confidence, iou, model_id, stream, track, shapes_json],
        [live, live_info, stream, live_table, live_chart, live_heatmap],
        stream_every=LIVE_EVERY_S,
        time_limit=LIVE_SECONDS,
        concurrency_limit=2,
        concurrency_id="live",
        api_visibility="private",
    )
    gradio_internals.close_when_idle(live_stream, LIVE_IDLE_S)
    live_csv_button.click(counts_csv, [stream], [live_csv], api_visibility="private")
    job = ui.bind(
        TASK.endpoint("detect_video"),
        start.click,
        [clip, confidence, iou, model_id, track, shapes_json],
        [frame, clip_info, annotated_clip, counts, clip_table, clip_chart, heatmap, clip_csv],
        concurrency_limit=1,
        concurrency_id="video",
    )
    stop.click(None, cancels=[job])
    # The counting tool for API and MCP clients: the video's counts, without the frames.
    ui.bind(
        TASK.endpoint("count_objects"),
        gr.Button(visible=False).click,
        [clip, shapes_json, confidence, iou, model_id],
        [clip_table, clip_csv, ui.info_line(visible=False)],
        concurrency_limit=1,
        concurrency_id="video",
    )
    # Drawing: every handler redraws the frame with the shapes; the JSON is what runs count with.
    drawn = [canvas, shapes_json, pending, drawing_note]
    for event, handler, inputs in (
        (from_clip.click, take_clip_frame, [clip, shapes_json]),
        (clip.upload, take_clip_frame, [clip, shapes_json]),
        (from_webcam.click, take_live_frame, [stream, shapes_json]),
    ):
        event(handler, inputs, [canvas_frame, canvas, drawing_note], api_visibility="private")
    canvas.select(click_shape, [canvas_frame, shapes_json, pending, kind, name], drawn, api_visibility="private")
    close.click(close_zone, [canvas_frame, shapes_json, pending, name], drawn, api_visibility="private")
    undo.click(undo_shape, [canvas_frame, shapes_json, pending], drawn, api_visibility="private")
    clear.click(lambda frame: (frame, "", [], ""), [canvas_frame], drawn, api_visibility="private")
    shapes_json.input(
        redraw_shapes, [canvas_frame, shapes_json], [canvas, pending, drawing_note], api_visibility="private"
    )
    # An example's clip and shapes: shown on the drawing frame, the panel opened to show them.
    clip_examples.dataset.click(
        take_clip_frame, [clip, shapes_json], [canvas_frame, canvas, drawing_note], api_visibility="private"
    ).then(lambda: gr.Accordion(open=True), None, [panel], api_visibility="private")


TASK = Task(
    __name__,
    "Object detection",
    "Vision",
    {"model": ("yolo",)},
    build_ui,
    # A video is long work for a person watching, not a tool an agent waits on.
    endpoints=(
        Endpoint("detect", run),
        Endpoint("explain_detect", explain),
        Endpoint("detect_video", run_video, tool=False),
        Endpoint("count_objects", count_objects),
    ),
    runtimes=ledger_call,
)
