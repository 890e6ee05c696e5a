"""The accelerated CPU runtime (OpenVINO) against plain PyTorch: speed per model, parity, round trip.

    python -m bench.runtime [--repeats 15] [--skip-round-trip] [--only yolo resnet clip distilbert minilm gpt2]

Every pair is the same model built twice, once with SHOWCASE_RUNTIME=torch, and timed alternately
after a warm-up. Real weights: YOLO and all-MiniLM-L6-v2. ResNet-50, CLIP ViT-B/32, DistilBERT and
GPT-2 are full-size random-weight stand-ins (speed does not depend on weight values; their parity
is measured against the same random weights in PyTorch).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import platform
import statistics
import time
from functools import partial

import numpy as np
import torch

from harness import offline  # noqa: F401  (first: offline model caches, before huggingface_hub reads them)

# isort: split

import examples
from bench.speed import paired_ms
from harness import stand_ins
from harness.offline import IMAGENET_SAMPLE, PHOTOS, SHARED
from models import runtime
from models import yolo as yolo_family
from models.clip import Labels
from models.decoding import Decoding
from tasks import generation
from toolkit import text_data
from toolkit.inputs import open_image

SST2_DEV = SHARED / "data" / "sst2" / "dev.tsv"
REVIEWS = [
    f"Review {i}: the film was {'great' if i % 2 else 'dull'} and I {'loved' if i % 2 else 'hated'} it."
    for i in range(32)
]
SENTENCES = [
    "I can't log in to my account",
    "How do I reset my password?",
    "The weather is lovely today",
    "My payment was declined",
    "Where is my parcel?",
    "I love this phone",
    "Cancel my subscription",
]


@contextlib.contextmanager
def plain_pytorch():
    os.environ["SHOWCASE_RUNTIME"] = "torch"
    try:
        yield
    finally:
        del os.environ["SHOWCASE_RUNTIME"]


def twins(build):
    """(PyTorch, accelerated) copies of one model, the accelerated one warmed (converted)."""
    with plain_pytorch():
        plain = build()
    fast = build()
    fast.warm()
    return plain, fast


def photos() -> list:
    return [open_image(path) for path in sorted(PHOTOS.glob("*.jpg"))]


def yolo_speed(repeats: int) -> list[tuple]:
    rows = []
    bus = open_image(examples.bus())
    for name in ("yolov8n.pt", "yolo11n-seg.pt"):
        plain, fast = twins(partial(yolo_family.load, name))
        bgr = fast.preprocess(bus)
        rows.append(
            (
                f"{name} (real weights), bus photo 810x1080",
                *paired_ms(
                    partial(plain.forward, [bgr], 0.25, 0.45), partial(fast.forward, [bgr], 0.25, 0.45), repeats
                ),
                "ms",
                fast,
            )
        )
    return rows


def resnet_speed(repeats: int) -> list[tuple]:
    bus = open_image(examples.bus())
    plain, fast = twins(lambda: stand_ins.resnet("resnet50", tiny=False))
    rows = []
    for count in (1, 8):
        batch = fast.preprocess([bus] * count)
        rows.append(
            (
                f"ResNet-50, {count} image(s) 224 px",
                *paired_ms(partial(plain.forward, batch), partial(fast.forward, batch), repeats),
                "ms",
                fast,
            )
        )
    return rows


def clip_speed(repeats: int) -> list[tuple]:
    plain, fast = twins(lambda: stand_ins.clip(tiny=False))
    pixels = fast.preprocess([open_image(examples.bus())])
    labels, templates = ["cheetah", "leopard", "lion", "house cat", "dog"], fast.templates(True)
    return [
        (
            "CLIP ViT-B/32 image tower, 1 image",
            *paired_ms(lambda: plain.forward(pixels), lambda: fast.forward(pixels), repeats),
            "ms",
            fast,
        ),
        (
            "CLIP ViT-B/32 text tower, 5 labels x 7 templates",
            *paired_ms(
                lambda: plain.encode_prompts(labels, templates), lambda: fast.encode_prompts(labels, templates), repeats
            ),
            "ms",
            fast,
        ),
    ]


def distilbert_speed(repeats: int) -> list[tuple]:
    plain, fast = twins(lambda: stand_ins.sentiment(tiny=False))
    return [
        (
            f"DistilBERT SST-2, {len(lines)} line(s)",
            *paired_ms(partial(plain.classify, lines), partial(fast.classify, lines), repeats),
            "ms",
            fast,
        )
        for lines in (REVIEWS[:1], REVIEWS)
    ]


def minilm_speed(repeats: int) -> list[tuple]:
    from models import sentence_encoder

    plain, fast = twins(lambda: sentence_encoder.load("sentence-transformers/all-MiniLM-L6-v2"))
    sst2 = text_data.read_dataset(SST2_DEV, "sentence", "label").texts[:64]
    return [
        (
            f"all-MiniLM-L6-v2 (real weights), {name}",
            *paired_ms(partial(plain.embed, sentences), partial(fast.embed, sentences), repeats),
            "ms",
            fast,
        )
        for name, sentences in (("7 sentences", SENTENCES), ("64 SST-2 sentences", sst2))
    ]


def greedy(model, prompt: str, new_tokens: int) -> str:
    """The tab's own streamed greedy decoding, to the end; the text it wrote."""
    *_, last = generation.stream(model, prompt, Decoding(max_new_tokens=new_tokens, strategy="greedy"))
    assert last.tokens == new_tokens
    return last.text


