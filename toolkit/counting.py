"""Objects followed across the frames of a stream or clip and counted at a visitor's lines and zones.

Tracking is Ultralytics' ByteTrack, fed the detections the model layer gives (so it runs wherever the
model does, Ray Serve included); line crossings and zone membership are supervision's LineZone and
PolygonZone; trails and the heatmap its TraceAnnotator and HeatMapAnnotator. One Counting per
stream or clip: it holds that stream's tracks and counts.
"""

from __future__ import annotations

import collections
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np
import pandas as pd
import supervision as sv

from i18n import N_
from models.yolo import Detections
from toolkit import drawing, shapes
from toolkit.messages import message

TRACKER = "bytetrack.yaml"  # Ultralytics' own settings file
TRAIL_FRAMES = 30
# The chart over time keeps at most this many points per series.
CHART_STEPS = 200

# Column titles of the counts table and CSV: English here, in the visitor's language on screen.
SHAPE = N_("shape")
KIND = N_("kind")
CLASS = N_("class")
CROSSED_IN = N_("in")
CROSSED_OUT = N_("out")
INSIDE_NOW = N_("inside now")
ENTERED = N_("entered")
DWELL_MEDIAN = N_("dwell median (s)")
DWELL_LONGEST = N_("dwell longest (s)")
COLUMNS = [SHAPE, KIND, CLASS, CROSSED_IN, CROSSED_OUT, INSIDE_NOW, ENTERED, DWELL_MEDIAN, DWELL_LONGEST]


def tracker():
    """A fresh ByteTrack tracker with Ultralytics' settings."""
    from ultralytics.trackers.byte_tracker import BYTETracker
    from ultralytics.utils import YAML, IterableSimpleNamespace
    from ultralytics.utils.checks import check_yaml

    return BYTETracker(IterableSimpleNamespace(**YAML.load(check_yaml(TRACKER))))


@dataclass
class Tracked:
    """One frame's detections, each with its track id (None: not followed yet), and those followed
    as supervision's detections (in the frame's pixels)."""

    found: Detections
    ids: list[int | None]
    objects: sv.Detections


@dataclass
class ZoneTally:
    inside: dict[int, bool] = field(default_factory=dict)  # track id -> inside at its last sighting
    entered: collections.Counter = field(default_factory=collections.Counter)  # class id -> entries
    dwell: dict[int, float] = field(default_factory=lambda: collections.defaultdict(float))  # track id -> seconds
    now: collections.Counter = field(default_factory=collections.Counter)  # class id -> inside this frame


