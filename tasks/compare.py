"""CLIP zero-shot against a supervised ImageNet classifier on the same images (`/compare`, `/compare_batch`)."""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import gradio as gr
import pandas as pd
from PIL import Image

import examples
import models
from i18n import N_
from models.base import Answers, Ranking
from models.clip import Clip, Labels
from models.errors import ShowcaseError
from models.image_classifier import DATASET, ImageClassifier, categories
from models.tensors import IMAGES_PER_PASS
from toolkit import class_explanations, heatmaps, runtime_ledger, sharing, ui
from toolkit.inputs import number, open_image, parse_labels
from toolkit.interface import t
from toolkit.messages import class_names, in_visitor_language, message, with_columns_translated
from toolkit.runtime_ledger import LedgerCall
from toolkit.task import Endpoint, Task

TOP_K = 5
IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp", ".webp", ".gif", ".tif", ".tiff"}
WNID_PREFIX = re.compile(r"^n\d{8}_")
# Column titles: English here, in the visitor's language on screen (N_ marks them for the catalogs).
IMAGE = N_("image")
TRUE_CLASS = N_("true class")
AGREE = N_("agree")
MODEL = N_("model")
IMAGES = N_("images")
LABELLED = N_("labelled")
TOP_1 = N_("top-1 accuracy")
TOP_5 = N_("top-5 accuracy")
AGREEMENT = N_("agreement")
MEAN_MS = N_("mean ms / image")


def candidate_labels(classifier_id: str, labels_text: str | None) -> Labels:
    """The labels typed, or the classifier's own 1,000 classes, so that both answer the same question."""
    if labels_text and labels_text.strip():
        return Labels(tuple(parse_labels(labels_text)))
    return Labels(tuple(categories(classifier_id)), DATASET)


def true_label(path: str | Path) -> str | None:
    """The class a file name carries, as in ImageNet samples named `<wnid>_<class>.JPEG`."""
    stem = Path(path).stem
    return WNID_PREFIX.sub("", stem).replace("_", " ") if WNID_PREFIX.match(stem) else None


def same_label(a: str | None, b: str | None) -> bool:
    return a is not None and b is not None and a.casefold() == b.casefold()


@dataclass
class Comparison:
    """Both models' answers on the same images, with the names each answer is shown by."""

    classifier: Answers[Ranking]  # indices into the classifier's categories
    clip: Answers[Ranking]  # indices into the labels
    categories: list[str]  # the classifier's classes, in English
    labels: Labels
    classifier_names: list[str]  # its classes as shown (the visitor's language)
    clip_names: list[str]  # the labels as shown

    def classifier_top(self, row: int) -> dict[str, float]:
        return self.classifier[row].named(self.classifier_names)

    def clip_top(self, row: int) -> dict[str, float]:
        return self.clip[row].named(self.clip_names)

    def agree(self, row: int) -> bool:
        """Whether both models' first answers name the same class: by index over ImageNet's classes,
        by name (English or as shown) over labels a visitor typed."""
        theirs, clips = self.classifier[row].first, self.clip[row].first
        if self.labels.dataset == DATASET:
            return theirs == clips
        typed = self.labels.names[clips]
        return same_label(self.categories[theirs], typed) or same_label(self.classifier_names[theirs], typed)

    def hit(self, truth: str | None, row: int, model: str, k: int) -> bool | None:
        """Whether a model's top k holds the file name's class (None: the name gives none)."""
        if truth is None:
            return None
        names = self.categories if model == "classifier" else list(self.labels.names)
        ranking = self.classifier[row] if model == "classifier" else self.clip[row]
        return any(same_label(truth, names[index]) for index in ranking.indices[:k])


def compare(
    classifier: ImageClassifier,
    clip: Clip,
    images: list[Image.Image],
    labels: Labels,
    ensemble: bool = False,
    on_progress: Callable[[int, int], None] | None = None,
) -> Comparison:
    """Pure predict function: both models' top 5 for each (opened) image, one call to each model.
    on_progress(prompts done, prompts) while CLIP encodes a new label set."""
    theirs = classifier.top_k(images, TOP_K)
    clips = clip.classify(images, labels, ensemble, TOP_K, on_progress=on_progress)
    classifier_names = class_names(DATASET, classifier.categories)
    clip_names = class_names(labels.dataset, labels.names) if labels.dataset else list(labels.names)
    return Comparison(theirs, clips, classifier.categories, labels, classifier_names, clip_names)


def image_files(paths: list[str | Path]) -> list[Path]:
    """Image files among uploads and folders, sorted by name."""
    found: list[Path] = []
    for path in map(Path, paths):
        candidates = sorted(path.rglob("*")) if path.is_dir() else [path]
        found += [p for p in candidates if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES]
    return sorted(set(found), key=lambda p: p.name)


