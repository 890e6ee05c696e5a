"""Tracking and counting on the detection tab: objects followed across frames, and counted at the lines
and zones a visitor draws, on a clip whose true crossings and dwell times are known."""

from __future__ import annotations

import json
import re
from pathlib import Path

import gradio as gr
import numpy as np
import pandas as pd
import pytest

import examples
from models.errors import ShowcaseError
from models.yolo import Detections
from tasks import detection
from toolkit import counting, gradio_internals, shapes

SHAPES = json.dumps(examples.COUNTING_SHAPES)


def truth() -> dict:
    """What the counting example holds, from the walkers' paths: who crosses the door which way (in:
    towards its left, walked from its first point to its second), and how long each stands in the
    corner."""
    door = np.array(examples.COUNTING_SHAPES["shapes"][0]["points"], dtype=float)
    corner = np.array(examples.COUNTING_SHAPES["shapes"][1]["points"], dtype=float)
    normal = np.array([door[1, 1] - door[0, 1], door[0, 0] - door[1, 0]])
    crossed = {"in": 0, "out": 0}
    inside_frames, entered, inside_at_end = 0, 0, 0
    for walker in ("left", "right"):
        sides = [np.sign((np.array(examples.counting_path(walker, f)) - door[0]) @ normal) for f in range(60)]
        for before, after in zip(sides, sides[1:]):
            if before != after:
                crossed["in" if after > 0 else "out"] += 1
        inside = [
            corner[:, 0].min() <= x <= corner[:, 0].max() and corner[:, 1].min() <= y <= corner[:, 1].max()
            for x, y in (examples.counting_path(walker, f) for f in range(examples.COUNTING_FRAMES))
        ]
        inside_frames += sum(inside)
        entered += sum(1 for before, after in zip([False, *inside], inside) if after and not before)
        inside_at_end += inside[-1]
    return {
        "in": crossed["in"],
        "out": crossed["out"],
        "entered": entered,
        "inside_now": inside_at_end,
        "dwell_s": round(inside_frames / examples.COUNTING_FPS, 1),
    }


def test_the_example_clip_is_counted_exactly(yolo):
    """Each walker crosses the door once, one each way, and one stands in the corner to the end: the
    counts with ByteTrack on the real YOLOv8n weights are exactly those of their paths."""
    expected = truth()
    assert expected == {"in": 1, "out": 1, "entered": 1, "inside_now": 1, "dwell_s": 2.8}  # the clip as designed
    table, csv_path, info = detection.count_objects(examples.counting_clip(), SHAPES, 0.25, 0.45, "yolov8n.pt")
    rows = {(row["shape"], row["class"]): row for row in table.to_dict("records")}
    assert set(rows) == {("Door", "person"), ("Corner", "person")}, table
    assert (rows["Door", "person"]["in"], rows["Door", "person"]["out"]) == (expected["in"], expected["out"])
    corner = rows["Corner", "person"]
    assert (corner["inside now"], corner["entered"]) == (expected["inside_now"], expected["entered"])
    assert corner["dwell median (s)"] == corner["dwell longest (s)"] == expected["dwell_s"]
    assert "60 frames (6.0 s of video)" in info and "seen: person · 2 followed" in info
    # In Gradio's cache, where the sweeper deletes it.
    assert str(Path(csv_path).resolve().parent.parent) in gradio_internals.cache_folders()
    written = pd.read_csv(csv_path, encoding="utf-8-sig")
    assert written.columns.tolist() == table.columns.tolist() and written["in"].tolist()[0] == expected["in"]


def test_a_video_with_tracking_gives_ids_trails_counts_a_chart_a_heatmap_and_a_csv(yolo, chinese_request):
    updates = list(detection.run_video(examples.counting_clip(), 0.25, 0.45, "yolov8n.pt", True, SHAPES))
    frame, info, annotated, per_class, table, chart, heatmap, csv_path = updates[-1]
    assert [row[1] for row in table.values.tolist()] == ["线", "区域"] and "进" in table.columns
    assert set(chart["series"]) == {"Door · 进", "Door · 出", "Corner · 当前在内"}
    assert chart.groupby("series")["count"].max().to_dict() == {"Door · 进": 1, "Door · 出": 1, "Corner · 当前在内": 1}
    assert heatmap.shape == frame.shape == (480, 640, 3)
    heat = np.abs(heatmap.astype(int) - frame.astype(int)).sum(axis=2) > 30
    assert heat[100:140, 200:440].mean() > 0.5 and heat[20:60, :400].mean() < 0.05  # along the walkers' paths only
    raw = open(csv_path, "rb").read()
    assert raw.startswith(b"\xef\xbb\xbf") and "图形,类型,类别".encode() in raw and "人".encode() in raw


