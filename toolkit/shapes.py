"""The lines and zones a visitor draws on a frame to count objects at: read from their JSON (what the
page keeps and the API takes), checked, drawn over a frame, and edited a click at a time.

The JSON: {"size": [width, height], "shapes": [{"name": "Door", "kind": "line", "points": [[x, y],
...]}, ...]}, points in pixels of a frame of that size (the frame they were drawn on); without
"size", in pixels of the video's frames. Frames of another size see the shapes scaled to theirs.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import cv2
import numpy as np
import supervision as sv

from i18n import N_, Text
from models.errors import ShowcaseError
from toolkit import drawing
from toolkit.messages import message

LINE = N_("line")
ZONE = N_("zone")
KINDS = (LINE, ZONE)
MAX_SHAPES = 16
MAX_POINTS = 32  # a zone's corners
MAX_NAME = 40
MAX_JSON_CHARS = 20_000
# Where on an object's box it is counted: its centre crosses a line, and is inside a zone.
ANCHOR = sv.Position.CENTER
# Colours by shape, in order (RGB): lines warm, zones cool, none of them the classes' box colours.
LINE_COLOURS = [(255, 196, 0), (255, 90, 90), (255, 140, 0), (230, 80, 200)]
ZONE_COLOURS = [(0, 200, 255), (80, 220, 120), (150, 120, 255), (0, 160, 160)]


@dataclass(frozen=True)
class Shape:
    name: str
    kind: str  # LINE or ZONE
    points: np.ndarray  # [n, 2] float, in pixels of the frame the shapes were drawn on

    def to_json(self) -> dict:
        return {"name": self.name, "kind": self.kind, "points": [[round(x, 1), round(y, 1)] for x, y in self.points]}


@dataclass(frozen=True)
class Shapes:
    """A visitor's lines and zones, and the size (width, height) of the frame they were drawn on
    (None: in pixels of whatever frame they meet)."""

    items: tuple[Shape, ...] = ()
    size: tuple[int, int] | None = None

    def __bool__(self) -> bool:
        return bool(self.items)

    @property
    def lines(self) -> list[Shape]:
        return [shape for shape in self.items if shape.kind == LINE]

    @property
    def zones(self) -> list[Shape]:
        return [shape for shape in self.items if shape.kind == ZONE]

    def to_json(self) -> str:
        return json.dumps(
            {"size": list(self.size) if self.size else None, "shapes": [shape.to_json() for shape in self.items]},
            ensure_ascii=False,
        )

    def scale_to(self, size: tuple[int, int]) -> np.ndarray:
        """Multipliers (x, y) from these shapes' pixels to those of a frame of `size`."""
        if self.size is None:
            return np.ones(2)
        return np.asarray(size, dtype=float) / np.asarray(self.size, dtype=float)

    def checked_against(self, size: tuple[int, int]) -> Shapes:
        """The shapes for frames of `size` (width, height), if each reaches into the frame: zones cut
        to it (a zone's mask is as large as its farthest corner), and the size set if it was not;
        otherwise a message naming the first that lies wholly outside. Run once per clip or stream."""
        width, height = self.size or size
        items = []
        for shape in self.items:
            x, y = shape.points[:, 0], shape.points[:, 1]
            if shape.kind == ZONE:
                outside = x.max() <= 0 or y.max() <= 0 or x.min() >= width or y.min() >= height
            else:  # a line outside the frame on one side: no object can cross it
                outside = (x <= 0).all() or (y <= 0).all() or (x >= width).all() or (y >= height).all()
            if outside:
                raise ShowcaseError(
                    "The {kind} '{name}' lies outside the frame ({width}x{height} pixels); draw it on the frame.",
                    kind=Text(shape.kind),
                    name=shape.name,
                    width=width,
                    height=height,
                )
            if shape.kind == ZONE:
                shape = Shape(shape.name, ZONE, np.clip(shape.points, 0, [width, height]))
            items.append(shape)
        return Shapes(tuple(items), (width, height))


def _number(value) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not np.isfinite(value):
        raise ValueError(value)
    return float(value)


