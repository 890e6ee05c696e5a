"""Model Showcase: one Gradio app with a tab per task in tasks/."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import ctypes
import importlib.util
import logging
import os
import sys
import tempfile
import threading
from pathlib import Path
from typing import Any

PERSISTENT_STORAGE = "/data"  # where a Space's persistent storage is mounted, when it has some


def use_persistent_storage(root: str = PERSISTENT_STORAGE) -> None:
    """Downloads and conversions go to persistent storage when there is some, so that they survive
    restarts; variables already set win."""
    if os.path.isdir(root) and os.access(root, os.W_OK):
        os.environ.setdefault("TORCH_HOME", f"{root}/torch")  # torchvision's ResNet weights
        os.environ.setdefault("SHOWCASE_MODEL_DIR", f"{root}/ultralytics")  # YOLO weights
        os.environ.setdefault("SHOWCASE_CACHE", f"{root}/model-showcase")  # OpenVINO conversions, label embeddings


use_persistent_storage()

if importlib.util.find_spec("spaces"):
    # Hugging Face's Spaces package: first, before torch loads, as ZeroGPU requires (it patches CUDA).
    import spaces  # noqa: F401

# No third-party telemetry unless the user turns it on (Ultralytics': models/yolo.py).
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
# Gradio's cache (uploads, results) in a folder of the app's own, not the /tmp/gradio every Gradio app
# shares: the app's sweeper deletes every old file in it (housekeeping).
os.environ.setdefault("GRADIO_TEMP_DIR", os.path.join(tempfile.gettempdir(), "gradio-showcase"))

import gradio as gr  # noqa: E402
import torch  # noqa: E402
from starlette.middleware import Middleware  # noqa: E402

import models  # noqa: E402
import tasks  # noqa: E402
from i18n import N_  # noqa: E402
from models import runtime  # noqa: E402
from models.device import on_zero_gpu, pick_device, unusable_gpu  # noqa: E402
from models.errors import ModelUnavailable  # noqa: E402
from toolkit import gradio_internals, interface, request_limits, runtime_ledger, sharing, ui  # noqa: E402
from toolkit.interface import t  # noqa: E402
from toolkit.messages import message, visitor_language  # noqa: E402

log = logging.getLogger("showcase")

# Uploads above this are refused by the server before any task sees them.
MAX_UPLOAD = "25mb"
# Files in Gradio's cache (uploads, results to download) are kept this long, swept this often: long
# enough to download a result after a demo, short enough that a day of visitors leaves no pile.
CACHE_AGE_S = float(os.environ.get("SHOWCASE_FILES_MINUTES", 30)) * 60
SWEEP_EVERY_S = min(60, CACHE_AGE_S / 2)
# Gradio keeps this many sessions in memory, the most recently active (each holds a copy of every
# component's settings, and a visitor's page, API client or Stop storm is one each); its default of
# 10,000 lets a busy day grow the server by gigabytes.
SESSIONS_KEPT = 1000
CSS = """
.showcase-header {align-items: center}
.showcase-header h1 {margin-bottom: 0}
.showcase-where p {opacity: 0.7; font-size: 0.9em}
"""
INTRODUCTION = N_(
    "Try today's pretrained models in your browser, one tab per task: YOLO, ResNet and CLIP for images; "
    "GPT-2, BERT and sentence embeddings for text; and training your own classifiers on top of them."
)
# The link that opens the tab on screen (?tab=<its key>), copied to the clipboard where the page may.
COPY_LINK_JS = """() => {
  const panel = [...document.querySelectorAll("[id^=task-]")]
    .find(element => /^task-[a-z_]+$/.test(element.id) && element.offsetParent !== null);
  const url = location.origin + location.pathname + (panel ? "?tab=" + panel.id.slice(5) : "");
  if (navigator.clipboard) navigator.clipboard.writeText(url).catch(() => {});
  return url;
}"""


def where_it_runs() -> str:
    """The line under the title, in the visitor's language: where the models run."""
    device = pick_device()
    if models.backend().name == "ray":
        where = message("Models run on Ray Serve, a deployment per model family; each answer names where it ran.")
    elif device.type == "cuda":
        where = message("Running on GPU ({device}, PyTorch half precision).", device=str(device))
    elif runtime.wanted(device):
        # SHOWCASE_PRECISION's choice (int8, fp32, bf16), else what OpenVINO picks on this CPU.
        precision = runtime.chosen().precision or runtime.default_precision()
        where = message("Running on CPU (OpenVINO {precision}).", precision=precision)
    else:
        where = message("Running on CPU (PyTorch float32).")
    if unusable_gpu():
        where += message(
            " An NVIDIA GPU is attached, but this PyTorch build cannot use it (its CUDA needs a newer driver; "
            "README, Host it on Spaces)."
        )
    return where


