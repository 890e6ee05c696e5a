"""Example inputs for the tabs.

Photos come from packages the app already installs (Ultralytics and Gradio ship a few), so the
repository carries no third-party images; each path is looked up where the package put it.
"""

from importlib.util import find_spec
from pathlib import Path

REVIEWS = Path(__file__).resolve().parent / "reviews.csv"


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
