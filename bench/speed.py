"""Our predict functions against the bare model forward (the floor) and against what a user would write.

    python -m bench.speed [--repeats 15]

Full-size models: YOLOv8n with real weights; ResNet-50, CLIP ViT-B/32, DistilBERT and GPT-2 (124M)
with random weights (speed does not depend on weight values). Each pair of calls is timed
alternately after a warm-up, and medians are compared. Our models run on the default runtime
(OpenVINO on the CPU); the floor is the same runtime's bare forward, the alternatives run PyTorch.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time

import numpy as np
import torch

from harness import offline  # noqa: F401  (first: offline model caches, before huggingface_hub reads them)

# isort: split

import examples
import models
from harness import stand_ins
from models.clip import Labels
from models.decoding import Decoding
from models.device import pick_device
from models.image_classifier import categories
from models.yolo import local_file
from tasks import detection, generation, image_classification, text_classification, zero_shot
from toolkit.inputs import open_image

LABELS = ["cheetah", "leopard", "lion", "house cat", "dog"]
REVIEWS = [
    f"Review {i}: the film was {'great' if i % 2 else 'dull'} and I {'loved' if i % 2 else 'hated'} it."
    for i in range(32)
]


def paired_ms(first, second, repeats: int) -> tuple[float, float]:
    """Median ms of two calls measured alternately, so that this noisy machine's drift hits both alike."""
    first(), second()  # warm-up: first-call allocations and caches
    times: tuple[list[float], list[float]] = ([], [])
    for _ in range(repeats):
        for fn, bucket in ((first, times[0]), (second, times[1])):
            started = time.perf_counter()
            fn()
            bucket.append((time.perf_counter() - started) * 1000)
    return statistics.median(times[0]), statistics.median(times[1])


def in_pytorch(model_id: str):
    """A full-size stand-in kept in PyTorch: what a user's own transformers pipeline would run."""
    os.environ["SHOWCASE_RUNTIME"] = "torch"
    try:
        return stand_ins.build(model_id, tiny=False)
    finally:
        del os.environ["SHOWCASE_RUNTIME"]


def bare(network, tensor):
    with torch.inference_mode():
        return network(tensor)


def overhead(repeats: int) -> list[tuple]:
    rows = []
    photo = examples.bus()

    classifier = stand_ins.build(image_classification.TASK.default(), tiny=False)
    batch = classifier.preprocess([open_image(photo)])
    floor, ours = paired_ms(
        lambda: classifier.head(classifier.body(input=batch).flatten(1)),
        lambda: image_classification.classify(classifier, [open_image(photo)]),
        repeats,
    )
    rows.append(("image classification (ResNet-50)", floor, ours, "decode + weights.transforms() + top-5"))

    clip = stand_ins.build(zero_shot.TASK.default(), tiny=False)
    pixels = clip.preprocess([open_image(photo)])
    labels = clip.label_embeddings(Labels(tuple(LABELS)))
    floor, ours = paired_ms(
        lambda: clip.image_tower(pixel_values=pixels) @ labels.T,
        lambda: zero_shot.classify(clip, [open_image(photo)], LABELS),
        repeats,
    )
    rows.append(("zero-shot (CLIP ViT-B/32, 5 labels)", floor, ours, "decode + processor + cached label embeddings"))

    from ultralytics.data.augment import LetterBox

    detector = models.load(detection.TASK.default())
    boxed = LetterBox((640, 640), auto=True, stride=32)(image=detector.preprocess(open_image(photo)))
    tensor = torch.from_numpy(np.ascontiguousarray(boxed[:, :, ::-1].transpose(2, 0, 1))).float().div(255)[None]
    detection.detect(detector, [open_image(photo)])  # sets up Ultralytics' predictor and its backend
    network = detector.model.predictor.model
    floor, ours = paired_ms(
        lambda: bare(network, tensor), lambda: detection.detect(detector, [open_image(photo)]), repeats
    )
    rows.append(("detection (YOLOv8n, real weights)", floor, ours, "decode + letterbox + NMS + drawn image + table"))
    return rows