def say_still_warming(model_id: str) -> None:
    gr.Info(
        message(
            "{name} is still warming up (loading, and compiling for this machine); your request runs as soon as it "
            "is ready.",
            name=models.label(model_id),
        )
    )


def linked_tab(key: str | None) -> list[str | None]:
    """The section and tab that `?tab=<task key>` opens (`?tab=compare`), or Nones for no such tab."""
    for section, members in tasks.by_section():
        if any(task.key == key for task in members):
            return [section, key]
    return [None, None]


def tabs_showing(key: str | None) -> list[gr.Tabs]:
    """The section and tab updates that show the tab `key` (none change for no such tab)."""
    section, key = linked_tab(key)
    return [gr.Tabs(selected=section) if section else gr.Tabs()] + [
        gr.Tabs(selected=key) if name == section else gr.Tabs() for name, _ in tasks.by_section()
    ]


def open_linked_tab(request: gr.Request):
    """A link with `?tab=<task key>` opens that tab, so a presenter can send "open the comparison"."""
    return tabs_showing(request.query_params.get("tab"))


def greet_in_visitors_language(demo: gr.Blocks) -> Any:
    """When the page opens, the tabs' inputs start in the visitor's language (a Chinese prompt, a
    model that reads it: toolkit.ui.greet), and example tables title their columns in it (Gradio
    shows those untranslated). Returns the event, which a saved result follows (toolkit.sharing)."""
    greetings = ui.take_greetings()
    tables = [block for block in demo.blocks.values() if isinstance(block, gr.Dataset)]

    def greet():
        language = visitor_language()
        values = [value_for(language) for _, value_for in greetings]
        return values + [
            gr.Dataset(headers=[interface.in_language(header, language) for header in table.headers])
            for table in tables
        ]

    return demo.load(greet, None, [component for component, _ in greetings] + tables, api_visibility="private")


def build_app() -> gr.Blocks:
    models.when_waiting(say_still_warming)
    with gr.Blocks(title="Model Showcase") as demo:
        with gr.Row(elem_classes="showcase-header"):
            with gr.Column(scale=5):
                gr.Markdown("# 🔭 Model Showcase")
                gr.Markdown(t(INTRODUCTION))
                where = gr.Markdown(elem_classes="showcase-where")
            with gr.Column(scale=1, min_width=180):
                switch = gr.Radio(
                    list(interface.switch_choices()),
                    value="English",
                    show_label=False,
                    container=False,
                    elem_id="language-switch",
                )
                share = gr.Button(t("Copy a link to this tab"), size="sm", elem_id="copy-link")
                link = gr.Textbox(
                    show_label=False, container=False, interactive=False, visible=False, elem_id="tab-link"
                )
        sharing.begin()
        sharing.build_my_results()
        inner: dict[str, gr.Tabs] = {}
        with gr.Tabs() as sections:
            for section, members in tasks.by_section():
                with gr.Tab(t(section), id=section, elem_id=f"section-{section.lower()}"):
                    with gr.Tabs() as inner[section]:
                        for task in members:
                            with gr.Tab(t(task.title), id=task.key, elem_id=f"task-{task.key}"):
                                task.build_ui()
        runtime_ledger.bind_api()
        demo.load(open_linked_tab, None, [sections, *inner.values()], api_visibility="private")
        demo.load(where_it_runs, None, where, api_visibility="private")
        greeting = greet_in_visitors_language(demo)
        sharing.bind_app(demo, greeting, [sections, *inner.values()], tabs_showing)
        demo.load(None, None, switch, js=interface.restore_js())
        switch.input(None, switch, None, js=interface.switch_js())
        # The page works out the link (the tab on screen) and copies it; the server then shows it.
        share.click(
            lambda url: gr.Textbox(value=url, visible=True), link, link, js=COPY_LINK_JS, api_visibility="private"
        )
    gradio_internals.mend_what_gradio_leaves_untranslated(demo, t("Examples"))
    # Model work is CPU- or GPU-bound: two requests per endpoint at a time keeps latency predictable
    # (on Ray Serve this process only waits for replicas: more).
    demo.queue(default_concurrency_limit=models.requests_at_once(2))
    gradio_internals.name_tools(demo, set(tasks.tools()))
    gradio_internals.mend_lists_of_files_over_mcp()
    gradio_internals.explain_failed_downloads(ui.download_failure)
    gradio_internals.know_the_request_while_inputs_are_prepared()
    return demo


def example_folders() -> list[str]:
    """Folders of the packaged example photos, which Gradio must be allowed to serve."""
    import examples

    packaged = {str(Path(f()).parent) for f in (examples.bus, examples.cheetah, examples.street_clip)}
    return sorted(packaged | {str(Path(examples.__file__).parent)})


def preload_all() -> None:
    """Loads and warms every tab's default models, one after another."""
    for task in tasks.registered():
        try:
            task.warm()
        except ModelUnavailable as error:
            log.warning("%s: %s", task.title, error)
    runtime.return_freed_memory()  # what the warm-ups freed (batches of label prompts, dropped weights)


