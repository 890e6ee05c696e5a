"""Example inputs for the tabs.

Photos come from packages the app already installs (Ultralytics and Gradio ship a few), so the
repository carries no third-party images; each path is looked up where the package put it.
"""

from importlib.util import find_spec
from pathlib import Path

# 40 short reviews of films, hotels and products per language (in Chinese: 好评 / 差评), written for this
# project: the fine-tuning tab's built-in examples.
REVIEWS = {
    "en": Path(__file__).resolve().parent / "reviews.csv",
    "zh": Path(__file__).resolve().parent / "reviews_zh.csv",
}


def _package_file(package: str, *parts: str) -> str:
    """A file shipped inside an installed package, found without importing the package (start-up)."""
    return str(Path(find_spec(package).origin).parent.joinpath(*parts))


def _ultralytics_asset(name: str) -> str:
    return _package_file("ultralytics", "assets", name)


def _gradio_image(name: str) -> str:
    return _package_file("gradio", "media_assets", "images", name)


def bus() -> str:
    return _ultralytics_asset("bus.jpg")


def zidane() -> str:
    return _ultralytics_asset("zidane.jpg")


def cheetah() -> str:
    return _gradio_image("cheetah1.jpg")


def lion() -> str:
    return _gradio_image("lion.jpg")


def tower() -> str:
    return _gradio_image("tower.jpg")


def photos() -> list[str]:
    """Every photo the project ships as an example: what INT8 quantization calibrates on (never a
    visitor's upload)."""
    return [bus(), zidane(), cheetah(), lion(), tower()]


def sentences(language: str) -> list[str]:
    """The reviews written for this project in a language (English if it has none): what INT8
    quantization of a text model calibrates on."""
    import csv

    with open(REVIEWS.get(language, REVIEWS["en"]), newline="", encoding="utf-8") as table:
        return [row["text"] for row in csv.DictReader(table)]


CLIP_SIZE = (640, 480)


def _panned(photo: str, frames: int, span: tuple[float, float] = (0.0, 1.0)) -> list:
    """A 4:3 window gliding across the photo over `span` of the way, as frames of CLIP_SIZE (BGR)."""
    import cv2

    image = cv2.imread(photo)
    height, width = image.shape[:2]
    crop_w, crop_h = min(width, height * 4 // 3), min(height, width * 3 // 4)
    clips = []
    for i in range(frames):
        along = span[0] + (span[1] - span[0]) * i / (frames - 1)
        top, left = round((height - crop_h) * along), round((width - crop_w) * along)
        clips.append(
            cv2.resize(image[top : top + crop_h, left : left + crop_w], CLIP_SIZE, interpolation=cv2.INTER_AREA)
        )
    return clips


def street_clip(folder: Path | None = None, fps: int = 10) -> str:
    """A 4-second WebM made from two packaged photos (the bus, then Zidane), so that the video
    example ships no third-party clip; written once into the app's cache."""
    if folder is None:
        from models.runtime import cache_dir

        folder = cache_dir() / "examples"
    path = Path(folder) / f"street-{fps}fps.webm"
    if not path.is_file():
        import cv2

        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(".part.webm")
        writer = cv2.VideoWriter(str(partial), cv2.VideoWriter_fourcc(*"VP80"), fps, CLIP_SIZE)
        for frame in _panned(bus(), 2 * fps, (0.35, 0.55)) + _panned(zidane(), 2 * fps):
            writer.write(frame)
        writer.release()
        partial.replace(path)  # complete or absent, even if two processes write it at once
    return str(path)


# The counting example: the man at the left of the bus photo (his box there, x1, y1, x2, y2) cut out
# twice, once mirrored, walking along known paths over a plain background, so that what crosses and
# stays is known.
COUNTING_FPS = 10
COUNTING_FRAMES = 60
_WALKER = (49, 399, 245, 903)
_WALKER_HEIGHT = 170


def counting_path(walker: str, frame: int) -> tuple[float, float]:
    """Where a walker's centre is in a frame of the counting clip: the first walks right along the
    top, across the middle; the second walks left along the bottom, then stands still."""
    if walker == "left":
        return 90 + 460 * frame / (COUNTING_FRAMES - 1), 120.0
    return 555 - 420 * min(frame, 40) / 40, 360.0


# The lines and zones the counting example comes with, and what they count on it (tests check it):
# the door is crossed once each way (in: left to right), the corner entered once and stood in.
COUNTING_SHAPES = {
    "size": list(CLIP_SIZE),
    "shapes": [
        {"name": "Door", "kind": "line", "points": [[320, 20], [320, 460]]},
        {"name": "Corner", "kind": "zone", "points": [[10, 250], [225, 250], [225, 470], [10, 470]]},
    ],
}


def counting_clip(folder: Path | None = None) -> str:
    """A 6-second WebM of two people walking known paths (counting_path), written once into the app's
    cache."""
    if folder is None:
        from models.runtime import cache_dir

        folder = cache_dir() / "examples"
    path = Path(folder) / "counting.webm"
    if not path.is_file():
        import cv2
        import numpy as np

        photo = cv2.imread(bus())
        x1, y1, x2, y2 = _WALKER
        width = round((x2 - x1) * _WALKER_HEIGHT / (y2 - y1))
        walker = cv2.resize(photo[y1:y2, x1:x2], (width, _WALKER_HEIGHT), interpolation=cv2.INTER_AREA)
        walkers = {"left": walker, "right": walker[:, ::-1]}
        # A floor darker towards the bottom, the same in every frame.
        ramp = np.linspace(200, 120, CLIP_SIZE[1], dtype=np.float32)[:, None, None]
        floor = np.broadcast_to(ramp * np.array([1.0, 0.97, 0.92], np.float32), (*CLIP_SIZE[::-1], 3)).astype(np.uint8)
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(".part.webm")
        writer = cv2.VideoWriter(str(partial), cv2.VideoWriter_fourcc(*"VP80"), COUNTING_FPS, CLIP_SIZE)
        for frame in range(COUNTING_FRAMES):
            canvas = floor.copy()
            for name, patch in walkers.items():
                x, y = counting_path(name, frame)
                top, left = round(y - patch.shape[0] / 2), round(x - patch.shape[1] / 2)
                canvas[top : top + patch.shape[0], left : left + patch.shape[1]] = patch
            writer.write(canvas)
        writer.release()
        partial.replace(path)
    return str(path)