def test_tracking_alone_numbers_the_objects_without_counts(yolo):
    """Tracking without shapes: the two walkers keep ids 1 and 2 from the first frame to the last
    (neither is lost and found again under a new id), and nothing is counted."""
    run, detector = detection.start_clip(examples.counting_clip(), 0.25, 0.45, "yolov8n.pt", True, "")
    ids = []
    for _, frame in run.frames:
        ids.append(sorted(run.counts.track(detector.detect([frame], 0.25, 0.45)[0], frame).ids))
    assert ids == [[1, 2]] * examples.COUNTING_FRAMES
    assert run.counts.table().empty and run.counts.over_time().empty


def walker(x: float, y: float = 100.0, side: float = 40.0, class_id: int = 0) -> Detections:
    return Detections([class_id], [0.9], [[x - side / 2, y - side, x + side / 2, y + side]])


def count_walk(
    drawn: shapes.Shapes, frame_size: tuple[int, int], xs: list[float], y: float, side: float = 40
) -> counting.Counting:
    """A detection walked across frames of `frame_size`, tracked and counted."""
    counts = counting.Counting(drawn, ["person"])
    frame = np.zeros((frame_size[1], frame_size[0], 3), np.uint8)
    for index, x in enumerate(xs):
        counts.add(counts.track(walker(x, y, side), frame), frame, index / 10, 0.1)
    return counts


def test_shapes_keep_their_place_when_the_frame_size_changes():
    """Shapes drawn on a 640x480 frame count the same walk on 1280x960 frames (coordinates doubled)."""
    drawn = shapes.read(SHAPES)
    small = count_walk(drawn, (640, 480), list(np.linspace(100, 540, 30)), 120)
    large = count_walk(drawn, (1280, 960), list(np.linspace(200, 1080, 30)), 240, side=80)
    assert small.lines["Door"].in_count == large.lines["Door"].in_count == 1
    assert small.table().equals(large.table())


def test_a_zone_counts_entries_and_dwell_by_the_frames_inside():
    drawn = shapes.read(
        json.dumps([{"name": "Box", "kind": "zone", "points": [[0, 0], [100, 0], [100, 300], [0, 300]]}])
    )
    # In, walking out and back in: two entries of one object, its time inside in all its dwell.
    away = [55 + 10 * i for i in range(15)]  # a step of a quarter of its width: the tracker keeps it
    xs = [50] * 5 + away + away[::-1] + [50] * 3
    counts = count_walk(drawn, (640, 480), xs, 150)
    (row,) = counts.table().to_dict("records")
    assert (row["entered"], row["inside now"]) == (2, 1)
    assert row["dwell longest (s)"] == row["dwell median (s)"] == sum(x < 100 for x in xs) / 10 == 1.8


@pytest.mark.parametrize(
    "text, said",
    [
        ("{not json", "not valid JSON"),
        ("[" * 9000 + "]" * 9000, "not valid JSON: maximum recursion depth exceeded"),
        ('[{"kind": "zone", "points": [[0, 0], [10, 10]]}]', "has 2 points; a zone needs at least 3"),
        ('[{"name": "Gate", "kind": "line", "points": [[5, 5], [5, 5]]}]', "'Gate' has zero length"),
        ('[{"kind": "zone", "points": [[0, 0], [10, 10], [20, 20]]}]', "encloses no area"),
        ('[{"kind": "circle", "points": []}]', "a shape is a line or a zone"),
        ('[{"name": "A", "kind": "line", "points": [[0, 0], [1, "x"]]}]', "must be [x, y] pairs of numbers"),
        ('[{"name": "A", "kind": "line", "points": [[0, 0], [1, NaN]]}]', "must be [x, y] pairs of numbers"),
        (
            '[{"name": "A", "kind": "line", "points": [[0, 0], [1, 1]]}, {"name": "A", "kind": "line", "points": '
            "[[0, 0], [2, 2]]}]",
            "Two shapes are named 'A'",
        ),
        (json.dumps([{"kind": "line", "points": [[0, i], [9, i]]} for i in range(17)]), "At most 16 lines and zones"),
        ('{"size": [0, 480], "shapes": []}', '"size" must be the frame'),
        ("x" * 20_001, "the limit is 20,000"),
    ],
)
def test_bad_shapes_get_specific_messages(text, said):
    with pytest.raises(ShowcaseError, match=said.replace("[", r"\[").replace("]", r"\]")):
        shapes.read(text)


