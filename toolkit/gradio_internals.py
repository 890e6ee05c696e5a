"""Every place the dashboard reaches past Gradio's public API, in one module: what a Gradio upgrade
may break, and where to look when one does.

- Translatable text: gr.I18n's I18nData, and the `__i18n__` marker string it becomes inside labels.
- The API description (Blocks.get_api_info: the API page, gradio_client, MCP), which Gradio does not
  translate, and example tables' column titles, which it shows untranslated.
- The request a handler is running for (gradio.context.LocalContext).
- MCP tools: Gradio names each after its function (fn.__name__) and lists every function not
  marked as another kind of MCP object (`_mcp_type`); its server's handling of a list of files
  (GradioMCPServer's schema and argument conversion) is mended here.
- Components' own conversions: an uploaded image handed over as a path, a result image written to
  Gradio's cache.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import tempfile
import time
import uuid
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import gradio as gr
from gradio.context import LocalContext
from gradio.i18n import I18nData

MARKER = "__i18n__"  # how gr.I18n marks translatable text inside a string


def english(value: Any) -> Any:
    """value with every translatable text replaced by its English (the translation key)."""
    if isinstance(value, I18nData):
        return value.key
    if isinstance(value, str) and value.startswith(MARKER):
        return json.loads(value[len(MARKER) :])["key"]
    if isinstance(value, dict):
        return {key: english(item) for key, item in value.items()}
    if isinstance(value, list):
        return [english(item) for item in value]
    return value


def mend_what_gradio_leaves_untranslated(demo: gr.Blocks, examples_title: Any) -> None:
    """Where Gradio shows labels without translating them, they read as English, not as keys (the
    column titles of example tables, and the API description); example tables, which Gradio titles
    "Examples" in English, get `examples_title`."""
    for block in demo.blocks.values():
        if isinstance(block, gr.Dataset):
            block.headers = english(block.headers)
            if block.label is None:
                block.label = examples_title
    api_info = demo.get_api_info
    demo.get_api_info = lambda *args, **kwargs: english(api_info(*args, **kwargs))


def request_headers() -> Mapping[str, str] | None:
    """The headers of the request being handled (Gradio sets it around every handler call and
    stream step); None outside a request."""
    request = LocalContext.request.get(None)
    return getattr(request, "headers", None)


def session_id() -> str | None:
    """The page session of the request being handled (one per open page); None outside one."""
    request = LocalContext.request.get(None)
    return getattr(request, "session_hash", None)


def not_a_tool(fn: Callable) -> Callable:
    """Keeps an endpoint's function out of the MCP tool list: Gradio lists a function as a tool
    unless it is marked as another kind of MCP object."""
    fn._mcp_type = "not a tool"
    return fn


def name_tools(demo: gr.Blocks, tools: set[str]) -> None:
    """Names the MCP tool of each endpoint in `tools` after its API name (`detect`, not the
    handler's `run`); its description and parameters come from the handler's docstring."""
    for block_fn in demo.fns.values():
        if block_fn.api_name in tools and block_fn.fn is not None:
            block_fn.fn.__name__ = block_fn.api_name


FILE_FORMAT = "Gradio File Input - a http or https url to a file"  # how Gradio's MCP schema marks a file


def mend_lists_of_files_over_mcp() -> None:
    """A tool that takes a list of files (gr.File(file_count="multiple")) fails every call on
    Gradio's MCP server: its schema keeps a `$ref` to a definition the server has removed, and the
    server finds files among the arguments by their place in the schema (`files/items`), which no
    list index (`files/0`) matches. Both mended on GradioMCPServer, once."""
    from gradio.mcp import GradioMCPServer

    if getattr(GradioMCPServer, "lists_of_files_mended", False):
        return
    simplify = GradioMCPServer.simplify_filedata_schema
    convert = GradioMCPServer.convert_strings_to_filedata

    def simplified(self, schema: dict) -> tuple[dict, list[list[str | int]]]:
        schema, positions = simplify(self, schema)
        return _without_dangling_references(schema), positions

    def converted(self, value: Any, positions: list[list[str | int]]) -> Any:
        return convert(self, value, [found for position in positions for found in _in_arguments(value, position)])

    GradioMCPServer.simplify_filedata_schema = simplified
    GradioMCPServer.convert_strings_to_filedata = converted
    GradioMCPServer.lists_of_files_mended = True


def _without_dangling_references(node: Any) -> Any:
    """The schema without the `$ref`s of nodes already described as files, and without the
    definitions that only those referred to."""
    if isinstance(node, list):
        return [_without_dangling_references(item) for item in node]
    if not isinstance(node, dict):
        return node
    kept = {key: _without_dangling_references(value) for key, value in node.items() if key != "$defs"}
    if kept.get("format") == FILE_FORMAT:
        kept.pop("$ref", None)
    if "$defs" in node and "$ref" in json.dumps(kept):
        kept["$defs"] = node["$defs"]
    return kept


def _in_arguments(value: Any, position: list[str | int]) -> list[list[str | int]]:
    """A file's schema position (`items` for each element of a list) as positions in the arguments."""
    if not position:
        return [[]]
    head, *rest = position
    if head == "items" and isinstance(value, list):
        return [[index, *tail] for index, item in enumerate(value) for tail in _in_arguments(item, rest)]
    if isinstance(value, dict) and head in value:
        return [[head, *tail] for tail in _in_arguments(value[head], rest)]
    return [position]


def hand_over_path(component: gr.Image) -> gr.Image:
    """An image handed to the handler unopened, so that its size is checked from its header before
    any pixel is decoded: an upload as its file path, a data URL (API clients, MCP, live webcam
    frames) as the bytes it carries, which Gradio would decode whole and write to disk. Overridden on
    the instance: a gr.Image subclass makes Gradio write a .pyi stub."""

    def preprocess(payload):
        if payload is None:
            return None
        if (payload.url or "").startswith("data:"):
            return data_url_bytes(payload.url)
        return str(payload.path) if payload.path else None

    component.preprocess = preprocess
    return component


def data_url_bytes(url: str) -> bytes:
    """What a base64 data URL carries; no bytes when it is not one (the handler then says the
    upload is not an image)."""
    _, _, encoded = url.partition(",")
    try:
        return base64.b64decode(encoded)
    except binascii.Error:
        return b""


def hand_over_as_sent(component: gr.Number) -> gr.Number:
    """A whole-number box (precision=0, so the API calls it an integer) whose value reaches the
    handler as the client sent it: Gradio's own rounding fails with its generic error on a value past
    float's range ('1e400'), and its bounds check speaks English only; the handler checks it
    (toolkit.inputs.number). Overridden on the instance, as hand_over_path is."""
    component.preprocess = lambda payload: payload
    return component


def write_whole_files(component: gr.Image, format: str) -> gr.Image:
    """An image result (an RGB or RGBA array) whose file no download finds half-written: written under
    a temporary name in Gradio's cache, then renamed to the name Gradio gives it (a hash of its bytes),
    so a reader has the whole old file or the whole new one."""
    from gradio import processing_utils
    from gradio.data_classes import ImageData

    def postprocess(value):
        if value is None:
            return None
        data = _encoded(value, format)
        folder = Path(component.GRADIO_CACHE) / processing_utils.hash_bytes(data)
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"image.{format}"
        if not path.exists():
            partial = folder / f".{uuid.uuid4().hex}.{format}"
            partial.write_bytes(data)
            os.replace(partial, path)
        return ImageData(path=str(path), orig_name=path.name)

    component.postprocess = postprocess
    return component


def write_short_lived_files(component: gr.Image, format: str, seconds: float) -> gr.Image:
    """An image result that is one frame of many (a live stream's, a clip's as it is annotated), each
    written to a folder of the component's own in Gradio's cache and deleted `seconds` later, when
    the next frame is written: the page fetches a frame as soon as it is answered, and a stream would
    otherwise leave every frame on disk (and its name in Gradio's list of files to delete, which
    keeps a name whose file is gone)."""
    from gradio.data_classes import ImageData

    folder = Path(component.GRADIO_CACHE) / f"short-lived-{component._id}"

    def postprocess(value):
        if value is None:
            return None
        folder.mkdir(parents=True, exist_ok=True)
        expired = {str(path) for path in folder.iterdir() if time.time() - path.stat().st_mtime > seconds}
        for path in expired:
            Path(path).unlink(missing_ok=True)
        component.temp_files.difference_update(expired)
        path = folder / f"{uuid.uuid4().hex}.{format}"
        path.write_bytes(_encoded(value, format))  # a fresh name: no reader finds it half-written
        return ImageData(path=str(path), orig_name=f"frame.{format}")

    component.postprocess = postprocess
    return component


def _encoded(value, format: str) -> bytes:
    from gradio import processing_utils
    from PIL import Image

    return processing_utils.encode_pil_to_bytes(Image.fromarray(value), format)


def sweep_cache(demo: gr.Blocks, age_s: float) -> int:
    """Deletes what requests left in Gradio's cache folders over `age_s` seconds ago, and the folders
    left empty; the files of example tables stay. Returns how many files went. Gradio's own schedule
    (delete_cache) deletes only the results it lists, which leaves uploads, a generator's last file
    and the copies its MCP server decodes from data URLs, never removes a folder, and keeps listing
    a file someone else deleted. The cache folder must be the app's own (app.py gives it one): every
    old file in it goes."""
    kept = set().union(*(getattr(block, "keep_in_cache", set()) for block in demo.blocks.values()))
    removed: set[str] = set()
    for root in cache_folders():
        removed |= _sweep(root, kept, age_s)
    demo.upload_file_set.difference_update(removed)
    for files in demo.temp_file_sets:
        files.difference_update(removed)
    return len(removed)


def _sweep(root: str, kept: set[str], age_s: float) -> set[str]:
    now = time.time()
    removed: set[str] = set()
    for folder, _, files in os.walk(root, topdown=False):
        try:
            changed = os.stat(folder).st_mtime  # before its files go, which changes it
        except FileNotFoundError:
            continue
        for name in files:
            path = os.path.join(folder, name)
            try:
                if path not in kept and now - os.stat(path).st_mtime > age_s:
                    os.unlink(path)
                    removed.add(path)
            except FileNotFoundError:  # gone meanwhile
                continue
        # An empty folder that changed lately may be one an upload is about to fill.
        if folder != root and now - changed > min(age_s, 60):
            try:
                os.rmdir(folder)
            except OSError:  # not empty, or removed meanwhile
                continue
    return removed


def new_cache_folder(prefix: str) -> Path:
    """A new folder in Gradio's cache for a file a handler returns: swept with the rest
    (sweep_cache), where one in the system's temporary folder would stay."""
    from gradio.utils import get_upload_folder

    Path(get_upload_folder()).mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix=prefix, dir=get_upload_folder()))