class Counting:
    """Tracks and counts for one stream or clip. `shapes` in their own pixels; each frame's boxes
    are scaled to them, so a stream whose frame size changes keeps counting."""

    def __init__(self, drawn: shapes.Shapes, class_names: list[str]) -> None:
        self.shapes = drawn
        self.names = class_names  # as shown, by class id
        self.tracker = tracker()
        self.lines = {
            line.name: sv.LineZone(
                sv.Point(*line.points[0]), sv.Point(*line.points[1]), triggering_anchors=[shapes.ANCHOR]
            )
            for line in drawn.lines
        }
        self.zones: dict[str, sv.PolygonZone] = {}  # made with the first frame, cut to its size
        self.tallies = {zone.name: ZoneTally() for zone in drawn.zones}
        self.track_class: dict[int, int] = {}  # track id -> its class at its last sighting: every id followed
        self.trails = sv.TraceAnnotator(trace_length=TRAIL_FRAMES, position=shapes.ANCHOR)
        self.heat: sv.HeatMapAnnotator | None = None
        self.heat_mask: np.ndarray | None = None
        self.last_frame: np.ndarray | None = None
        self.timeline: list[tuple[float, dict[str, int]]] = []

    def track(self, found: Detections, frame: np.ndarray) -> Tracked:
        """The frame's detections with their track ids."""
        from ultralytics.engine.results import Boxes

        height, width = frame.shape[:2]
        rows = np.column_stack(
            [
                np.asarray(found.boxes, dtype=np.float32).reshape(-1, 4),
                np.asarray(found.confidences, dtype=np.float32),
                np.asarray(found.class_ids, dtype=np.float32),
            ]
        )
        followed = self.tracker.update(Boxes(rows, (height, width)))
        ids: list[int | None] = [None] * len(found.class_ids)
        for row in followed:  # [x1, y1, x2, y2, track id, score, class, index of the detection]
            ids[int(row[-1])] = int(row[4])
        return Tracked(found, ids, followed_objects(found, ids))

    def class_names(self, found: Detections) -> list[str]:
        """Each object's class, as shown."""
        return [self.names[class_id] for class_id in found.class_ids]

    def add(self, tracked: Tracked, frame: np.ndarray, second: float, frame_s: float) -> None:
        """Counts one frame (RGB, at `second` of the stream, lasting `frame_s`)."""
        height, width = frame.shape[:2]
        if not self.timeline:  # the first frame
            self.shapes = self.shapes.checked_against((width, height))
            self.zones = {
                zone.name: sv.PolygonZone(np.round(zone.points).astype(int), triggering_anchors=[shapes.ANCHOR])
                for zone in self.shapes.zones
            }
            self.heat = sv.HeatMapAnnotator(position=shapes.ANCHOR, radius=max(8, width // 40), kernel_size=25)
        objects = tracked.objects
        in_shape_pixels = sv.Detections(
            xyxy=objects.xyxy / np.tile(self.shapes.scale_to((width, height)), 2),
            class_id=objects.class_id,
            tracker_id=objects.tracker_id,
        )
        for line in self.lines.values():
            line.trigger(in_shape_pixels)
        for name, zone in self.zones.items():
            self.tally(self.tallies[name], zone.trigger(in_shape_pixels), in_shape_pixels, frame_s)
        for track_id, class_id in zip(objects.tracker_id, objects.class_id):
            self.track_class[int(track_id)] = int(class_id)
        self.add_heat(objects, (height, width))
        self.last_frame = frame
        self.timeline.append((second, self.totals()))

    def add_heat(self, objects: sv.Detections, shape: tuple[int, int]) -> None:
        """Each object's spot added to the heat, as HeatMapAnnotator.annotate adds it, without drawing
        the heatmap (which costs more than the rest of counting a frame; bench/RESULTS.md, section 14):
        it is drawn when shown. A new frame size starts the heat again."""
        if self.heat_mask is None or self.heat_mask.shape != shape:
            self.heat_mask = np.zeros(shape, dtype=np.float32)
        spots = np.zeros(shape, dtype=np.float32)
        for x, y in objects.get_anchors_coordinates(shapes.ANCHOR):
            cv2.circle(spots, (int(x), int(y)), self.heat.radius, (1,), thickness=-1)
        self.heat_mask += spots

    @staticmethod
    def tally(tally: ZoneTally, inside: np.ndarray, objects: sv.Detections, frame_s: float) -> None:
        tally.now = collections.Counter()
        for is_inside, track_id, class_id in zip(inside, objects.tracker_id, objects.class_id):
            track_id = int(track_id)
            if is_inside:
                if not tally.inside.get(track_id, False):
                    tally.entered[int(class_id)] += 1
                tally.dwell[track_id] += frame_s
                tally.now[int(class_id)] += 1
            tally.inside[track_id] = bool(is_inside)

    @property
    def followed(self) -> list[int]:
        """The ids of every object followed so far."""
        return list(self.track_class)

    def totals(self) -> dict[str, int]:
        """Each series of the chart now: per line, in and out so far; per zone, objects inside."""
        series = {}
        for name, line in self.lines.items():
            series[f"{name} · {message('in')}"] = line.in_count
            series[f"{name} · {message('out')}"] = line.out_count
        for name, tally in self.tallies.items():
            series[f"{name} · {message('inside now')}"] = sum(tally.now.values())
        return series

    def labels(self) -> dict[str, str]:
        """The count written beside each shape's name on the picture."""
        labels = {
            name: message("in {crossed_in}, out {crossed_out}", crossed_in=line.in_count, crossed_out=line.out_count)
            for name, line in self.lines.items()
        }
        labels.update({name: str(sum(tally.now.values())) for name, tally in self.tallies.items()})
        return labels

    def draw(self, image: np.ndarray, tracked: Tracked) -> np.ndarray:
        """The frame with the shapes and their counts, each object's trail, box, id and class."""
        canvas = shapes.draw(image, self.shapes, labels=self.labels()) if self.shapes else image
        if len(tracked.objects):
            canvas = cv2.cvtColor(
                self.trails.annotate(cv2.cvtColor(canvas, cv2.COLOR_RGB2BGR), tracked.objects), cv2.COLOR_BGR2RGB
            )
        return drawing.draw(canvas, tracked.found, self.names, ids=tracked.ids)

    def table(self) -> pd.DataFrame:
        """A row per line or zone and class seen there: crossings in and out; inside now, entries and
        dwell times (median and longest, seconds)."""
        rows = []
        for name, line in self.lines.items():
            ins, outs = line.in_count_per_class, line.out_count_per_class
            for class_id in sorted(set(ins) | set(outs)):
                rows.append(
                    {
                        SHAPE: name,
                        KIND: message(shapes.LINE),
                        CLASS: self.names[class_id],
                        CROSSED_IN: ins.get(class_id, 0),
                        CROSSED_OUT: outs.get(class_id, 0),
                    }
                )
        for name, tally in self.tallies.items():
            dwell_by_class = collections.defaultdict(list)
            for track_id, seconds in tally.dwell.items():
                dwell_by_class[self.track_class.get(track_id)].append(seconds)
            for class_id in sorted(set(tally.entered) | set(tally.now)):
                dwell = dwell_by_class.get(class_id, [0.0])
                rows.append(
                    {
                        SHAPE: name,
                        KIND: message(shapes.ZONE),
                        CLASS: self.names[class_id],
                        INSIDE_NOW: tally.now.get(class_id, 0),
                        ENTERED: tally.entered.get(class_id, 0),
                        DWELL_MEDIAN: round(float(np.median(dwell)), 1),
                        DWELL_LONGEST: round(max(dwell), 1),
                    }
                )
        return pd.DataFrame(rows, columns=COLUMNS).astype(
            {c: "Int64" for c in (CROSSED_IN, CROSSED_OUT, INSIDE_NOW, ENTERED)}
        )

    def over_time(self) -> pd.DataFrame:
        """(second, series, count) rows for the chart: at most CHART_STEPS per series."""
        if not self.timeline or not self.timeline[-1][1]:
            return pd.DataFrame(columns=["second", "series", "count"])
        step = -(-len(self.timeline) // CHART_STEPS)
        picked = self.timeline[::step] + ([self.timeline[-1]] if (len(self.timeline) - 1) % step else [])
        return pd.DataFrame(
            [
                {"second": round(second, 2), "series": name, "count": count}
                for second, totals in picked
                for name, count in totals.items()
            ]
        )

    def heatmap(self) -> np.ndarray | None:
        """Where objects were, over the last frame."""
        if self.heat is None or self.last_frame is None:
            return None
        self.heat.heat_mask = self.heat_mask.copy()  # drawing adds an empty frame's heat: none
        scene = cv2.cvtColor(self.last_frame, cv2.COLOR_RGB2BGR)
        return cv2.cvtColor(self.heat.annotate(scene, sv.Detections.empty()), cv2.COLOR_BGR2RGB)


def write_csv(table: pd.DataFrame, folder: Path) -> str:
    """A counts table as counts.csv in the folder (UTF-8 with a BOM, so that Excel reads Chinese);
    returns its path."""
    path = Path(folder) / "counts.csv"
    table.to_csv(path, index=False, encoding="utf-8-sig")
    return str(path)


def followed_objects(found: Detections, ids: list[int | None]) -> sv.Detections:
    """The detections that have a track id, as supervision's."""
    keep = [i for i, track_id in enumerate(ids) if track_id is not None]
    return sv.Detections(
        xyxy=np.asarray(found.boxes, dtype=np.float32).reshape(-1, 4)[keep],
        confidence=np.asarray(found.confidences, dtype=np.float32)[keep],
        class_id=np.asarray(found.class_ids, dtype=int)[keep],
        tracker_id=np.asarray([ids[i] for i in keep], dtype=int),
    )
