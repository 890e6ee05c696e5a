"""Test set-up: the real weights in ../shared/models (offline), and small random-weight models."""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
import threading

from harness import offline  # noqa: F401  (first: offline model caches, before huggingface_hub reads them)

# isort: split

# Tests run on the CPU, as CI does, whatever this machine has; converted networks go to a fresh
# folder (never into ../shared); fp32 everywhere, so answers do not depend on the CPU having bf16.
os.environ.setdefault("SHOWCASE_DEVICE", "cpu")
if "SHOWCASE_CACHE" not in os.environ:
    # Removed after the run: a run converts most networks again and would leave about 600 MB behind.
    os.environ["SHOWCASE_CACHE"] = tempfile.mkdtemp(prefix="showcase-cache-")
    atexit.register(shutil.rmtree, os.environ["SHOWCASE_CACHE"], ignore_errors=True)
os.environ.setdefault("SHOWCASE_PRECISION", "fp32")
if "SHOWCASE_DATA" not in os.environ:  # shared results (storage/results.py), removed after the run too
    os.environ["SHOWCASE_DATA"] = tempfile.mkdtemp(prefix="showcase-data-")
    atexit.register(shutil.rmtree, os.environ["SHOWCASE_DATA"], ignore_errors=True)

import pytest  # noqa: E402

import models  # noqa: E402
from harness import stand_ins  # noqa: E402

# ImageNet class indices used to rig random ResNet heads.
TABBY, CHEETAH = 281, 293


@pytest.fixture(scope="session")
def tiny_clip():
    return stand_ins.clip()


@pytest.fixture(scope="session")
def tiny_chinese_clip():
    return stand_ins.clip("OFA-Sys/chinese-clip-vit-base-patch16")


@pytest.fixture(scope="session")
def cheetah_resnet():
    """A random ResNet whose head always answers 'cheetah'."""
    return stand_ins.resnet(top_class=CHEETAH)


@pytest.fixture(scope="session")
def yolo():
    return models.load("yolov8n.pt")


@pytest.fixture(scope="session")
def tiny_gpt2():
    return stand_ins.gpt2()


@pytest.fixture
def tiny_gpt2_steps(tiny_gpt2, monkeypatch):
    """The thread name of each step tiny_gpt2's generation takes: a call of its decode step on the
    accelerated runtime, a forward of its network in PyTorch."""
    threads: list[str] = []
    if tiny_gpt2.decoder is None:
        hook = tiny_gpt2.network().register_forward_hook(lambda *args: threads.append(threading.current_thread().name))
        yield threads
        hook.remove()
        return
    outputs = tiny_gpt2.decoder.step.outputs

    def counted(**inputs):
        threads.append(threading.current_thread().name)
        return outputs(**inputs)

    monkeypatch.setattr(tiny_gpt2.decoder.step, "outputs", counted)
    yield threads


@pytest.fixture(scope="session")
def tiny_sentiment():
    return stand_ins.sentiment()


@pytest.fixture(scope="session")
def minilm():
    """all-MiniLM-L6-v2 with its real weights (../shared/models/hf)."""
    return models.load("sentence-transformers/all-MiniLM-L6-v2")


@pytest.fixture(scope="session")
def tiny_defaults(cheetah_resnet):
    """A tiny stand-in for every tab's default model whose weights are missing here, by id; the
    ImageNet classifier always answers 'cheetah'."""
    return {
        model_id: cheetah_resnet if models.family_of(model_id) == "image_classifier" else stand_ins.build(model_id)
        for model_id in stand_ins.missing_defaults()
    }


@pytest.fixture
def empty_model_cache(monkeypatch):
    """A model layer with nothing loaded, so a test sees the real loading path."""
    from models.backend import Embedded

    monkeypatch.setattr(models, "_backend", Embedded())


class Request:
    """What handlers see of a request: its headers."""

    def __init__(self, **headers: str) -> None:
        self.headers = {name.replace("_", "-"): value for name, value in headers.items()}


@pytest.fixture
def chinese_request():
    """Handlers run as for a visitor whose browser reads Chinese."""
    from gradio.context import LocalContext

    token = LocalContext.request.set(Request(accept_language="zh-CN,zh;q=0.9"))
    yield
    LocalContext.request.reset(token)


PSEUDO = "ja"  # a language Gradio's own interface knows, so the browser shows it


def pseudo(english: str) -> str:
    """A pseudo-translation: the English in ⟦ ⟧, so that what was translated is plain to see."""
    return f"⟦{english}⟧"


@pytest.fixture(scope="module")
def pseudo_language(tmp_path_factory):
    """A third language added as one file: locales/ja.po, every text of the template (extracted from
    the code, python -m i18n.extract) translated as pseudo(english)."""
    import shutil

    from babel.messages.catalog import Catalog
    from babel.messages.pofile import write_po

    import i18n
    from i18n import extract
    from toolkit import interface

    folder = tmp_path_factory.mktemp("locales")
    shutil.copytree(i18n.LOCALES, folder, dirs_exist_ok=True)
    catalog = Catalog(locale=PSEUDO)
    for entry in extract.template():
        if entry.id:
            catalog.add(entry.id, pseudo(entry.id), context=entry.context)
    with open(folder / f"{PSEUDO}.po", "wb") as file:
        write_po(file, catalog)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(i18n, "LOCALES", folder)
        i18n._catalogs.cache_clear()
        yield PSEUDO
    i18n._catalogs.cache_clear()
    interface.I18N.translations.pop(PSEUDO, None)