def against_alternatives(repeats: int) -> list[tuple]:
    from transformers import pipeline
    from ultralytics import YOLO

    rows = []
    photo = examples.bus()

    clip = stand_ins.build(zero_shot.TASK.default(), tiny=False)
    pipe = pipeline(
        "zero-shot-image-classification",
        model=in_pytorch(zero_shot.TASK.default()).image_tower.network.model,
        tokenizer=clip.tokenizer,
        image_processor=clip.image_processor,
        device="cpu",
    )
    theirs, ours = paired_ms(
        lambda: pipe(photo, candidate_labels=LABELS),
        lambda: zero_shot.classify(clip, [open_image(photo)], LABELS),
        repeats,
    )
    rows.append(
        ("zero-shot, 5 labels, same label set again", 'pipeline("zero-shot-image-classification")', theirs, ours, "ms")
    )
    imagenet = categories(image_classification.TASK.default())
    theirs, ours = paired_ms(
        lambda: pipe(photo, candidate_labels=imagenet),
        lambda: zero_shot.classify(clip, [open_image(photo)], imagenet),
        2,
    )
    rows.append(
        ("zero-shot, 1,000 ImageNet labels, again", 'pipeline("zero-shot-image-classification")', theirs, ours, "ms")
    )

    sentiment = stand_ins.build(text_classification.TASK.default(), tiny=False)
    pipe = pipeline(
        "text-classification",
        model=in_pytorch(text_classification.TASK.default()).logits.network,
        tokenizer=sentiment.tokenizer,
        device="cpu",
    )

    def ours_classify():  # what the tab computes: every line's label, and the table
        return text_classification.table(REVIEWS, sentiment.classify(REVIEWS), sentiment.labels)

    theirs, ours = paired_ms(lambda: pipe(REVIEWS), ours_classify, repeats)
    batched, ours_again = paired_ms(lambda: pipe(REVIEWS, batch_size=32), ours_classify, repeats)
    rows.append(("sentiment, 32 lines", 'pipeline("text-classification")', theirs, ours, "ms"))
    rows.append(("sentiment, 32 lines", 'pipeline("text-classification", batch_size=32)', batched, ours_again, "ms"))

    plain = YOLO(str(local_file(detection.TASK.default()) or detection.TASK.default()))
    detector = models.load(detection.TASK.default())
    theirs, ours = paired_ms(
        lambda: plain.predict(photo, verbose=False), lambda: detection.detect(detector, [open_image(photo)]), repeats
    )
    rows.append(("detection, bus photo", "YOLO(...).predict(path)", theirs, ours, "ms"))

    gpt2 = stand_ins.build(generation.TASK.default(), tiny=False)
    prompt = gpt2.tokenizer("The history of the city begins", return_tensors="pt")["input_ids"]
    new_tokens = 100

    def plain_generate():
        with torch.inference_mode():
            gpt2.model.generate(
                prompt,
                attention_mask=torch.ones_like(prompt),
                max_new_tokens=new_tokens,
                min_new_tokens=new_tokens,
                do_sample=False,
                pad_token_id=gpt2.tokenizer.eos_token_id,
            )

    def streamed():
        *_, last = generation.stream(
            gpt2, "The history of the city begins", Decoding(max_new_tokens=new_tokens, strategy="greedy")
        )
        assert last.tokens == new_tokens

    plain_ms, streamed_ms = paired_ms(plain_generate, streamed, 3)
    theirs, ours = new_tokens / plain_ms * 1000, new_tokens / streamed_ms * 1000
    rows.append(("GPT-2 124M, 100 new tokens, greedy", "model.generate (no streaming)", theirs, ours, "tokens/s"))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=15)
    args = parser.parse_args()
    print(
        f"device: {pick_device()}, torch {torch.__version__}, {torch.get_num_threads()} threads, "
        f"{os.cpu_count()} CPU cores, {platform.machine()}\n"
    )

    print("Overhead over the floor (target: at most 1.15x)\n")
    print("| task | floor: bare forward ms | our predict ms | ratio | our predict adds |")
    print("|---|---:|---:|---:|---|")
    for name, floor, ours, adds in overhead(args.repeats):
        print(f"| {name} | {floor:.1f} | {ours:.1f} | {ours / floor:.2f}x | {adds} |")

    print("\nAgainst what a user would write instead (target: never slower)\n")
    print("| workload | alternative | alternative | ours | our speed / theirs |")
    print("|---|---|---:|---:|---:|")
    for name, alternative, theirs, ours, unit in against_alternatives(args.repeats):
        speedup = ours / theirs if unit == "tokens/s" else theirs / ours
        print(f"| {name} | `{alternative}` | {theirs:.1f} {unit} | {ours:.1f} {unit} | {speedup:.2f}x |")


if __name__ == "__main__":
    main()