def read(text: str | None) -> Shapes:
    """The shapes in their JSON (empty text: none), each checked: a specific message for the first
    thing wrong."""
    if text is None or not str(text).strip():
        return Shapes()
    text = str(text)
    if len(text) > MAX_JSON_CHARS:
        raise ShowcaseError(
            "The shapes' JSON is {count:,} characters; the limit is {limit:,}.", count=len(text), limit=MAX_JSON_CHARS
        )
    try:
        data = json.loads(text)
    except (json.JSONDecodeError, RecursionError) as error:  # "[[[[...": nested past Python's stack
        raise ShowcaseError("The shapes are not valid JSON: {error}.", error=str(error)) from None
    if isinstance(data, list):
        data = {"shapes": data}
    if not isinstance(data, dict) or not isinstance(data.get("shapes", []), list):
        raise ShowcaseError(
            'The shapes\' JSON must be {{"size": [width, height], "shapes": [...]}} or a list of shapes.'
        )
    size = data.get("size")
    if size is not None:
        try:
            size = tuple(int(_number(v)) for v in size)
        except (TypeError, ValueError):
            size = ()
        if len(size) != 2 or min(size) < 1:
            raise ShowcaseError(
                '"size" must be the frame\'s [width, height] in pixels, got {size}.', size=data.get("size")
            )
    raw = data.get("shapes", [])
    if len(raw) > MAX_SHAPES:
        raise ShowcaseError(
            "At most {limit} lines and zones can be counted at once; got {count}.", limit=MAX_SHAPES, count=len(raw)
        )
    items, names = [], set()
    for index, entry in enumerate(raw, 1):
        if not isinstance(entry, dict):
            raise ShowcaseError("Shape {index} is not an object with a name, a kind and points.", index=index)
        kind = entry.get("kind")
        if kind not in KINDS:
            raise ShowcaseError(
                "Shape {index} is a '{kind}'; a shape is a line or a zone.", index=index, kind=str(kind)
            )
        name = str(entry.get("name") or f"{kind} {index}").strip()[:MAX_NAME]
        if name in names:
            raise ShowcaseError("Two shapes are named '{name}'; give each its own name.", name=name)
        names.add(name)
        try:
            points = np.array([[_number(x), _number(y)] for x, y in entry.get("points") or []], dtype=float)
        except (TypeError, ValueError):
            raise ShowcaseError("The points of '{name}' must be [x, y] pairs of numbers.", name=name) from None
        items.append(Shape(name, kind, checked_points(name, kind, points)))
    return Shapes(tuple(items), size)


def checked_points(name: str, kind: str, points: np.ndarray) -> np.ndarray:
    if kind == LINE:
        if len(points) != 2:
            raise ShowcaseError("The line '{name}' has {count} points; a line has 2.", name=name, count=len(points))
        if np.allclose(points[0], points[1]):
            raise ShowcaseError("The line '{name}' has zero length: its two points are the same.", name=name)
        return points
    if len(points) < 3:
        raise ShowcaseError(
            "The zone '{name}' has {count} points; a zone needs at least 3.", name=name, count=len(points)
        )
    if len(points) > MAX_POINTS:
        raise ShowcaseError(
            "The zone '{name}' has {count} points; the limit is {limit}.",
            name=name,
            count=len(points),
            limit=MAX_POINTS,
        )
    if cv2.contourArea(np.clip(points, -1e7, 1e7).astype(np.float32)) < 1:  # float32 holds no 1e300
        raise ShowcaseError("The zone '{name}' encloses no area: its points lie on one line.", name=name)
    return points


def in_side(points: np.ndarray) -> np.ndarray:
    """A unit vector across a line (its two points) towards the side objects cross to when counted
    'in': supervision's left of the line walked from its first point to its second (y grows
    downwards)."""
    (x1, y1), (x2, y2) = np.asarray(points, dtype=float)
    normal = np.array([y2 - y1, x1 - x2])
    return normal / np.linalg.norm(normal)


