"""CLIP zero-shot against a supervised ResNet on the same images (`/compare`, `/compare_batch`)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import gradio as gr
import pandas as pd

import examples
from tasks import common, image_classification, zero_shot

TASK = "compare"
TITLE = "CLIP vs ResNet"
CHOICES = common.model_choices(TASK)
RESNET_ID = image_classification.CHOICES[0]
TOP_K = 5
# Images loaded and sent through both models together in batch mode.
CHUNK = 16
IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp", ".webp", ".gif", ".tif", ".tiff"}
WNID_PREFIX = re.compile(r"^n\d{8}_")


def imagenet_classes() -> list[str]:
    """The 1,000 names ResNet answers with: CLIP's default labels, so both answer the same question."""
    return image_classification.weights_for(RESNET_ID).meta["categories"]


def candidate_labels(labels_text: str | None) -> list[str]:
    return zero_shot.parse_labels(labels_text) if labels_text and labels_text.strip() else imagenet_classes()


def true_label(path: str | Path) -> str | None:
    """The class a file name carries, as in ImageNet samples named `<wnid>_<class>.JPEG`."""
    stem = Path(path).stem
    if not WNID_PREFIX.match(stem):
        return None
    return WNID_PREFIX.sub("", stem).replace("_", " ")


def same_label(a: str | None, b: str | None) -> bool:
    return a is not None and b is not None and a.casefold() == b.casefold()


def first(top: dict[str, float]) -> str:
    return next(iter(top))


@dataclass
class Comparison:
    resnet_top: list[dict[str, float]]
    clip_top: list[dict[str, float]]
    resnet_ms: float  # forward time for all images
    clip_ms: float  # image forward, plus label text on its first use

    def agree(self, row: int) -> bool:
        return same_label(first(self.resnet_top[row]), first(self.clip_top[row]))


def compare(
    classifier: image_classification.Classifier,
    zs: zero_shot.ZeroShotModel,
    images: list,
    labels: list[str],
    ensemble: bool = False,
) -> Comparison:
    """Pure predict function: both models' top-5 for each image, with their forward times."""
    resnet_top, resnet_ms = image_classification.classify(classifier, images, TOP_K)
    clip = zero_shot.classify(zs, images, labels, ensemble)
    clip_top = [clip.top(row, TOP_K) for row in range(len(images))]
    return Comparison(resnet_top, clip_top, resnet_ms, clip.image_ms + clip.text_ms)


def image_files(paths: list[str | Path]) -> list[Path]:
    """Image files among uploads and folders, sorted by name."""
    found: list[Path] = []
    for path in map(Path, paths):
        candidates = sorted(path.rglob("*")) if path.is_dir() else [path]
        found += [p for p in candidates if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES]
    return sorted(set(found), key=lambda p: p.name)


def hit(truth: str | None, top: dict[str, float], k: int) -> bool | None:
    if truth is None:
        return None
    return any(same_label(truth, label) for label in list(top)[:k])


def compare_batch(
    classifier: image_classification.Classifier,
    zs: zero_shot.ZeroShotModel,
    paths: list[str | Path],
    labels: list[str],
    ensemble: bool = False,
    on_progress: Callable[[int, int], None] | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame, list[str]]:
    """Both models over many images: a row per image, a summary per model, and the files skipped."""
    files = image_files(paths)
    if not files:
        raise common.ShowcaseError("No image files found: upload JPEG or PNG images, or a folder of them.")
    rows, skipped = [], []
    resnet_ms = clip_ms = 0.0
    zero_shot.text_embeddings(zs, labels, zero_shot.templates_for(zs, ensemble))  # once, not timed per image
    for start in range(0, len(files), CHUNK):
        batch, images = [], []
        for path in files[start : start + CHUNK]:
            try:
                images.append(common.open_image(path))
                batch.append(path)
            except common.ShowcaseError as error:
                skipped.append(f"{path.name}: {error}")
        if images:
            result = compare(classifier, zs, images, labels, ensemble)
            resnet_ms += result.resnet_ms
            clip_ms += result.clip_ms
            for row, path in enumerate(batch):
                truth = true_label(path)
                rows.append(
                    {
                        "image": path.name,
                        "true class": truth,
                        "ResNet": first(result.resnet_top[row]),
                        "ResNet p": next(iter(result.resnet_top[row].values())),
                        "CLIP": first(result.clip_top[row]),
                        "CLIP p": next(iter(result.clip_top[row].values())),
                        "agree": result.agree(row),
                        "ResNet top-1": hit(truth, result.resnet_top[row], 1),
                        "ResNet top-5": hit(truth, result.resnet_top[row], TOP_K),
                        "CLIP top-1": hit(truth, result.clip_top[row], 1),
                        "CLIP top-5": hit(truth, result.clip_top[row], TOP_K),
                    }
                )
        if on_progress:
            on_progress(min(start + CHUNK, len(files)), len(files))
    if not rows:
        raise common.ShowcaseError("None of the files could be read as images: " + "; ".join(skipped[:5]))
    table = pd.DataFrame(rows)
    return table, summarise(table, resnet_ms, clip_ms), skipped


def summarise(table: pd.DataFrame, resnet_ms: float, clip_ms: float) -> pd.DataFrame:
    """Accuracy (over images whose file name gives the class), agreement and mean latency per model."""
    labelled = table[table["true class"].notna()]

    def accuracy(column: str) -> float | None:
        return round(float(labelled[column].astype(bool).mean()), 4) if len(labelled) else None

    agreement = round(float(table["agree"].mean()), 4)
    return pd.DataFrame(
        [
            {
                "model": name,
                "top-1 accuracy": accuracy(f"{name} top-1"),
                "top-5 accuracy": accuracy(f"{name} top-5"),
                "agreement": agreement,
                "mean ms / image": round(ms / len(table), 1),
                "images": len(table),
                "labelled": len(labelled),
            }
            for name, ms in (("ResNet", resnet_ms), ("CLIP", clip_ms))
        ]
    )


