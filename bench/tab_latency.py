"""First-request and warm latency of each tab's handler, and GPT-2's generation speed, on this machine.

    python -m bench.tab_latency [--repeats 5]

Real weights where they are on disk (YOLO, all-MiniLM-L6-v2, the GPT-2 tokenizer). ResNet-50, CLIP
ViT-B/32, GPT-2 (124M) and DistilBERT weights are not downloadable here, so full-size random-weight
models stand in (speed does not depend on weight values); for them "first request" counts building
the model instead of reading it from disk.
"""

from __future__ import annotations

import argparse
import functools
import os
import platform
import statistics
import tempfile
import time

import torch

from harness import offline  # noqa: F401  (first: offline model caches, before huggingface_hub reads them)

# isort: split

import examples
import models
from harness import stand_ins
from models import runtime
from models.decoding import Decoding
from models.device import inference_dtype, pick_device
from tasks import (
    attention,
    compare,
    detection,
    generation,
    image_classification,
    similarity,
    text_classification,
    tokenizer,
    zero_shot,
)

RESNET = image_classification.TASK.default()
CLIP = zero_shot.TASK.default()
GPT2 = generation.TASK.default()
SENTIMENT = text_classification.TASK.default()
MINILM = similarity.TASK.default()
YOLO = detection.TASK.default()
REVIEWS = "\n".join(
    f"Review {i}: the film was {'great' if i % 2 else 'dull'} and I {'loved' if i % 2 else 'hated'} it."
    for i in range(32)
)


def drain(results):
    """Handlers that stream return generators: run them to the end."""
    if hasattr(results, "__next__"):
        for _ in results:
            pass


def timed(fn) -> float:
    started = time.perf_counter()
    drain(fn())
    return (time.perf_counter() - started) * 1000


def generate_args(strategy: str, tokens: int) -> tuple:
    return ("The history of the city begins", GPT2, tokens, strategy, 0.8, 50, 0.95, 0, 1.0, 42)


TABS = [
    ("/detect", f"{YOLO} (real weights)", [], detection, lambda: detection.run(examples.bus(), 0.25, 0.45, YOLO)),
    (
        "/classify_image",
        RESNET,
        [RESNET],
        image_classification,
        lambda: image_classification.run(examples.cheetah(), RESNET),
    ),
    (
        "/zero_shot, 5 labels",
        CLIP,
        [CLIP],
        zero_shot,
        lambda: zero_shot.run(examples.cheetah(), "cheetah, lion, house cat, dog, car", False, CLIP),
    ),
    (
        "/zero_shot, 5 labels x 7 templates",
        CLIP,
        [CLIP],
        zero_shot,
        lambda: zero_shot.run(examples.cheetah(), "cheetah, lion, house cat, dog, car", True, CLIP),
    ),
    (
        "/compare, 1,000 ImageNet labels",
        f"{RESNET} + {CLIP}",
        [RESNET, CLIP],
        compare,
        lambda: compare.run(examples.lion(), "", False, CLIP),
    ),
    ("/generate, 50 tokens greedy", GPT2, [GPT2], generation, lambda: generation.run(*generate_args("greedy", 50))),
    (
        "/classify_text, 1 line",
        SENTIMENT,
        [SENTIMENT],
        text_classification,
        lambda: text_classification.run("What a lovely film.", SENTIMENT),
    ),
    (
        "/classify_text, 32 lines",
        SENTIMENT,
        [SENTIMENT],
        text_classification,
        lambda: text_classification.run(REVIEWS, SENTIMENT),
    ),
    (
        "/similarity, 1 x 7",
        f"{MINILM} (real weights)",
        [],
        similarity,
        lambda: similarity.run("I can't log in", similarity.EXAMPLE_SENTENCES, MINILM),
    ),
    (
        "/tokenize",
        "gpt2 + MiniLM WordPiece tokenizers (real files)",
        [],
        tokenizer,
        lambda: tokenizer.run(tokenizer.EXAMPLE_TEXTS[1], *tokenizer.TASK.choices()[:2]),
    ),
    (
        "/train_bpe, 1,000 merges",
        "BPE trained on the spot",
        [],
        tokenizer,
        lambda: tokenizer.run_training(tokenizer.EXAMPLE_CORPUS * 50, 1000, ""),
    ),
    (
        "/attention",
        f"{MINILM} (real weights)",
        [],
        attention,
        lambda: attention.run(attention.EXAMPLES[0], 1, 1, MINILM),
    ),
]


def tokens_per_second(strategy: str, tokens: int) -> float:
    settings = Decoding(max_new_tokens=tokens, strategy=strategy, seed=1)
    *_, last = generation.stream(models.load(GPT2), "The history of the city begins", settings)
    return last.tokens_per_second


def load(missing: list[str], module) -> None:
    """What the app does for a tab in the background once the page is up (stand-ins built instead of
    the models whose weights are missing here, and converted for the CPU runtime, as models.load does)."""
    for model_id in missing:
        if not models.backend().is_loaded(model_id):
            stand_in = stand_ins.build(model_id, tiny=False)
            stand_in.warm()
            models.backend().install(model_id, stand_in)
    module.TASK.warm()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()

    os.environ["SHOWCASE_CACHE"] = tempfile.mkdtemp(prefix="showcase-bench-")  # every conversion counted
    device = pick_device()
    runs = f"{runtime.OPENVINO} {runtime.default_precision()}" if runtime.wanted(device) else inference_dtype(device)
    print(
        f"device: {device} ({runs}), torch {torch.__version__}, "
        f"{os.cpu_count()} CPU cores, {platform.processor() or platform.machine()}"
    )
    print()
    print("| tab | model | load and warm-up ms | first request ms | warm median ms |")
    print("|---|---|---:|---:|---:|")
    for name, model, missing, module, call in TABS:
        load_ms = timed(functools.partial(load, missing, module))
        first = timed(call)
        warm = statistics.median(timed(call) for _ in range(args.repeats))
        weights = " (random weights)" if missing else ""
        print(f"| {name} | {model}{weights} | {load_ms:.0f} | {first:.0f} | {warm:.0f} |")
    print()
    print("| GPT-2 124M generation (random weights) | tokens/s |")
    print("|---|---:|")
    for strategy, tokens in (("greedy", 100), ("sampling", 100), ("beam search", 50)):
        how = "all at the end" if strategy == "beam search" else "streamed"
        print(f"| {strategy}, {tokens} new tokens, {how} | {tokens_per_second(strategy, tokens):.1f} |")
    print()
    print("load and warm-up = what the app does in the background once the page is up: load (for stand-ins,")
    print("build) each default model and run it once (conversion for the CPU runtime, into an empty cache),")
    print("plus the tab's own preparation (/compare: the 1,000 ImageNet label embeddings, then kept on disk).")
    print("Tabs sharing a model (zero-shot and compare: CLIP; similarity and attention: MiniLM) load it once.")


if __name__ == "__main__":
    main()
