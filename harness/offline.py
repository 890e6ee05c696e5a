"""The offline set-up of ../shared/models/env.sh, for tests and benchmarks run without it.

Import this before anything that imports huggingface_hub, which reads HF_HOME once.
"""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
IMAGENET_SAMPLE = SHARED / "data" / "imagenet-sample"
PHOTOS = SHARED / "data" / "photos"
CIFAR10_SAMPLE = SHARED / "data" / "cifar10-sample"

# The same settings as ../shared/models/env.sh, so a plain `pytest` matches CI: models come from
# the staged caches and nothing is fetched from the network.
if (SHARED / "models").is_dir():
    os.environ.setdefault("HF_HOME", str(SHARED / "models" / "hf"))
    os.environ.setdefault("SHOWCASE_MODEL_DIR", str(SHARED / "models" / "yolo"))
    for name in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "YOLO_OFFLINE"):
        os.environ.setdefault(name, "1")
# CIFAR-10 cannot be downloaded here: the self-supervised tab reads the sample instead.
if CIFAR10_SAMPLE.is_dir():
    os.environ.setdefault("SHOWCASE_CIFAR10_DIR", str(CIFAR10_SAMPLE))
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("SHOWCASE_DEVICE", "cpu")