def chart_data(summary: pd.DataFrame) -> pd.DataFrame:
    """Long format for the bar chart: each model's accuracies, then one agreement bar."""
    bars = [
        {"bar": f"{row.model} {measure}", "model": row.model, "value": row[measure]}
        for _, row in summary.iterrows()
        for measure in ("top-1 accuracy", "top-5 accuracy")
    ]
    bars.append({"bar": "agreement", "model": "both", "value": summary["agreement"].iloc[0]})
    return pd.DataFrame(bars).dropna(subset=["value"])


def load_models(model_id: str):
    return image_classification.get_model(RESNET_ID), zero_shot.get_model(model_id)


def verdict(result: Comparison, labels: list[str]) -> str:
    resnet, clip = first(result.resnet_top[0]), first(result.clip_top[0])
    agreement = "**They agree**" if result.agree(0) else "**They disagree**"
    label_set = "the 1,000 ImageNet classes" if labels == imagenet_classes() else f"your {len(labels)} labels"
    return (
        f"{agreement}: ResNet says *{resnet}*, CLIP says *{clip}* (CLIP chose among {label_set}).\n\n"
        f"ResNet-50 {result.resnet_ms:.0f} ms · CLIP {result.clip_ms:.0f} ms"
    )


def prompt_progress(progress: gr.Progress) -> Callable[[int, int], None]:
    def report(done: int, total: int) -> None:
        progress(done / total, desc=f"Encoding {total:,} label prompts for CLIP (once per label set)")

    return report


@common.user_errors
def run(image, labels_text, ensemble, model_id, progress=gr.Progress()):
    labels = candidate_labels(labels_text)
    rgb = common.open_image(image)
    progress(0, desc="Loading models")
    classifier, zs = load_models(model_id)
    zero_shot.text_embeddings(zs, labels, zero_shot.templates_for(zs, ensemble), prompt_progress(progress))
    result = compare(classifier, zs, [rgb], labels, ensemble)
    device = f"\n\nDevice: `{classifier.device.type}`"
    return result.resnet_top[0], result.clip_top[0], verdict(result, labels) + device


@common.user_errors
def run_batch(files, labels_text, ensemble, model_id, progress=gr.Progress()):
    if not files:
        raise common.ShowcaseError("Upload some images (or a folder) first.")
    labels = candidate_labels(labels_text)
    progress(0, desc="Loading models")
    classifier, zs = load_models(model_id)
    zero_shot.text_embeddings(zs, labels, zero_shot.templates_for(zs, ensemble), prompt_progress(progress))

    def report(done: int, total: int) -> None:
        progress(done / total, desc=f"{done}/{total} images")

    paths = [getattr(f, "name", f) for f in files]
    table, summary, skipped = compare_batch(classifier, zs, paths, labels, ensemble, report)
    note = f"Skipped {len(skipped)} file(s): " + "; ".join(skipped) if skipped else ""
    return table, summary, chart_data(summary), note


def build_ui() -> None:
    gr.Markdown(
        "Puts **CLIP** (zero-shot, from text prompts) beside a supervised **ResNet-50** (trained on "
        "ImageNet's labels). CLIP's candidates default to the same 1,000 ImageNet classes, so both "
        "answer the same question; type your own labels to change CLIP's."
    )
    with gr.Row():
        labels = gr.Textbox(label="CLIP labels (empty: the 1,000 ImageNet classes)", placeholder="cat, dog, car")
        ensemble = gr.Checkbox(value=False, label="Prompt ensemble (slower the first time)")
        model_id = gr.Dropdown(CHOICES, value=CHOICES[0], label="CLIP model")
    with gr.Tab("One image"):
        with gr.Row():
            with gr.Column():
                image = common.image_input()
                button = gr.Button("Compare", variant="primary")
            resnet_label = gr.Label(num_top_classes=TOP_K, label="ResNet-50 top 5")
            clip_label = gr.Label(num_top_classes=TOP_K, label="CLIP top 5")
        verdict_box = gr.Markdown()
        gr.Examples([[examples.cheetah()], [examples.lion()], [examples.tower()]], inputs=[image])
    with gr.Tab("Many images"):
        gr.Markdown(
            "Upload images or a folder. File names of the form `<wnid>_<class>.JPEG` (as in ImageNet "
            "samples) give the true class, and with it each model's accuracy."
        )
        with gr.Row():
            files = gr.File(file_count="multiple", file_types=["image"], label="Images")
            folder = gr.File(file_count="directory", label="…or a folder")
        batch_button = gr.Button("Compare all", variant="primary")
        note = gr.Markdown()
        summary = gr.DataFrame(label="Summary")
        chart = gr.BarPlot(x="bar", y="value", color="model", y_lim=[0, 1], label="Accuracy and agreement")
        table = gr.DataFrame(label="Per image", wrap=True)
    button.click(
        run, [image, labels, ensemble, model_id], [resnet_label, clip_label, verdict_box], api_name="compare"
    )
    batch_outputs = [table, summary, chart, note]
    batch_button.click(run_batch, [files, labels, ensemble, model_id], batch_outputs, api_name="compare_batch")
    folder.upload(run_batch, [folder, labels, ensemble, model_id], batch_outputs, api_visibility="private")


def preload() -> None:
    _, zs = load_models(CHOICES[0])
    zero_shot.text_embeddings(zs, imagenet_classes(), zero_shot.templates_for(zs, ensemble=False))
