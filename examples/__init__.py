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
