"""First-request and warm latency of each tab's handler, and GPT-2's generation speed, on this machine.

    python -m bench.tab_latency [--repeats 5]

Real weights where they are on disk (YOLO, all-MiniLM-L6-v2, the GPT-2 tokenizer). ResNet-50, CLIP
ViT-B/32, GPT-2 (124M) and DistilBERT weights are not downloadable here, so full-size random-weight
models stand in (speed does not depend on weight values); for them "first request" counts building
the model instead of reading it from disk.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time

import torch

from harness import offline  # noqa: F401  (first: offline model caches, before huggingface_hub reads them)

import examples
import models
from harness import stand_ins
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
REVIEWS = "\n".join(f"Review {i}: the film was {'great' if i % 2 else 'dull'} and I {'loved' if i % 2 else 'hated'} it."
                    for i in range(32))



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
    ("/detect", f"{YOLO} (real weights)", [], lambda: detection.run(examples.bus(), 0.25, 0.45, YOLO)),
    ("/classify_image", RESNET, [RESNET], lambda: image_classification.run(examples.cheetah(), RESNET)),
    ("/zero_shot, 5 labels", CLIP, [CLIP], lambda: zero_shot.run(examples.cheetah(), "cheetah, lion, house cat, dog, car", False, CLIP)),
    ("/zero_shot, 5 labels x 7 templates", CLIP, [CLIP], lambda: zero_shot.run(examples.cheetah(), "cheetah, lion, house cat, dog, car", True, CLIP)),
    ("/compare, 1,000 ImageNet labels", f"{RESNET} + {CLIP}", [RESNET, CLIP], lambda: compare.run(examples.lion(), "", False, CLIP)),
    ("/generate, 50 tokens greedy", GPT2, [GPT2], lambda: generation.run(*generate_args("greedy", 50))),
    ("/classify_text, 1 line", SENTIMENT, [SENTIMENT], lambda: text_classification.run("What a lovely film.", SENTIMENT)),
    ("/classify_text, 32 lines", SENTIMENT, [SENTIMENT], lambda: text_classification.run(REVIEWS, SENTIMENT)),
    ("/similarity, 1 x 7", f"{MINILM} (real weights)", [], lambda: similarity.run("I can't log in", similarity.EXAMPLE_SENTENCES, MINILM)),
    ("/tokenize", "gpt2 + MiniLM WordPiece tokenizers (real files)", [], lambda: tokenizer.run(tokenizer.EXAMPLE_TEXTS[1], *tokenizer.TASK.choices()[:2])),
    ("/train_bpe, 1,000 merges", "BPE trained on the spot", [], lambda: tokenizer.run_training(tokenizer.EXAMPLE_CORPUS * 50, 1000, "")),
    ("/attention", f"{MINILM} (real weights)", [], lambda: attention.run(attention.EXAMPLES[0], 1, 1, MINILM)),
]


def tokens_per_second(strategy: str, tokens: int) -> float:
    settings = generation.Settings(max_new_tokens=tokens, strategy=strategy, seed=1)
    *_, last = generation.stream(models.load(GPT2), "The history of the city begins", settings)
    return last.tokens_per_second


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()

    device = pick_device()
    print(f"device: {device} ({inference_dtype(device)}), torch {torch.__version__}, "
          f"{os.cpu_count()} CPU cores, {platform.processor() or platform.machine()}")
    print()
    print("| tab | model | first request ms | warm median ms |")
    print("|---|---|---:|---:|")
    for name, model, missing, call in TABS:
        def first_use():
            for model_id in missing:
                if not models.is_loaded(model_id):
                    models.put(model_id, stand_ins.build(model_id, tiny=False))
            return call()

        first = timed(first_use)
        warm = statistics.median(timed(call) for _ in range(args.repeats))
        weights = " (random weights)" if missing else ""
        print(f"| {name} | {model}{weights} | {first:.0f} | {warm:.0f} |")
    print()
    print("| GPT-2 124M generation (random weights) | tokens/s |")
    print("|---|---:|")
    for strategy, tokens in (("greedy", 100), ("sampling", 100), ("beam search", 50)):
        how = "all at the end" if strategy == "beam search" else "streamed"
        print(f"| {strategy}, {tokens} new tokens, {how} | {tokens_per_second(strategy, tokens):.1f} |")
    print()
    print("first request = model load (or random-weight build) + first call; /compare's first request")
    print("also encodes the 1,000 ImageNet label prompts, cached afterwards. Tabs sharing a model")
    print("(zero-shot and compare: CLIP; similarity and attention: MiniLM) load it once.")


if __name__ == "__main__":
    main()
