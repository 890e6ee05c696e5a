"""CLIP zero-shot against a supervised ImageNet classifier on the same images (`/compare`, `/compare_batch`)."""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import gradio as gr
import pandas as pd

import examples
import models
from models.clip import Clip
from models.device import Stopwatch
from models.errors import ShowcaseError
from models.image_classifier import ImageClassifier, categories
from models.tensors import IMAGES_PER_PASS, ranked
from toolkit import ui
from toolkit.i18n import t
from toolkit.inputs import open_image, parse_labels
from toolkit.messages import in_visitor_language, message, with_columns_translated
from toolkit.task import Task

TOP_K = 5
IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp", ".webp", ".gif", ".tif", ".tiff"}
WNID_PREFIX = re.compile(r"^n\d{8}_")


def candidate_labels(classifier_id: str, labels_text: str | None) -> list[str]:
    """The labels typed, or the classifier's own 1,000 classes, so that both answer the same question."""
    return parse_labels(labels_text) if labels_text and labels_text.strip() else categories(classifier_id)


def true_label(path: str | Path) -> str | None:
    """The class a file name carries, as in ImageNet samples named `<wnid>_<class>.JPEG`."""
    stem = Path(path).stem
    return WNID_PREFIX.sub("", stem).replace("_", " ") if WNID_PREFIX.match(stem) else None


def same_label(a: str | None, b: str | None) -> bool:
    return a is not None and b is not None and a.casefold() == b.casefold()


def first(top: dict[str, float]) -> str:
    return next(iter(top))


def hit(truth: str | None, top: dict[str, float], k: int) -> bool | None:
    return None if truth is None else any(same_label(truth, label) for label in list(top)[:k])


@dataclass
class Comparison:
    classifier_top: list[dict[str, float]]
    clip_top: list[dict[str, float]]
    classifier_ms: float  # forward time for all images
    clip_ms: float  # image forward, plus label text on its first use

    def agree(self, row: int) -> bool:
        return same_label(first(self.classifier_top[row]), first(self.clip_top[row]))


def compare(
    classifier: ImageClassifier, clip: Clip, images: list, labels: list[str], ensemble: bool = False
) -> Comparison:
    """Pure predict function: both models' top-5 for each image, with their forward times."""
    rgb = [open_image(image) for image in images]
    classifier_watch, clip_watch = Stopwatch(), Stopwatch()
    with classifier_watch.measure(classifier.device):
        logits = classifier.forward(classifier.preprocess(rgb))
    pixels = clip.preprocess(rgb)
    with clip_watch.measure(clip.device):
        probabilities = clip.probabilities(clip.forward(pixels), clip.label_embeddings(labels, ensemble))
    return Comparison(
        [ranked(row, classifier.categories, TOP_K) for row in logits.softmax(dim=-1).cpu()],
        [ranked(row, labels, TOP_K) for row in probabilities],
        classifier_watch.ms,
        clip_watch.ms,
    )


def image_files(paths: list[str | Path]) -> list[Path]:
    """Image files among uploads and folders, sorted by name."""
    found: list[Path] = []
    for path in map(Path, paths):
        candidates = sorted(path.rglob("*")) if path.is_dir() else [path]
        found += [p for p in candidates if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES]
    return sorted(set(found), key=lambda p: p.name)


def table_row(path: Path, name: str, result: Comparison, row: int) -> dict:
    """One image's row: each model's answer, whether they agree, and hits when the file name gives the class."""
    truth, answers = true_label(path), {name: result.classifier_top[row], "CLIP": result.clip_top[row]}
    cells = {"image": path.name, "true class": truth}
    for model, top in answers.items():
        cells |= {model: first(top), f"{model} p": next(iter(top.values()))}
    cells["agree"] = result.agree(row)
    return cells | {f"{model} top-{k}": hit(truth, top, k) for model, top in answers.items() for k in (1, TOP_K)}