def cache_folders() -> set[str]:
    """Where Gradio writes what requests bring and take: its cache (uploads, results), and the
    folder its MCP server decodes data URLs into, the same one unless GRADIO_TEMP_DIR changed after
    Gradio was imported."""
    from gradio.utils import get_upload_folder

    folders = {get_upload_folder()}
    try:
        from gradio.mcp import DEFAULT_TEMP_DIR

        folders.add(DEFAULT_TEMP_DIR)
    except ImportError:  # Gradio without its MCP extra
        pass
    return {str(Path(folder).resolve()) for folder in folders}


def close_when_idle(stream: dict, seconds: float) -> None:
    """A stream event (the Dependency that .stream() returns) ended, and its concurrency slot freed,
    when its client sends no new input for `seconds` after an answer. Gradio waits for the next
    input until the stream's whole time limit, so a visitor who vanishes without closing the stream
    (a closed browser tab does) holds a live slot for minutes. Called while the Blocks is built."""
    from gradio.context import Context
    from gradio.queueing import Queue

    Context.root_block.fns[stream["id"]].idle_seconds = seconds
    if getattr(Queue, "idle_streams_closed", False):
        return
    wait_for_batch = Queue.wait_for_batch

    async def wait_no_longer_than_idle(events: list, timeouts: list[float]):
        timeouts = [
            min(timeout, getattr(event.fn, "idle_seconds", timeout)) for event, timeout in zip(events, timeouts)
        ]
        return await wait_for_batch(events, timeouts)

    Queue.wait_for_batch = staticmethod(wait_no_longer_than_idle)
    Queue.idle_streams_closed = True


