"""Test set-up: the real weights in ../shared/models (offline), and small random-weight models."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"

# The same settings as ../shared/models/env.sh, so a plain `pytest` matches CI: models come from
# the staged caches and nothing is fetched from the network.
if (SHARED / "models").is_dir():
    os.environ.setdefault("HF_HOME", str(SHARED / "models" / "hf"))
    os.environ.setdefault("SHOWCASE_MODEL_DIR", str(SHARED / "models" / "yolo"))
    for name in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "YOLO_OFFLINE"):
        os.environ.setdefault(name, "1")
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("SHOWCASE_DEVICE", "cpu")

from tests import random_models  # noqa: E402  (after the environment is set)

IMAGENET_SAMPLE = SHARED / "data" / "imagenet-sample"
PHOTOS = SHARED / "data" / "photos"

# ImageNet class indices used to rig random ResNet heads.
TABBY, CHEETAH = 281, 293


@pytest.fixture(scope="session")
def tiny_clip():
    return random_models.clip()


@pytest.fixture(scope="session")
def tiny_chinese_clip():
    return random_models.clip("OFA-Sys/chinese-clip-vit-base-patch16", chinese=True)


@pytest.fixture(scope="session")
def cheetah_resnet():
    """A random ResNet whose head always answers 'cheetah'."""
    return random_models.resnet(top_class=CHEETAH)


@pytest.fixture(scope="session")
def yolo():
    from tasks import detection

    return detection.get_model("yolov8n.pt")


@pytest.fixture(scope="session")
def tiny_gpt2():
    return random_models.gpt2()


@pytest.fixture(scope="session")
def tiny_sentiment():
    return random_models.sentiment()


@pytest.fixture(scope="session")
def minilm():
    """all-MiniLM-L6-v2 with its real weights (../shared/models/hf)."""
    from tasks import similarity

    return similarity.get_model("sentence-transformers/all-MiniLM-L6-v2")


@pytest.fixture
def empty_model_cache(monkeypatch):
    """A model cache with nothing in it, so a test sees the real loading path."""
    from tasks import common

    monkeypatch.setattr(common, "MODELS", common.ModelCache())