def gpt2_speed(repeats: int) -> list[tuple]:
    """Streamed greedy decoding as the tab runs it: `generate` in PyTorch against the decode step on
    the accelerated runtime (ms for 50 new tokens: the speed-up is the tokens/s ratio)."""
    plain, fast = twins(lambda: stand_ins.gpt2(tiny=False))
    prompt = "The history of the city begins"
    return [
        (
            "GPT-2 124M, 50 new tokens greedy, streamed",
            *paired_ms(lambda: greedy(plain, prompt, 50), lambda: greedy(fast, prompt, 50), max(3, repeats // 3)),
            "ms per 50 tokens",
            fast,
        )
    ]


SPEED = {
    "yolo": yolo_speed,
    "resnet": resnet_speed,
    "clip": clip_speed,
    "distilbert": distilbert_speed,
    "minilm": minilm_speed,
    "gpt2": gpt2_speed,
}


def box_iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    import torchvision

    return torchvision.ops.box_iou(torch.as_tensor(a), torch.as_tensor(b)).numpy()


def average_precision(predicted: list, reference: list, threshold: float) -> float:
    """COCO-style AP at one IoU threshold, averaged over the reference's classes (101-point recall)."""
    precisions = []
    for cls in sorted({int(c) for ref in reference for c in ref[:, 5]}):
        total = sum(int((ref[:, 5] == cls).sum()) for ref in reference)
        scored = []  # (confidence, true positive) over every image
        for pred, ref in zip(predicted, reference):
            pred, ref = pred[pred[:, 5] == cls], ref[ref[:, 5] == cls]
            pred = pred[np.argsort(-pred[:, 4])]
            taken = np.zeros(len(ref), bool)
            overlaps = box_iou(pred[:, :4], ref[:, :4]) if len(pred) and len(ref) else np.zeros((len(pred), 0))
            for row, confidence in enumerate(pred[:, 4]):
                candidates = np.where(~taken & (overlaps[row] >= threshold))[0] if overlaps.shape[1] else []
                if len(candidates):
                    taken[candidates[np.argmax(overlaps[row, candidates])]] = True
                scored.append((confidence, len(candidates) > 0))
        scored.sort(key=lambda item: -item[0])
        hits = np.cumsum([hit for _, hit in scored]) if scored else np.zeros(0)
        recall = hits / total if scored else np.zeros(0)
        precision = hits / np.arange(1, len(scored) + 1) if scored else np.zeros(0)
        envelope = np.maximum.accumulate(precision[::-1])[::-1] if scored else np.zeros(0)
        points = [envelope[recall >= r].max() if (recall >= r).any() else 0.0 for r in np.linspace(0, 1, 101)]
        precisions.append(float(np.mean(points)))
    return float(np.mean(precisions)) if precisions else 1.0


def yolo_parity(name: str, images: list) -> tuple:
    plain, fast = twins(lambda: yolo_family.load(name))
    arrays = [fast.preprocess(image) for image in images]
    reference = [plain.forward([a], 0.25, 0.45)[0].boxes.data.numpy() for a in arrays]
    predicted = [fast.forward([a], 0.25, 0.45)[0].boxes.data.numpy() for a in arrays]
    map_50_95 = statistics.mean(average_precision(predicted, reference, t) for t in np.arange(0.5, 0.96, 0.05))
    lost = 0
    for pred, ref in zip(predicted, reference):
        for box in ref[ref[:, 4] > 0.5]:
            same = pred[pred[:, 5] == box[5]]
            if not len(same) or box_iou(box[None, :4], same[:, :4]).max() < 0.5:
                lost += 1
    strong = sum(int((ref[:, 4] > 0.5).sum()) for ref in reference)
    return (
        f"{name}, {len(images)} photos: mAP50-95 against PyTorch's detections",
        f"{map_50_95:.3f}",
        "at least 0.95",
        f"{lost} of {strong} boxes above 0.5 lost; {sum(map(len, reference))} boxes in all",
    )


def parity() -> list[tuple]:
    rows = [yolo_parity(name, photos()) for name in ("yolov8n.pt", "yolo11n-seg.pt")]
    imagenet = [open_image(path) for path in sorted(IMAGENET_SAMPLE.glob("*.JPEG"))]

    plain, fast = twins(lambda: stand_ins.resnet("resnet50", tiny=False))
    batch = plain.preprocess(imagenet)
    same = (plain.forward(batch).argmax(1) == fast.forward(batch).argmax(1)).float().mean().item()
    rows.append(
        (f"ResNet-50 top-1, {len(imagenet)} ImageNet images (random weights)", f"{same:.0%} same", "at least 99%", "")
    )

    plain, fast = twins(lambda: stand_ins.clip(tiny=False))
    from models.image_classifier import categories

    labels = Labels(tuple(categories("resnet50")), "ImageNet")
    answers = [[ranking.first for ranking in model.classify(imagenet, labels)] for model in (plain, fast)]
    same = sum(a == b for a, b in zip(*answers)) / len(imagenet)
    rows.append(
        (
            f"CLIP ViT-B/32 zero-shot top-1 over 1,000 labels, {len(imagenet)} images (random weights)",
            f"{same:.0%} same",
            "",
            "",
        )
    )

    dev = text_data.read_dataset(SST2_DEV, "sentence", "label").texts
    plain, fast = twins(lambda: stand_ins.sentiment(tiny=False))
    a, b = ([row.ranking.first for row in model.classify(dev)] for model in (plain, fast))
    rows.append(
        (
            f"DistilBERT SST-2, {len(dev)} dev sentences (random weights)",
            f"{sum(x == y for x, y in zip(a, b)) / len(dev):.1%} same label",
            "",
            f"largest probability difference {(a - b).abs().max():.1e}",
        )
    )

    from models import sentence_encoder

    plain, fast = twins(lambda: sentence_encoder.load("sentence-transformers/all-MiniLM-L6-v2"))
    cosine = (plain.embed(dev) * fast.embed(dev)).sum(dim=1)
    rows.append(
        (
            f"all-MiniLM-L6-v2, {len(dev)} SST-2 dev sentences: cosine to PyTorch",
            f"min {cosine.min():.6f}",
            "at least 0.999",
            f"mean {cosine.mean():.6f}",
        )
    )
    rows.append(gpt2_parity())
    return rows


def gpt2_parity() -> tuple:
    prompts = text_data.read_dataset(SST2_DEV, "sentence", "label").texts[:20]
    plain, fast = twins(lambda: stand_ins.gpt2(tiny=False))
    same = sum(greedy(plain, prompt, 20) == greedy(fast, prompt, 20) for prompt in prompts)
    return (
        f"GPT-2 124M greedy, first 20 new tokens, {len(prompts)} SST-2 sentences as prompts (random weights)",
        f"{same} of {len(prompts)} identical",
        "identical",
        "",
    )


def round_trip(repeats: int) -> list[tuple]:
    """/detect through gradio_client against plain PyTorch YOLO(...).predict plus one trivial round trip."""
    from gradio_client import handle_file
    from ultralytics import YOLO

    from harness.server import local_client, spawned
    from tasks import tokenizer

    photo = examples.bus()
    rows = []
    plain = YOLO(str(yolo_family.local_file("yolov8n.pt")))
    predict_ms = paired_ms(lambda: plain.predict(photo, verbose=False), lambda: None, repeats)[0]
    for label, env in (("OpenVINO", {}), ("PyTorch", {"SHOWCASE_RUNTIME": "torch"})):
        os.environ.update(env)
        try:
            with spawned(["-m", "harness.stand_in_server", "--tiny", "--preload"]) as (_, url, _):
                client = local_client(url)
                detect = partial(client.predict, handle_file(photo), 0.25, 0.45, "yolov8n.pt", api_name="/detect")
                trivial = partial(client.predict, "hello", *tokenizer.TASK.choices()[:2], api_name="/tokenize")
                detect_ms, trivial_ms = paired_ms(detect, trivial, repeats)
        finally:
            for name in env:
                del os.environ[name]
        rows.append((label, detect_ms, trivial_ms, predict_ms, (predict_ms + trivial_ms) / detect_ms))
    return rows


def stages(repeats: int) -> list[tuple]:
    """Where a /detect request's server time goes, step by step (OpenVINO YOLOv8n, bus photo)."""
    import io

    from PIL import Image

    from tasks import detection

    detector = yolo_family.load("yolov8n.pt")
    detector.warm()
    photo = examples.bus()
    image = open_image(photo)
    bgr = detector.preprocess(image)
    (result,) = detector.forward([bgr], 0.25, 0.45)
    annotated, _ = detection.postprocess(result)

    def median_ms(fn) -> float:
        return paired_ms(fn, lambda: None, repeats)[0]

    return [
        ("open and decode the upload (JPEG, 810x1080)", median_ms(lambda: open_image(photo))),
        ("RGB to BGR for Ultralytics", median_ms(lambda: detector.preprocess(image))),
        ("letterbox + network + NMS (Ultralytics, OpenVINO)", median_ms(lambda: detector.forward([bgr], 0.25, 0.45))),
        ("draw boxes + table (Ultralytics plot)", median_ms(lambda: detection.postprocess(result))),
        (
            "encode the result as JPEG (Gradio's output)",
            median_ms(lambda: Image.fromarray(annotated).save(io.BytesIO(), "JPEG")),
        ),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--skip-round-trip", action="store_true")
    parser.add_argument(
        "--only",
        nargs="+",
        choices=list(SPEED),
        help="time these model families only (parity: GPT-2's alone, when it is among them; no round trip)",
    )
    args = parser.parse_args()
    torch.set_num_threads(os.cpu_count())
    print(
        f"{os.cpu_count()} CPU cores, {platform.machine()}, torch {torch.__version__}, "
        f"OpenVINO {runtime.openvino_version()}, OpenVINO's precision here: {runtime.default_precision()}\n"
    )
    started = time.perf_counter()

    print("| model and input | PyTorch fp32 | OpenVINO | speed-up | unit |")
    print("|---|---:|---:|---:|---|")
    for name, plain, fast, unit, model in [
        row for family in (args.only or SPEED) for row in SPEED[family](args.repeats)
    ]:
        print(
            f"| {name} | {plain:.1f} | {fast:.1f} ({model.runtime} {model.precision}) | {plain / fast:.2f}x | {unit} |"
        )

    print("\n| parity check | result | target | detail |")
    print("|---|---|---|---|")
    checks = parity() if not args.only else [gpt2_parity()] if "gpt2" in args.only else []
    for row in checks:
        print("| " + " | ".join(row) + " |")

    if not (args.skip_round_trip or args.only):
        print(
            "\n| server runtime | /detect round trip ms | /tokenize round trip ms | YOLO(...).predict ms (PyTorch) "
            "| (predict + trivial) / detect |"
        )
        print("|---|---:|---:|---:|---:|")
        for label, detect_ms, trivial_ms, predict_ms, ratio in round_trip(args.repeats):
            print(f"| {label} | {detect_ms:.0f} | {trivial_ms:.0f} | {predict_ms:.0f} | {ratio:.2f}x |")
        print("\n| /detect step (in the server) | median ms |")
        print("|---|---:|")
        for step, ms in stages(args.repeats):
            print(f"| {step} | {ms:.1f} |")
    print(f"\n({time.perf_counter() - started:.0f} s)")


if __name__ == "__main__":
    main()