def compare_batch(
    classifier: ImageClassifier,
    clip: Clip,
    paths: list[str | Path],
    labels: list[str],
    ensemble: bool = False,
    on_progress: Callable[[int, int], None] | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame, list[str]]:
    """Both models over many images: a row per image, a summary per model, and the files skipped."""
    files = image_files(paths)
    if not files:
        raise ShowcaseError("No image files found: upload JPEG or PNG images, or a folder of them.")
    name = models.label(classifier.model_id)
    rows, skipped = [], []
    classifier_ms = clip_ms = 0.0
    clip.label_embeddings(labels, ensemble)  # once, not timed per image
    for start in range(0, len(files), IMAGES_PER_PASS):
        batch, images = [], []
        for path in files[start : start + IMAGES_PER_PASS]:
            try:
                images.append(open_image(path))
                batch.append(path)
            except ShowcaseError as error:
                skipped.append(f"{path.name}: {in_visitor_language(error.text)}")
        if images:
            result = compare(classifier, clip, images, labels, ensemble)
            classifier_ms += result.classifier_ms
            clip_ms += result.clip_ms
            rows += [table_row(path, name, result, row) for row, path in enumerate(batch)]
        if on_progress:
            on_progress(min(start + IMAGES_PER_PASS, len(files)), len(files))
    if not rows:
        raise ShowcaseError("None of the files could be read as images: {skipped}", skipped="; ".join(skipped[:5]))
    table = pd.DataFrame(rows)
    return table, summarise(table, {name: classifier_ms, "CLIP": clip_ms}), skipped


def summarise(table: pd.DataFrame, ms_by_model: dict[str, float]) -> pd.DataFrame:
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
            for name, ms in ms_by_model.items()
        ]
    )


def chart_data(summary: pd.DataFrame) -> pd.DataFrame:
    """Long format for the bar chart: each model's accuracies, then one agreement bar."""
    bars = [
        {"bar": f"{row.model} {message(measure)}", "model": row.model, "value": row[measure]}
        for _, row in summary.iterrows()
        for measure in ("top-1 accuracy", "top-5 accuracy")
    ]
    bars.append({"bar": message("agreement"), "model": message("both"), "value": summary["agreement"].iloc[0]})
    return pd.DataFrame(bars).dropna(subset=["value"])


def verdict(classifier_id: str, result: Comparison, labels: list[str]) -> str:
    name = models.label(classifier_id)
    # CLIP's answer may be a label the visitor typed: escaped, it shows as text, never as markup.
    theirs, clip = html.escape(first(result.classifier_top[0])), html.escape(first(result.clip_top[0]))
    agreement = message("**They agree**") if result.agree(0) else message("**They disagree**")
    label_set = (
        message("the 1,000 ImageNet classes")
        if labels == categories(classifier_id)
        else message("your {count} labels", count=len(labels))
    )
    return (
        message(
            "{agreement}: {name} says *{theirs}*, CLIP says *{clip}* (CLIP chose among {label_set}).",
            agreement=agreement,
            name=name,
            theirs=theirs,
            clip=clip,
            label_set=label_set,
        )
        + f"\n\n{name} {result.classifier_ms:.0f} ms · CLIP {result.clip_ms:.0f} ms"
    )


def load_models(
    classifier_id: str, clip_id: str, labels: list[str], ensemble: bool, progress
) -> tuple[ImageClassifier, Clip]:
    """Both models, and CLIP's label embeddings with progress (the 1,000 classes take a while once)."""
    progress(0, desc=message("Loading models"))
    classifier, clip = TASK.load(classifier_id, "classifier"), TASK.load(clip_id, "clip")
    clip.label_embeddings(
        labels,
        ensemble,
        lambda done, total: progress(
            done / total, desc=message("Encoding {total:,} label prompts for CLIP (once per label set)", total=total)
        ),
    )
    return classifier, clip


@ui.user_errors
def run(image, labels_text, ensemble, clip_id, classifier_id=None, progress=gr.Progress()):
    """Asks an ImageNet classifier and CLIP zero-shot the same question about one photo.

    Args:
        image: the photo (JPEG, PNG, WebP or HEIC)
        labels_text: CLIP's labels, comma-separated; empty: the classifier's 1,000 ImageNet classes
    """
    classifier_id = classifier_id or TASK.default("classifier")
    labels = candidate_labels(TASK.check(classifier_id, "classifier"), labels_text)
    rgb = open_image(image)
    classifier, clip = load_models(classifier_id, clip_id, labels, ensemble, progress)
    result = compare(classifier, clip, [rgb], labels, ensemble)
    return result.classifier_top[0], result.clip_top[0], verdict(classifier_id, result, labels)