def serve_on_ray(address: str | None = None, replicas: int | None = None, **options) -> None:
    """Models on Ray Serve from now on; `replicas` per family, over spaces.yaml's."""
    overrides = {family: {"num_replicas": replicas} for family in models.FAMILIES} if replicas else None
    try:
        models.serve_on_ray(address, overrides=overrides, **options)
    except ImportError as error:
        sys.exit(f"--backend ray needs Ray Serve: pip install -r requirements-ray.txt ({error})")


@contextlib.asynccontextmanager
async def housekeeping(server):
    """The server's lifespan (FastAPI's, run beside Gradio's): at start and every SWEEP_EVERY_S,
    what requests left in Gradio's cache over CACHE_AGE_S ago is deleted, and memory that finished
    requests freed is handed back to the system (glibc keeps it for the process otherwise)."""

    async def sweep_forever() -> None:
        while True:
            try:
                await asyncio.to_thread(gradio_internals.sweep_cache, server.get_blocks(), CACHE_AGE_S)
            except Exception:  # the sweeper goes on: a failed sweep is retried, never the end of sweeping
                log.exception("sweeping Gradio's cache failed; trying again in %s s", SWEEP_EVERY_S)
            await asyncio.to_thread(return_freed_memory)
            await asyncio.sleep(SWEEP_EVERY_S)

    sweeping = asyncio.create_task(sweep_forever())
    try:
        yield
    finally:
        sweeping.cancel()


def return_freed_memory() -> None:
    """glibc's malloc_trim: freed memory in its arenas goes back to the system (elsewhere, nothing)."""
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):  # not glibc
        pass


def launch(demo: gr.Blocks, host: str, port: int, share: bool = False, **kwargs):
    return demo.launch(
        server_name=host,
        server_port=port,
        share=share,
        max_file_size=MAX_UPLOAD,
        allowed_paths=example_folders(),
        theme=gr.themes.Soft(primary_hue="indigo"),
        css=CSS,
        i18n=interface.I18N,
        state_session_capacity=SESSIONS_KEPT,
        app_kwargs={
            # What requests leave in Gradio's cache (uploads, results) goes within minutes.
            "lifespan": housekeeping,
            "middleware": [
                Middleware(request_limits.BodyLimit),
                Middleware(interface.EarlyLanguage),
                Middleware(gradio_internals.SettledCancels),
            ],
        },
        **kwargs,
    )


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Model Showcase: try pretrained models in the browser.")
    # Hugging Face Spaces sets GRADIO_SERVER_NAME=0.0.0.0; elsewhere the default is this machine only.
    host = os.environ.get("GRADIO_SERVER_NAME", "127.0.0.1")
    parser.add_argument("--host", default=host, help=f"address to listen on (default {host})")
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", 7860)), help="port (default 7860)")
    parser.add_argument("--share", action="store_true", help="also open a public gradio.live link (off by default)")
    parser.add_argument(
        "--mcp",
        action="store_true",
        help="also serve the inference tabs as MCP tools at /gradio_api/mcp/ (or set GRADIO_MCP_SERVER=true)",
    )
    when = parser.add_mutually_exclusive_group()
    when.add_argument("--preload", action="store_true", help="load every default model before serving the page")
    when.add_argument(
        "--lazy",
        action="store_true",
        help="load each model on its first request (default: load the defaults in the background once the page is up)",
    )
    parser.add_argument(
        "--backend",
        choices=("embedded", "ray"),
        default="embedded",
        help="embedded (default): models run in this process; ray: on Ray Serve, a deployment per model family",
    )
    parser.add_argument(
        "--ray-address",
        default=None,
        metavar="ADDRESS",
        help="with --backend ray: an existing Ray cluster ('auto', 'ray://head:10001'; default: start a local one)",
    )
    parser.add_argument(
        "--replicas",
        type=int,
        default=None,
        metavar="N",
        help="with --backend ray: replicas per model family, over spaces.yaml's serve section",
    )
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
    if unusable_gpu():
        log.warning(
            "an NVIDIA GPU is attached but torch %s cannot use it (built for CUDA %s; the driver is "
            "older?): running on the CPU",
            torch.__version__,
            torch.version.cuda,
        )
    if args.backend == "ray":
        serve_on_ray(args.ray_address, args.replicas)
    demo = build_app()
    if args.preload or on_zero_gpu():  # ZeroGPU moves models to its GPU at start-up, before serving
        preload_all()
    launch(demo, args.host, args.port, args.share, prevent_thread_lock=True, mcp_server=args.mcp or None)
    if not (args.preload or args.lazy or on_zero_gpu()):
        # After the page is up: a visitor can open it at once, and a tab still warming says so.
        threading.Thread(target=preload_all, name="showcase-warm-up", daemon=True).start()
    demo.block_thread()


if __name__ == "__main__":
    main()