class SettledCancels:
    """ASGI middleware: a cancel that races another cancel of the same run (a Stop pressed twice, a
    client that retries) is answered as done. Gradio's /cancel deletes the run's iterator after
    awaiting, so the second of two finds it gone and answers HTTP 500 (a KeyError)."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http" or not scope["path"].endswith("/gradio_api/cancel"):
            await self.app(scope, receive, send)
            return
        answered = False

        async def send_noting(message) -> None:
            nonlocal answered
            answered = True
            await send(message)

        try:
            await self.app(scope, receive, send_noting)
        except KeyError:
            if answered:
                raise
            from starlette.responses import JSONResponse

            await JSONResponse({"success": True})(scope, receive, send)


def explain_failed_downloads(explain: Callable[[str, Exception], str]) -> None:
    """A file that an API or MCP client names by URL and the server cannot fetch (an address Gradio's
    SSRF guard refuses, a host that does not resolve, an error status) is refused with
    explain(url, error) as its message: Gradio raises a bare exception while it prepares the inputs,
    which clients see as its generic "upstream Gradio app" error. Mended on Block, once."""
    from gradio.blocks import Block
    from gradio_client import utils as client_utils

    if getattr(Block, "failed_downloads_explained", False):
        return
    move = Block.async_move_resource_to_block_cache

    async def move_explaining(self, url_or_file_path):
        try:
            return await move(self, url_or_file_path)
        except Exception as error:
            if isinstance(url_or_file_path, str) and client_utils.is_http_url_like(url_or_file_path):
                raise gr.Error(explain(url_or_file_path, error), print_exception=False) from error
            raise

    Block.async_move_resource_to_block_cache = move_explaining
    Block.failed_downloads_explained = True


def know_the_request_while_inputs_are_prepared() -> None:
    """The request a handler runs for (request_headers) known from the start of Gradio's handling,
    not only while the handler runs: what fails while Gradio prepares the inputs (a URL it cannot
    fetch, a data URL) is then said in the visitor's language too. Mended on Blocks, once."""
    from gradio.blocks import Blocks

    if getattr(Blocks, "request_known_early", False):
        return
    process_api = Blocks.process_api

    async def process_in_request(self, *args, request=None, **kwargs):
        first = request[0] if isinstance(request, list) and request else request
        known = LocalContext.request.set(first) if first is not None else None
        try:
            return await process_api(self, *args, request=request, **kwargs)
        finally:
            if known is not None:
                LocalContext.request.reset(known)

    Blocks.process_api = process_in_request
    Blocks.request_known_early = True