@ui.user_errors
@ui.gpu_seconds(120)
def run_batch(files, labels_text, ensemble, clip_id, classifier_id=None, progress=gr.Progress()):
    """The same comparison over many photos (or a folder); a name like n02123045_tabby.jpg gives the true class."""
    if not files:
        raise ShowcaseError("Upload some images (or a folder) first.")
    classifier_id = classifier_id or TASK.default("classifier")
    labels = candidate_labels(TASK.check(classifier_id, "classifier"), labels_text)
    classifier, clip = load_models(classifier_id, clip_id, labels, ensemble, progress)
    paths = [getattr(f, "name", f) for f in files]
    table, summary, skipped = compare_batch(
        classifier,
        clip,
        paths,
        labels,
        ensemble,
        lambda done, total: progress(done / total, desc=message("{done}/{total} images", done=done, total=total)),
    )
    note = (
        message("Skipped {count} file(s): {skipped}", count=len(skipped), skipped="; ".join(skipped)) if skipped else ""
    )
    return with_columns_translated(table), with_columns_translated(summary), chart_data(summary), note


def build_ui() -> None:
    gr.Markdown(
        t(
            "Puts **CLIP** (zero-shot, from text prompts) beside a supervised **ImageNet classifier** (trained "
            "on ImageNet's labels). CLIP's candidates default to the same 1,000 ImageNet classes, so both "
            "answer the same question; type your own labels to change CLIP's."
        )
    )
    with gr.Row():
        labels = gr.Textbox(label=t("CLIP labels (empty: the 1,000 ImageNet classes)"), placeholder=t("cat, dog, car"))
        ensemble = gr.Checkbox(value=False, label=t("Prompt ensemble (slower the first time)"))
        clip_id = ui.model_dropdown(TASK, "clip", "CLIP model")
        classifier_id = ui.model_dropdown(TASK, "classifier", "ImageNet classifier")
    with gr.Tab(t("One image")):
        with gr.Row():
            with gr.Column():
                image = ui.image_input()
                button = gr.Button(t("Compare"), variant="primary")
            classifier_label = gr.Label(num_top_classes=TOP_K, label=t("ImageNet classifier top 5"))
            clip_label = gr.Label(num_top_classes=TOP_K, label=t("CLIP top 5"))
        verdict_box = gr.Markdown(label=t("Verdict"))
        gr.Examples([[examples.cheetah()], [examples.lion()], [examples.tower()]], inputs=[image])
    with gr.Tab(t("Many images")):
        gr.Markdown(
            t(
                "Upload images or a folder. File names of the form `<wnid>_<class>.JPEG` (as in ImageNet "
                "samples) give the true class, and with it each model's accuracy."
            )
        )
        with gr.Row():
            files = gr.File(file_count="multiple", file_types=["image"], label=t("Images"))
            folder = gr.File(file_count="directory", label=t("…or a folder"))
        batch_button = gr.Button(t("Compare all"), variant="primary")
        note = gr.Markdown(label=t("Note"))
        summary = gr.DataFrame(label=t("Summary"))
        chart = gr.BarPlot(x="bar", y="value", color="model", y_lim=[0, 1], label=t("Accuracy and agreement"))
        table = gr.DataFrame(label=t("Per image"), wrap=True)
    settings = [labels, ensemble, clip_id, classifier_id]
    button.click(run, [image, *settings], [classifier_label, clip_label, verdict_box], api_name="compare")
    batch_outputs = [table, summary, chart, note]
    batch_button.click(run_batch, [files, *settings], batch_outputs, api_name="compare_batch")
    folder.upload(run_batch, [folder, *settings], batch_outputs, api_visibility="private")


def preload() -> None:
    classifier_id = TASK.default("classifier")
    load_models(classifier_id, TASK.default("clip"), categories(classifier_id), False, lambda *a, **k: None)


TASK = Task(
    __name__, "CLIP vs ResNet", "Vision", {"classifier": ("image_classifier",), "clip": ("clip",)}, build_ui, preload
)