def table_row(path: Path, name: str, result: Comparison, row: int) -> dict:
    """One image's row: each model's answer, whether they agree, and hits when the file name gives the class."""
    truth = true_label(path)
    shown_truth = truth
    if truth in result.categories:
        shown_truth = result.classifier_names[result.categories.index(truth)]
    cells = {IMAGE: path.name, TRUE_CLASS: shown_truth}
    for model, top in ((name, result.classifier_top(row)), ("CLIP", result.clip_top(row))):
        answer, probability = next(iter(top.items()))
        cells |= {model: answer, f"{model} p": probability}
    cells[AGREE] = result.agree(row)
    for model, key in ((name, "classifier"), ("CLIP", "clip")):
        cells |= {f"{model} top-{k}": result.hit(truth, row, key, k) for k in (1, TOP_K)}
    return cells


def column_titles(name: str) -> dict[str, str]:
    """The per-image table's columns that name a model, in the visitor's language."""
    titles = {}
    for model in (name, "CLIP"):
        titles[f"{model} p"] = message("{model} p", model=model)
        titles |= {f"{model} top-{k}": message("{model} top-{k}", model=model, k=k) for k in (1, TOP_K)}
    return titles


def compare_batch(
    classifier: ImageClassifier,
    clip: Clip,
    paths: list[str | Path],
    labels: Labels,
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
            classifier_ms += result.classifier.timings["forward"]
            clip_ms += result.clip.timings["forward"]
            rows += [table_row(path, name, result, row) for row, path in enumerate(batch)]
        if on_progress:
            on_progress(min(start + IMAGES_PER_PASS, len(files)), len(files))
    if not rows:
        raise ShowcaseError("None of the files could be read as images: {skipped}", skipped="; ".join(skipped[:5]))
    table = pd.DataFrame(rows)
    return table, summarise(table, {name: classifier_ms, "CLIP": clip_ms}), skipped


def summarise(table: pd.DataFrame, ms_by_model: dict[str, float]) -> pd.DataFrame:
    """Accuracy (over images whose file name gives the class), agreement and mean latency per model."""
    labelled = table[table[TRUE_CLASS].notna()]

    def accuracy(column: str) -> float | None:
        return round(float(labelled[column].astype(bool).mean()), 4) if len(labelled) else None

    agreement = round(float(table[AGREE].mean()), 4)
    return pd.DataFrame(
        [
            {
                MODEL: name,
                TOP_1: accuracy(f"{name} top-1"),
                TOP_5: accuracy(f"{name} top-{TOP_K}"),
                AGREEMENT: agreement,
                MEAN_MS: round(ms / len(table), 1),
                IMAGES: len(table),
                LABELLED: len(labelled),
            }
            for name, ms in ms_by_model.items()
        ]
    )


def chart_data(summary: pd.DataFrame) -> pd.DataFrame:
    """Long format for the bar chart: each model's accuracies, then one agreement bar."""
    bars = [
        {"bar": f"{row[MODEL]} {message(measure)}", "model": row[MODEL], "value": row[measure]}
        for _, row in summary.iterrows()
        for measure in (TOP_1, TOP_5)
    ]
    bars.append({"bar": message(AGREEMENT), "model": message("both"), "value": summary[AGREEMENT].iloc[0]})
    return pd.DataFrame(bars).dropna(subset=["value"])


def verdict(classifier_id: str, result: Comparison) -> str:
    name = models.label(classifier_id)
    # CLIP's answer may be a label the visitor typed: escaped, it shows as text, never as markup.
    theirs, clip = (html.escape(next(iter(top))) for top in (result.classifier_top(0), result.clip_top(0)))
    agreement = message("**They agree**") if result.agree(0) else message("**They disagree**")
    label_set = (
        message("the 1,000 ImageNet classes")
        if result.labels.dataset == DATASET
        else message("your {count} labels", count=len(result.labels))
    )
    timings = f"{name} {result.classifier.timings['forward']:.0f} ms · CLIP {result.clip.timings.total_ms:.0f} ms"
    return (
        message(
            "{agreement}: {name} says *{theirs}*, CLIP says *{clip}* (CLIP chose among {label_set}).",
            agreement=agreement,
            name=name,
            theirs=theirs,
            clip=clip,
            label_set=label_set,
        )
        + f"\n\n{timings}"
    )


def prompts_progress(progress) -> Callable[[int, int], None]:
    """CLIP's progress encoding a new label set (the 1,000 classes take a while, once)."""

    def report(done: int, total: int) -> None:
        progress(
            done / total, desc=message("Encoding {total:,} label prompts for CLIP (once per label set)", total=total)
        )

    return report


@ui.user_errors
def run(image, labels_text, ensemble, clip_id, classifier_id=None, progress=gr.Progress()):
    """Asks an ImageNet classifier and CLIP zero-shot the same question about one photo.

    Args:
        image: the photo (JPEG, PNG, WebP or HEIC)
        labels_text: CLIP's labels, comma-separated; empty: the classifier's 1,000 ImageNet classes
    """
    classifier_id = TASK.check(classifier_id or TASK.default("classifier"), "classifier")
    labels = candidate_labels(classifier_id, labels_text)
    photo = open_image(image)
    progress(0, desc=message("Loading models"))
    classifier, clip = TASK.load(classifier_id, "classifier"), TASK.load(clip_id, "clip")
    result = compare(classifier, clip, [photo], labels, ensemble, prompts_progress(progress))
    return result.classifier_top(0), result.clip_top(0), verdict(classifier_id, result)


@ui.user_errors
@ui.gpu_seconds(120)
def run_batch(files, labels_text, ensemble, clip_id, classifier_id=None, progress=gr.Progress()):
    """The same comparison over many photos (or a folder); a name like n02123045_tabby.jpg gives the true class.

    Args:
        files: the photos (JPEG, PNG, WebP or HEIC)
        labels_text: CLIP's labels, comma-separated; empty: the classifier's 1,000 ImageNet classes
    """
    if not files:
        raise ShowcaseError("Upload some images (or a folder) first.")
    classifier_id = TASK.check(classifier_id or TASK.default("classifier"), "classifier")
    labels = candidate_labels(classifier_id, labels_text)
    progress(0, desc=message("Loading models"))
    classifier, clip = TASK.load(classifier_id, "classifier"), TASK.load(clip_id, "clip")
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
    titles = column_titles(models.label(classifier_id))
    return with_columns_translated(table, titles), with_columns_translated(summary), chart_data(summary), note


def explained(image, labels_text, ensemble, clip_id, classifier_id):
    """The photo opened and each model's heatmap for its first answer, with the lines that say so."""
    classifier_id = TASK.check(classifier_id or TASK.default("classifier"), "classifier")
    labels = candidate_labels(classifier_id, labels_text)
    photo = open_image(image)
    classifier, clip = TASK.load(classifier_id, "classifier"), TASK.load(clip_id, "clip")
    theirs, their_line = class_explanations.of_class(classifier, photo, 1)
    names = class_names(labels.dataset, labels.names) if labels.dataset else list(labels.names)
    clips, clip_line = class_explanations.of_label(clip, photo, labels, names, bool(ensemble), 1)
    return photo, theirs, clips, f"{their_line}\n\n{clip_line}"


@ui.user_errors
def explain(image, labels_text, ensemble, clip_id, classifier_id=None, opacity=heatmaps.OPACITY):
    """Shows where in a photo each model finds its first answer, side by side: the ImageNet
    classifier's class activation map (Grad-CAM for it) and CLIP's Grad-CAM for its label.

    Args:
        image: the photo (JPEG, PNG, WebP or HEIC)
        labels_text: CLIP's labels, comma-separated; empty: the classifier's 1,000 ImageNet classes
        opacity: how strongly the heat covers the photo, 0 to 1

    Returns:
        the classifier's heat over the photo, CLIP's, and the lines naming what each explains
    """
    opacity = number(opacity, "The opacity", 0, 1)
    photo, theirs, clips, info = explained(image, labels_text, ensemble, clip_id, classifier_id)
    return heatmaps.overlay(photo, theirs, opacity), heatmaps.overlay(photo, clips, opacity), info


@ui.user_errors
def explain_on_page(image, labels_text, ensemble, clip_id, classifier_id, theirs, clips, opacity, clip_opacity):
    """The answers on screen explained: each model's first."""
    if not isinstance(theirs, dict) or not theirs or not isinstance(clips, dict) or not clips:
        raise ShowcaseError("There is no answer to explain yet: compare a photo first.")
    photo, theirs, clips, info = explained(image, labels_text, ensemble, clip_id, classifier_id)
    return (
        heatmaps.overlay(photo, theirs, opacity),
        heatmaps.overlay(photo, clips, clip_opacity),
        info,
        theirs,
        clips,
    )


def ledger_calls(
    model_id: str, image, text: str = "", ensemble: bool = False, classifier_id: str | None = None
) -> tuple[LedgerCall, LedgerCall]:
    """The runtime ledger of both models on one photo (the /runtimes endpoint's: `model_id` is
    CLIP's, `text` its labels, the classifier the default), each against its own PyTorch fp32."""
    classifier_id = TASK.check(classifier_id or TASK.default("classifier"), "classifier")
    labels, photo = candidate_labels(classifier_id, text), open_image(image)
    classifier, clip = TASK.load(classifier_id, "classifier"), TASK.load(model_id, "clip")
    clip_names = class_names(labels.dataset, labels.names) if labels.dataset else list(labels.names)
    return (
        runtime_ledger.of_ranking(
            classifier,
            "top_k",
            ([photo], TOP_K),
            class_names(DATASET, classifier.categories),
            name=models.label(classifier_id),
        ),
        runtime_ledger.of_ranking(
            clip, "classify", ([photo], labels, bool(ensemble), TOP_K), clip_names, name=models.label(model_id)
        ),
    )


@ui.user_errors
@ui.gpu_seconds(300)  # CLIP's copies encode the 1,000 ImageNet labels once each
def runtimes_on_page(image, labels_text, ensemble, clip_id, classifier_id):
    yield from runtime_ledger.on_page(ledger_calls(clip_id, image, labels_text, ensemble, classifier_id))


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
        clip_id = ui.model_dropdown(TASK, "clip", t("CLIP model"))
        classifier_id = ui.model_dropdown(TASK, "classifier", t("ImageNet classifier"))
    with gr.Tab(t("One image")):
        with gr.Row():
            with gr.Column():
                image = ui.image_input()
                button = gr.Button(t("Compare"), variant="primary")
            classifier_label = gr.Label(num_top_classes=TOP_K, label=t("ImageNet classifier top 5"))
            clip_label = gr.Label(num_top_classes=TOP_K, label=t("CLIP top 5"))
        verdict_box = gr.Markdown(label=t("Verdict"))
        explain_button = gr.Button(t("Explain"))
        with gr.Row():
            with gr.Column():
                shown, opacity, heatmap = ui.heatmap_output(
                    image, "compare-classifier-explanation", t("ImageNet classifier")
                )
            with gr.Column():
                clip_shown, clip_opacity, clip_heatmap = ui.heatmap_output(image, "compare-clip-explanation", t("CLIP"))
        explained_line = ui.info_line()
        sharing.panel(
            TASK,
            [image, labels, ensemble, clip_id, classifier_id, opacity, clip_opacity],
            [classifier_label, clip_label, verdict_box, shown, clip_shown, explained_line],
        )
        ledger = runtime_ledger.panel("compare-runtimes")
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
        chart = gr.BarPlot(
            x="bar",
            y="value",
            color="model",
            y_lim=[0, 1],
            label=t("Accuracy and agreement"),
            x_title=t("measure"),
            y_title=t("value"),
            color_title=t("model"),
        )
        table = gr.DataFrame(label=t("Per image"), wrap=True)
    settings = [labels, ensemble, clip_id, classifier_id]
    ui.bind(TASK.endpoint("compare"), button.click, [image, *settings], [classifier_label, clip_label, verdict_box])
    explanation = [shown, clip_shown, explained_line, heatmap, clip_heatmap]
    ui.cleared_by([image.change, button.click], explanation)
    ui.cleared_by([image.change], [classifier_label, clip_label, verdict_box])
    runtime_ledger.bind(ledger, runtimes_on_page, [image, *settings])
    ui.cleared_by([image.change, labels.change, clip_id.change, classifier_id.change], ledger.outputs)
    explain_button.click(
        explain_on_page,
        [image, *settings, classifier_label, clip_label, opacity, clip_opacity],
        explanation,
        api_visibility="private",
    )
    ui.bind(
        TASK.endpoint("explain_compare"),
        gr.Button(visible=False).click,
        [image, *settings, opacity],
        [
            gr.Image(visible=False, label=t("ImageNet classifier")),
            gr.Image(visible=False, label=t("CLIP")),
            ui.info_line(visible=False),
        ],
    )
    batch_outputs = [table, summary, chart, note]
    ui.bind(TASK.endpoint("compare_batch"), batch_button.click, [files, *settings], batch_outputs)
    folder.upload(run_batch, [folder, *settings], batch_outputs, api_visibility="private")


def preload() -> None:
    """Both default models, and CLIP's embeddings of the 1,000 ImageNet classes (seconds, once)."""
    classifier_id = TASK.default("classifier")
    classifier, clip = TASK.load(classifier_id, "classifier"), TASK.load(TASK.default("clip"), "clip")
    compare(classifier, clip, [Image.new("RGB", (224, 224))], candidate_labels(classifier_id, ""))


TASK = Task(
    __name__,
    "CLIP vs ResNet",
    "Vision",
    {"classifier": ("image_classifier",), "clip": ("clip",)},
    build_ui,
    endpoints=(Endpoint("compare", run), Endpoint("compare_batch", run_batch), Endpoint("explain_compare", explain)),
    preload=preload,
    runtimes=ledger_calls,
)