def draw(
    image: np.ndarray, shapes: Shapes, pending: list | None = None, labels: dict[str, str] | None = None
) -> np.ndarray:
    """The RGB frame with each shape drawn (zones filled lightly, lines with an arrow to their 'in'
    side) and named, optionally with a count after its name; `pending`: the points of a shape being
    drawn, as dots."""
    height, width = image.shape[:2]
    scale = shapes.scale_to((width, height))
    thickness = max(2, round((width + height) / 500))
    canvas = image.copy()
    fill = image.copy()
    # Far-off points drawn at ten frames away: their direction is what shows, and they fit in int32.
    reach = 10 * max(width, height)
    anchors, names, colours = [], [], []
    for index, shape in enumerate(shapes.items):
        points = np.round(np.clip(shape.points * scale, -reach, reach)).astype(np.int32)
        if shape.kind == ZONE:
            colour = ZONE_COLOURS[index % len(ZONE_COLOURS)]
            cv2.fillPoly(fill, [points], colour)
            cv2.polylines(canvas, [points], True, colour, thickness, cv2.LINE_AA)
            anchor = points.mean(axis=0)
        else:
            colour = LINE_COLOURS[index % len(LINE_COLOURS)]
            cv2.line(canvas, tuple(points[0]), tuple(points[1]), colour, thickness, cv2.LINE_AA)
            middle = points.mean(axis=0)
            tip = middle + in_side(points) * 20 * thickness
            cv2.arrowedLine(
                canvas,
                tuple(np.round(middle).astype(int)),
                tuple(np.round(tip).astype(int)),
                colour,
                thickness,
                cv2.LINE_AA,
                tipLength=0.35,
            )
            anchor = points[0].astype(float)  # the name at its start, clear of the arrow
        anchors.append(anchor)
        colours.append(colour)
        names.append(shape.name + (f": {labels[shape.name]}" if labels and shape.name in labels else ""))
    canvas = cv2.addWeighted(fill, 0.25, canvas, 0.75, 0) if shapes.zones else canvas
    for point in pending or []:
        centre = tuple(np.round(np.asarray(point) * scale).astype(int))
        cv2.circle(canvas, centre, thickness * 3, (255, 255, 255), -1, cv2.LINE_AA)
        cv2.circle(canvas, centre, thickness * 3, (0, 0, 0), 1, cv2.LINE_AA)
    if not names:
        return canvas
    boxes = np.array([[x - 1, y - 1, x + 1, y + 1] for x, y in anchors], dtype=np.float32)
    objects = sv.Detections(xyxy=boxes, class_id=np.arange(len(names)))
    return drawing.labelled(cv2.cvtColor(canvas, cv2.COLOR_RGB2BGR), objects, names, tuple(colours))


def named(drawn: Shapes, kind: str, name: str | None) -> str:
    """The name for the next shape: the visitor's, else "Line 2", "Zone 1"... in their language;
    made unique with a number."""
    typed = (name or "").strip()[:MAX_NAME]
    taken = {shape.name for shape in drawn.items}
    if typed and typed not in taken:
        return typed
    base = typed or (message("Line") if kind == LINE else message("Zone"))
    number = 1 + sum(shape.kind == kind for shape in drawn.items)
    while f"{base} {number}" in taken:
        number += 1
    return f"{base} {number}"


def added(drawn: Shapes, shape: Shape, size: tuple[int, int]) -> Shapes:
    if len(drawn.items) >= MAX_SHAPES:
        raise ShowcaseError(
            "At most {limit} lines and zones can be counted at once; got {count}.",
            limit=MAX_SHAPES,
            count=MAX_SHAPES + 1,
        )
    return Shapes((*drawn.items, shape), drawn.size or size)


def with_click(
    drawn: Shapes, pending: list, kind: str, name: str | None, point, size: tuple[int, int]
) -> tuple[Shapes, list]:
    """A click at `point` on a frame of `size` (width, height): it joins the shape being drawn; a
    line's second click ends the line. Returns the shapes and the points still pending, in the
    shapes' pixels."""
    x, y = np.asarray(point, dtype=float) / drawn.scale_to(size)
    pending = [*pending, [x, y]]
    if kind != LINE or len(pending) < 2:
        return drawn, pending
    line_name = named(drawn, LINE, name)
    return added(drawn, Shape(line_name, LINE, checked_points(line_name, LINE, np.array(pending))), size), []


def with_zone_closed(drawn: Shapes, pending: list, name: str | None, size: tuple[int, int]) -> Shapes:
    """The pending points made a zone."""
    zone_name = named(drawn, ZONE, name)
    return added(
        drawn,
        Shape(zone_name, ZONE, checked_points(zone_name, ZONE, np.array(pending, dtype=float).reshape(-1, 2))),
        size,
    )


def without_last(drawn: Shapes, pending: list) -> tuple[Shapes, list]:
    """Undo: the last pending point goes, else the last shape."""
    if pending:
        return drawn, pending[:-1]
    return Shapes(drawn.items[:-1], drawn.size if len(drawn.items) > 1 else None), []
