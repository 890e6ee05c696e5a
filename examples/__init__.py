"""Example inputs for the tabs.

Photos come from packages the app already installs (Ultralytics and Gradio ship a few), so the
repository carries no third-party images; each path is looked up where the package put it.
"""

from pathlib import Path


def _ultralytics_asset(name: str) -> str:
    from ultralytics.utils import ASSETS

    return str(Path(ASSETS) / name)


def _gradio_image(name: str) -> str:
    import gradio as gr

    return str(Path(gr.media.MEDIA_ROOT) / "images" / name)


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
