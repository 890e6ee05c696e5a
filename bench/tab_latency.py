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

from tests import conftest  # noqa: F401  (offline model caches, as in the tests)
from tests import random_models

import examples
from tasks import (
    attention,
    common,
    compare,
    detection,
    generation,
    image_classification,
    similarity,
    text_classification,
    tokenizer,
    zero_shot,
)

CLIP = zero_shot.CHOICES[0]
GPT2 = generation.CHOICES[0]
SENTIMENT = text_classification.CHOICES[0]
MINILM = similarity.CHOICES[0]
REVIEWS = "\n".join(f"Review {i}: the film was {'great' if i % 2 else 'dull'} and I {'loved' if i % 2 else 'hated'} it."
                    for i in range(32))

GPT2_KEY = common.hub_key(generation.AutoModelForCausalLM, GPT2)
SENTIMENT_KEY = common.hub_key(text_classification.AutoModelForSequenceClassification, SENTIMENT)
STAND_INS = random_models.stand_ins(tiny=False)


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
    ("/detect", f"{detection.default_choice()} (real weights)", [], lambda: detection.run(examples.bus(), 0.25, 0.45, detection.default_choice())),
    ("/classify_image", "resnet50", ["resnet50"], lambda: image_classification.run(examples.cheetah(), "resnet50")),
    ("/zero_shot, 5 labels", CLIP, [CLIP], lambda: zero_shot.run(examples.cheetah(), "cheetah, lion, house cat, dog, car", False, CLIP)),
    ("/zero_shot, 5 labels x 7 templates", CLIP, [CLIP], lambda: zero_shot.run(examples.cheetah(), "cheetah, lion, house cat, dog, car", True, CLIP)),
    ("/compare, 1,000 ImageNet labels", f"resnet50 + {CLIP}", ["resnet50", CLIP], lambda: compare.run(examples.lion(), "", False, CLIP)),
    ("/generate, 50 tokens greedy", GPT2, [GPT2_KEY], lambda: generation.run(*generate_args("greedy", 50))),
    ("/classify_text, 1 line", SENTIMENT, [SENTIMENT_KEY], lambda: text_classification.run("What a lovely film.", SENTIMENT)),
    ("/classify_text, 32 lines", SENTIMENT, [SENTIMENT_KEY], lambda: text_classification.run(REVIEWS, SENTIMENT)),
    ("/similarity, 1 x 7", f"{MINILM} (real weights)", [], lambda: similarity.run("I can't log in", similarity.EXAMPLE_SENTENCES, MINILM)),
    ("/tokenize", "gpt2 + MiniLM WordPiece tokenizers (real files)", [], lambda: tokenizer.run(tokenizer.EXAMPLE_TEXTS[1], *tokenizer.CHOICES[:2])),
    ("/train_bpe, 1,000 merges", "BPE trained on the spot", [], lambda: tokenizer.run_training(tokenizer.EXAMPLE_CORPUS * 50, 1000, "")),
    ("/attention", f"{MINILM} (real weights)", [], lambda: attention.run(attention.EXAMPLES[0], 1, 1, MINILM)),
]


def tokens_per_second(strategy: str, tokens: int) -> float:
    settings = generation.Settings(max_new_tokens=tokens, strategy=strategy, seed=1)
    *_, last = generation.stream(generation.get_model(GPT2), "The history of the city begins", settings)
    return last.tokens_per_second


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()

    device = common.pick_device()
    print(f"device: {device} ({common.inference_dtype(device)}), torch {torch.__version__}, "
          f"{os.cpu_count()} CPU cores, {platform.processor() or platform.machine()}")
    print()
    print("| tab | model | first request ms | warm median ms |")
    print("|---|---|---:|---:|")
    for name, model, stand_ins, call in TABS:
        def first_use():
            for key in stand_ins:
                if key not in common.MODELS:
                    common.MODELS.put(key, STAND_INS[key]())
            return call()

        first = timed(first_use)
        warm = statistics.median(timed(call) for _ in range(args.repeats))
        weights = " (random weights)" if stand_ins else ""
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
