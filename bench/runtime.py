"""The accelerated CPU runtime (OpenVINO) against plain PyTorch: speed per model, parity, round trip;
INT8 against the default runtime (speed and answers); the runtime ledger's own cost per tab.

    python -m bench.runtime [--repeats 15] [--skip-round-trip] [--only yolo resnet clip distilbert minilm gpt2]
    python -m bench.runtime --sections int8 ledger

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
from models import runtime, sentence_encoder
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
MINILM = "sentence-transformers/all-MiniLM-L6-v2"
SENTENCES = [
    "I can't log in to my account",
    "How do I reset my password?",
    "The weather is lovely today",
    "My payment was declined",
    "Where is my parcel?",
    "I love this phone",
    "Cancel my subscription",
]


# The instruction sets that decide what INT8 and bf16 gain (named with every figure).
CPU_FLAGS = {"avx2", "fma", "avx512f", "avx512_vnni", "avx_vnni", "avx512_bf16", "amx_tile", "amx_int8", "amx_bf16"}


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


def yolo_parity(name: str, images: list, pair=None, target: str = "at least 0.95") -> tuple:
    """mAP50-95 of the second model's detections against the first's (PyTorch's) on the photos, and
    the boxes above 0.5 confidence that it lost, named."""
    plain, fast = pair or twins(lambda: yolo_family.load(name))
    arrays = [fast.preprocess(image) for image in images]
    reference = [plain.forward([a], 0.25, 0.45)[0].boxes.data.numpy() for a in arrays]
    predicted = [fast.forward([a], 0.25, 0.45)[0].boxes.data.numpy() for a in arrays]
    map_50_95 = statistics.mean(average_precision(predicted, reference, t) for t in np.arange(0.5, 0.96, 0.05))
    lost = []
    for photo, pred, ref in zip(range(1, len(images) + 1), predicted, reference):
        for box in ref[ref[:, 4] > 0.5]:
            same = pred[pred[:, 5] == box[5]]
            if not len(same) or box_iou(box[None, :4], same[:, :4]).max() < 0.5:
                lost.append(f"photo {photo}: {fast.class_names[int(box[5])]} {box[4]:.2f}")
    strong = sum(int((ref[:, 4] > 0.5).sum()) for ref in reference)
    return (
        f"{name} ({fast.precision}), {len(images)} photos: mAP50-95 against PyTorch's detections",
        f"{map_50_95:.3f}",
        target,
        f"{len(lost)} of {strong} boxes above 0.5 lost{': ' + ', '.join(lost) if lost else ''}; "
        f"{sum(map(len, reference))} boxes in all",
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

    plain, fast = twins(lambda: sentence_encoder.load(MINILM))
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


INT8 = runtime.Choice("cpu", "openvino", "int8")
DEFAULT = runtime.Choice("cpu", "openvino", "")
REFERENCE = runtime.Choice("cpu", "torch", "fp32")


def built(choice: runtime.Choice, build):
    """A model built under a runtime choice and warmed (converted, quantized) there."""
    with runtime.choosing(choice):
        model = build()
        model.warm()
    return model


def int8_speed(repeats: int) -> list[tuple]:
    """The default runtime (OpenVINO, its precision here) against OpenVINO INT8, on the speed rows'
    inputs; GPT-2's decode step with INT8 weights against PyTorch generate."""
    bus = open_image(examples.bus())
    rows = []
    for name, build, call in (
        ("YOLOv8n (real weights), bus photo", partial(yolo_family.load, "yolov8n.pt"), None),
        ("ResNet-50, 1 image 224 px", lambda: stand_ins.resnet("resnet50", tiny=False), "top_k"),
        ("CLIP ViT-B/32 image tower, 1 image", lambda: stand_ins.clip(tiny=False), "embed_images"),
        ("DistilBERT SST-2, 1 line", lambda: stand_ins.sentiment(tiny=False), "classify"),
        ("all-MiniLM-L6-v2 (real weights), 7 sentences", partial(sentence_encoder.load, MINILM), "embed"),
    ):
        default, quantized = built(DEFAULT, build), built(INT8, build)
        if call is None:
            bgr = default.preprocess(bus)
            first, second = partial(default.forward, [bgr], 0.25, 0.45), partial(quantized.forward, [bgr], 0.25, 0.45)
        else:
            given = [bus] if call in ("top_k", "embed_images") else (REVIEWS[:1] if call == "classify" else SENTENCES)
            first, second = partial(getattr(default, call), given), partial(getattr(quantized, call), given)
        rows.append((name, *paired_ms(first, second, repeats), "ms", default, quantized))
    plain, quantized = (
        built(REFERENCE, partial(stand_ins.gpt2, tiny=False)),
        built(INT8, partial(stand_ins.gpt2, tiny=False)),
    )
    prompt = "The history of the city begins"
    rows.append(
        (
            "GPT-2 124M, 50 new tokens greedy (PyTorch generate against the INT8-weight decode step)",
            *paired_ms(lambda: greedy(plain, prompt, 50), lambda: greedy(quantized, prompt, 50), max(3, repeats // 3)),
            "ms per 50 tokens",
            plain,
            quantized,
        )
    )
    return rows


def int8_answers() -> list[tuple]:
    """INT8's answers against PyTorch fp32's: real weights against targets, stand-ins reported."""
    rows = [
        yolo_parity(
            "yolov8n.pt",
            photos(),
            (
                built(REFERENCE, partial(yolo_family.load, "yolov8n.pt")),
                built(INT8, partial(yolo_family.load, "yolov8n.pt")),
            ),
            "at least 0.9",
        )
    ]
    dev = text_data.read_dataset(SST2_DEV, "sentence", "label").texts
    plain, quantized = (built(choice, partial(sentence_encoder.load, MINILM)) for choice in (REFERENCE, INT8))
    cosine = (plain.embed(dev) * quantized.embed(dev)).sum(dim=1)
    rows.append(
        (
            f"all-MiniLM-L6-v2 INT8, {len(dev)} SST-2 dev sentences: cosine to PyTorch",
            f"min {cosine.min():.4f}",
            "at least 0.99",
            f"mean {cosine.mean():.4f}",
        )
    )
    imagenet = [open_image(path) for path in sorted(IMAGENET_SAMPLE.glob("*.JPEG"))]
    plain, quantized = (built(choice, lambda: stand_ins.resnet("resnet50", tiny=False)) for choice in (REFERENCE, INT8))
    batch = plain.preprocess(imagenet)
    same = (plain.forward(batch).argmax(1) == quantized.forward(batch).argmax(1)).float().mean().item()
    rows.append((f"ResNet-50 INT8 top-1, {len(imagenet)} ImageNet images (random weights)", f"{same:.0%} same", "", ""))
    plain, quantized = (built(choice, partial(stand_ins.sentiment, tiny=False)) for choice in (REFERENCE, INT8))
    a, b = ([row.ranking.first for row in model.classify(dev)] for model in (plain, quantized))
    rows.append(
        (
            f"DistilBERT SST-2 INT8, {len(dev)} dev sentences (random weights)",
            f"{sum(x == y for x, y in zip(a, b)) / len(dev):.1%} same label",
            "",
            "",
        )
    )
    plain, quantized = (built(choice, lambda: stand_ins.clip(tiny=False)) for choice in (REFERENCE, INT8))
    pixels = plain.preprocess(imagenet)
    cosine = (plain.forward(pixels) * quantized.forward(pixels)).sum(dim=1)
    rows.append(
        (
            f"CLIP ViT-B/32 image tower INT8, {len(imagenet)} ImageNet images: cosine to PyTorch (random weights)",
            f"min {cosine.min():.4f}",
            "",
            f"mean {cosine.mean():.4f}",
        )
    )
    prompts = text_data.read_dataset(SST2_DEV, "sentence", "label").texts[:20]
    plain, quantized = (built(choice, partial(stand_ins.gpt2, tiny=False)) for choice in (REFERENCE, INT8))
    same = sum(greedy(plain, prompt, 20) == greedy(quantized, prompt, 20) for prompt in prompts)
    rows.append(
        (
            f"GPT-2 124M INT8 weights greedy, first 20 new tokens, {len(prompts)} SST-2 sentences as prompts "
            "(random weights)",
            f"{same} of {len(prompts)} identical",
            "",
            "",
        )
    )
    return rows


def ledger_cost() -> list[tuple]:
    """Each ledger tab's first example through /runtimes' own function, twice on a fresh cache: the
    first click (every conversion and quantization), then a warm one; resident memory before and
    after. Full-size stand-ins where weights are missing (installed with their recipes)."""
    import tempfile

    import models
    from models import ledger
    from tasks import generation, similarity, text_classification, zero_shot
    from toolkit import runtime_ledger

    os.environ["SHOWCASE_CACHE"] = tempfile.mkdtemp(prefix="showcase-ledger-bench-")
    for model_id in stand_ins.missing_defaults(every_language=False):
        models.backend().install(
            model_id, stand_ins.build(model_id, tiny=False), partial(stand_ins.build, model_id, tiny=False)
        )
    inputs = {
        "detection": ("yolov8n.pt", examples.bus(), ""),
        "segmentation": ("yolo11n-seg.pt", examples.zidane(), ""),
        "image_classification": ("resnet50", examples.cheetah(), ""),
        "zero_shot": (zero_shot.TASK.default(), examples.cheetah(), "cheetah, leopard, lion, house cat, dog"),
        "text_classification": (text_classification.TASK.default(), None, text_classification.EXAMPLES[0]),
        "similarity": (MINILM, None, "\n".join([similarity.QUERIES[0], similarity.EXAMPLE_SENTENCES])),
        "generation": (generation.TASK.default(), None, generation.EXAMPLES[0]),
    }
    rows = []
    for tab, (model_id, image, text) in inputs.items():
        models.load(model_id)  # the tab's own model, loaded before: the ledger's copies are its cost
        runtime.return_freed_memory()
        before = ledger.resident_mib()
        started = time.perf_counter()
        runtime_ledger.api(tab, model_id, image, text)
        first_s = time.perf_counter() - started
        started = time.perf_counter()
        table, _ = runtime_ledger.api(tab, model_id, image, text)
        warm_s = time.perf_counter() - started
        runtime.return_freed_memory()
        after = ledger.resident_mib()
        rows.append((tab, model_id, first_s, warm_s, before, after, table))
    return rows


def ledger_round_trip() -> tuple[float, float]:
    """A warm /runtimes of the detection tab through gradio_client (the app served in this process,
    the models ledger_cost installed), against the same call in process: seconds each."""
    from gradio_client import handle_file

    from harness.server import serve
    from toolkit import runtime_ledger

    for client in serve({}):
        started = time.perf_counter()
        client.predict("detection", "yolov8n.pt", handle_file(examples.bus()), "", api_name="/runtimes")
        served_s = time.perf_counter() - started
    started = time.perf_counter()
    runtime_ledger.api("detection", "yolov8n.pt", examples.bus())
    return served_s, time.perf_counter() - started


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


SECTIONS = ("speed", "parity", "round-trip", "int8", "ledger")


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
    parser.add_argument("--sections", nargs="+", choices=SECTIONS, default=list(SECTIONS))
    args = parser.parse_args()
    sections = set(args.sections) - ({"round-trip"} if args.skip_round_trip or args.only else set())
    torch.set_num_threads(os.cpu_count())
    info = open("/proc/cpuinfo").read() if os.path.exists("/proc/cpuinfo") else ""
    flags = sorted(set(info.split()) & CPU_FLAGS)
    name = next((line.split(":", 1)[1].strip() for line in info.splitlines() if line.startswith("model name")), "")
    print(
        f"{os.cpu_count()} CPU cores, {platform.machine()} ({name or platform.processor() or 'CPU'}; flags: "
        f"{', '.join(flags) or 'none of ' + ', '.join(sorted(CPU_FLAGS))}), torch {torch.__version__}, "
        f"OpenVINO {runtime.openvino_version()}, NNCF {runtime.nncf_version()}, "
        f"OpenVINO's precision here: {runtime.default_precision()}\n"
    )
    started = time.perf_counter()

    if "speed" in sections:
        print("| model and input | PyTorch fp32 | OpenVINO | speed-up | unit |")
        print("|---|---:|---:|---:|---|")
        for name, plain, fast, unit, model in [
            row for family in (args.only or SPEED) for row in SPEED[family](args.repeats)
        ]:
            print(
                f"| {name} | {plain:.1f} | {fast:.1f} ({model.runtime} {model.precision}) | {plain / fast:.2f}x "
                f"| {unit} |"
            )

    if "parity" in sections:
        print("\n| parity check | result | target | detail |")
        print("|---|---|---|---|")
        checks = parity() if not args.only else [gpt2_parity()] if "gpt2" in args.only else []
        for row in checks:
            print("| " + " | ".join(row) + " |")

    if "round-trip" in sections:
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

    if "int8" in sections:
        print("\n| model and input | before | OpenVINO INT8 | speed-up | unit |")
        print("|---|---:|---:|---:|---|")
        for name, first, second, unit, model, quantized in int8_speed(args.repeats):
            print(
                f"| {name} | {first:.1f} ({model.runtime} {model.precision}) | {second:.1f} ({quantized.precision}) "
                f"| {first / second:.2f}x | {unit} |"
            )
        print("\n| INT8 answers against PyTorch fp32 | result | target | detail |")
        print("|---|---|---|---|")
        for row in int8_answers():
            print("| " + " | ".join(row) + " |")

    if "ledger" in sections:
        measured = ledger_cost()
        print("\n| tab | model | first click s (conversions) | warm click s | resident MiB before | after |")
        print("|---|---|---:|---:|---:|---:|")
        for tab, model_id, first_s, warm_s, before, after, _ in measured:
            change = after / before - 1
            print(f"| {tab} | {model_id} | {first_s:.1f} | {warm_s:.1f} | {before:.0f} | {after:.0f} ({change:+.1%}) |")
        served_s, in_process_s = ledger_round_trip()
        print(
            f"\nDetection's warm ledger through gradio_client: {served_s:.1f} s; the same call in process: "
            f"{in_process_s:.1f} s."
        )
        print("\n| tab | runtime | total ms | speed-up | memory MiB | agreement with PyTorch fp32 |")
        print("|---|---|---:|---:|---:|---|")
        for tab, _, _, _, _, _, table in measured:
            for row in table.to_dict("records"):
                cells = [
                    row[c] for c in ("Runtime", "Total (ms)", "Speed-up", "Memory (MiB)", "Agreement with PyTorch fp32")
                ]
                print(f"| {tab} | " + " | ".join(str(c) for c in cells) + " |")
    print(f"\n({time.perf_counter() - started:.0f} s)")


if __name__ == "__main__":
    main()