def test_shapes_outside_the_frame_are_refused_before_a_frame_is_decoded(yolo):
    outside = json.dumps(
        {"size": [640, 480], "shapes": [{"name": "Far", "kind": "zone", "points": [[700, 10], [900, 10], [800, 200]]}]}
    )
    with pytest.raises(ShowcaseError, match=r"The zone 'Far' lies outside the frame \(640x480 pixels\)"):
        detection.start_clip(examples.counting_clip(), 0.25, 0.45, "yolov8n.pt", False, outside)
    with pytest.raises(gr.Error, match="lies outside the frame"):  # as the page shows it
        next(detection.run_video(examples.counting_clip(), 0.25, 0.45, "yolov8n.pt", False, outside))


def test_a_zone_reaching_far_outside_the_frame_is_cut_to_it():
    """supervision makes a zone's mask as large as its farthest corner: a corner at 10^9 pixels asked
    for 10^18 bytes."""
    far = json.dumps([{"name": "Far", "kind": "zone", "points": [[0, 0], [1e9, 0], [1e9, 1e9], [0, 1e9]]}])
    counts = count_walk(shapes.read(far), (640, 480), [100, 110, 120], 150)
    assert counts.zones["Far"].mask.shape == (482, 642)
    assert counts.table()["inside now"].tolist() == [1]


def test_clicks_draw_lines_and_zones_scaled_to_the_shapes_pixels():
    size = (640, 480)
    drawn, pending = shapes.with_click(shapes.Shapes(), [], shapes.LINE, "", (100, 50), size)
    assert not drawn and pending == [[100.0, 50.0]]
    drawn, pending = shapes.with_click(drawn, pending, shapes.LINE, "", (100, 400), size)
    assert [s.name for s in drawn.items] == ["Line 1"] and pending == [] and drawn.size == size
    # On a frame twice as large, a click lands at half its pixels in the shapes' own.
    for point in [(0, 0), (400, 0), (400, 400)]:
        drawn, pending = shapes.with_click(drawn, pending, shapes.ZONE, "Shop", point, (1280, 960))
    drawn = shapes.with_zone_closed(drawn, pending, "Shop", (1280, 960))
    assert drawn.zones[0].points.tolist() == [[0, 0], [200, 0], [200, 200]] and drawn.zones[0].name == "Shop"
    with pytest.raises(ShowcaseError, match="a zone needs at least 3"):
        shapes.with_zone_closed(drawn, [[1, 1]], "", size)
    again = shapes.read(drawn.to_json())
    assert [(s.name, s.kind) for s in again.items] == [("Line 1", "line"), ("Shop", "zone")]
    drawn, pending = shapes.without_last(again, [])
    assert [s.name for s in drawn.items] == ["Line 1"]


def test_a_live_stream_counts_and_keeps_its_counts_when_it_ends(yolo):
    """The webcam mode: tracking on, the stream's counts are in its state; a CSV of them can be had
    after the stream stopped; new shapes start the counts again."""
    frame = np.asarray(examples_photo())
    answers = [detection.run_live(frame, 0.25, 0.45, "yolov8n.pt", None, True, "")]
    for _ in range(2):
        answers.append(detection.run_live(frame, 0.25, 0.45, "yolov8n.pt", answers[-1][2], True, ""))
    image, info, stream, table, chart, heatmap = answers[0]
    assert stream.counting is not None and len(stream.counting.timeline) == 3
    assert heatmap.shape == image.shape and {"series", "count"} <= set(chart.columns)  # drawn on the first frame
    assert [answer[5] for answer in answers[1:]] == [gr.skip()] * 2  # and again in LIVE_CHART_EVERY_S
    assert re.search(r"1 bus.* · \d+ followed", answers[-1][1])
    zone = json.dumps([{"name": "All", "kind": "zone", "points": [[0, 0], [480, 0], [480, 640], [0, 640]]}])
    for _ in range(2):
        image, info, stream, table, chart, heatmap = detection.run_live(
            frame, 0.25, 0.45, "yolov8n.pt", stream, False, zone
        )
    assert len(stream.counting.timeline) == 2  # started again with the zone
    table = stream.counting.table()
    assert table[table["class"] == "bus"]["inside now"].tolist() == [1]
    assert open(detection.counts_csv(stream), encoding="utf-8-sig").read().startswith("shape,kind,class")
    with pytest.raises(Exception, match="Nothing counted yet"):
        detection.counts_csv(None)
    bad = detection.run_live(frame, 0.25, 0.45, "yolov8n.pt", stream, False, "[1]")
    assert bad[1] == "Shape 1 is not an object with a name, a kind and points." and bad[2] is stream


def examples_photo():
    from PIL import Image

    return Image.open(examples.bus()).convert("RGB")
