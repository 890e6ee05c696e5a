"""Model Showcase: one Gradio app with a tab per task in tasks/."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

import gradio as gr  # noqa: E402

import tasks  # noqa: E402
from models.device import pick_device  # noqa: E402
from models.errors import ModelUnavailable  # noqa: E402

log = logging.getLogger("showcase")

# Uploads above this are refused by the server before any task sees them.
MAX_UPLOAD = "25mb"
CSS = """
.showcase-header {text-align: center; margin-bottom: 0.5rem}
.showcase-header p {opacity: 0.8}
"""


def header() -> str:
    device = pick_device()
    where = f"GPU ({device}, half precision)" if device.type == "cuda" else "CPU (float32)"
    return (
        "<div class='showcase-header'><h1>🔭 Model Showcase</h1>"
        "<p>Try today's pretrained models in your browser, one tab per task: YOLO, ResNet and CLIP "
        "for images; GPT-2, BERT and sentence embeddings for text; and training your own classifiers on "
        f"top of them. Models load on first use and stay loaded. Running on {where}.</p></div>"
    )


def build_app() -> gr.Blocks:
    with gr.Blocks(title="Model Showcase") as demo:
        gr.HTML(header())
        with gr.Tabs():
            for section, members in tasks.by_section():
                with gr.Tab(section, elem_id=f"section-{section.lower()}"):
                    with gr.Tabs():
                        for task in members:
                            with gr.Tab(task.title, elem_id=f"task-{task.key}"):
                                task.build_ui()
    # Model work is CPU- or GPU-bound: two requests per endpoint at a time keeps latency predictable.
    demo.queue(default_concurrency_limit=2)
    return demo


def example_folders() -> list[str]:
    """Folders of the packaged example photos, which Gradio must be allowed to serve."""
    import examples

    packaged = {str(Path(f()).parent) for f in (examples.bus, examples.cheetah)}
    return sorted(packaged | {str(Path(examples.__file__).parent)})


def preload_all() -> None:
    for task in tasks.registered():
        try:
            task.warm()
        except ModelUnavailable as error:
            log.warning("%s: %s", task.title, error)


def launch(demo: gr.Blocks, host: str, port: int, share: bool = False, **kwargs):
    return demo.launch(
        server_name=host,
        server_port=port,
        share=share,
        max_file_size=MAX_UPLOAD,
        allowed_paths=example_folders(),
        theme=gr.themes.Soft(primary_hue="indigo"),
        css=CSS,
        **kwargs,
    )


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Model Showcase: try pretrained models in the browser.")
    # Hugging Face Spaces sets GRADIO_SERVER_NAME=0.0.0.0; elsewhere the default is this machine only.
    host = os.environ.get("GRADIO_SERVER_NAME", "127.0.0.1")
    parser.add_argument("--host", default=host, help=f"address to listen on (default {host})")
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", 7860)), help="port (default 7860)")
    parser.add_argument("--share", action="store_true", help="also open a public gradio.live link (off by default)")
    parser.add_argument("--preload", action="store_true", help="load every default model at start instead of on first use")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    args = parse_args(argv)
    try:
        tasks.registered()
    except tasks.TaskContractError as error:
        sys.exit(str(error))
    # A Space is public on purpose (SPACE_ID is set there); anywhere else, say so.
    if args.host not in ("127.0.0.1", "localhost", "::1") and not os.environ.get("SPACE_ID"):
        print(
            f"WARNING: listening on {args.host}: the dashboard is reachable from the network by anyone "
            "who can reach this machine.",
            file=sys.stderr,
        )
    if args.preload:
        preload_all()
    launch(build_app(), args.host, args.port, args.share)


if __name__ == "__main__":
    main()
