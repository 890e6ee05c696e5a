"""Fine-tune a text classifier on your own CSV: a linear probe or full fine-tuning (`/finetune_text`)."""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

import gradio as gr
import torch

import examples
import models
from i18n import N_, LanguageName, Text
from models import sequence_classifier, trained_text
from models.device import pick_device
from models.errors import ShowcaseError
from models.linear_probe import fit_linear
from models.trained_text import FineTunedClassifier, ProbeClassifier, TrainedClassifier
from toolkit import plots, text_data, text_explanations, ui
from toolkit.inputs import number, text_lines
from toolkit.interface import t
from toolkit.messages import message
from toolkit.probe import Scores, score, stratified_split
from toolkit.task import Endpoint, Task
from toolkit.text_data import TextDataset
from toolkit.training import Progress, RunStore, loss_frame, optimise, training_slot

# The mode picker's choices -> the mode; and how a summary names each mode.
MODES = {N_("linear probe (fast)"): "probe", N_("full fine-tuning"): "full"}
MODE_NAMES = {"probe": N_("Linear probe"), "full": N_("Full fine-tuning")}
RUNS = RunStore()


@dataclass
class Settings:
    mode: str = "probe"  # or "full"
    epochs: int = 3
    learning_rate: float = 5e-5
    batch_size: int = 16
    max_length: int = 128
    validation_fraction: float = 0.2
    seed: int = 0


@dataclass
class TrainedText:
    """A trained classifier and what its training measured."""

    base_model: str
    classifier: TrainedClassifier
    scores: Scores
    losses: list[tuple[int, float]] = field(default_factory=list)
    seconds: float = 0.0
    train_rows: int = 0
    valid_rows: int = 0

    def predict(self, texts: list[str]) -> list[dict[str, float]]:
        """Each text's {class: probability}, most likely first."""
        return [ranking.named(self.classifier.classes) for ranking in self.classifier.classify(texts)]

    def save(self, folder: Path) -> None:
        trained_text.save(self.classifier, folder, self.base_model, self.scores.summary())


def split(data: TextDataset, validation: TextDataset | None, settings: Settings) -> tuple[TextDataset, TextDataset]:
    if validation is not None:
        unknown = set(validation.labels) - set(data.classes)
        if unknown:
            raise ShowcaseError(
                "The validation file has labels the training file lacks: {labels}.", labels=sorted(unknown)
            )
        return data, validation
    lonely = [c for c in data.classes if data.labels.count(c) < 2]
    if lonely:
        raise ShowcaseError(
            "Each class needs at least 2 rows, one to train on and one to validate with; these have 1: {labels}.",
            labels=", ".join(lonely[:10]),
        )
    train_rows, valid_rows = stratified_split(data.labels, settings.validation_fraction, settings.seed)
    return data.rows(train_rows), data.rows(valid_rows)


def validate(classifier: TrainedClassifier, classes: list[str], valid_set: TextDataset) -> Scores:
    predicted = [classes[ranking.first] for ranking in classifier.classify(valid_set.texts)]
    return score(valid_set.labels, predicted, classes)


def train(
    data: TextDataset,
    base_model: str,
    settings: Settings,
    validation: TextDataset | None = None,
    make_classifier: Callable[[str, list[str]], tuple] = sequence_classifier.fresh_head,
) -> Iterator[Progress | TrainedText]:
    """Pure training function: yields Progress while it trains, then the TrainedText.

    Closing the iterator (Stop button, client gone) stops training at the next step.
    """
    torch.manual_seed(settings.seed)
    train_set, valid_set = split(data, validation, settings)
    started = time.perf_counter()
    if settings.mode == "probe":
        trained = yield from _train_probe(train_set, valid_set, base_model, settings)
    elif settings.mode == "full":
        trained = yield from _train_full(train_set, valid_set, base_model, settings, make_classifier)
    else:
        raise ShowcaseError("Unknown training mode '{mode}'.", mode=settings.mode)
    yield replace(
        trained, seconds=time.perf_counter() - started, train_rows=len(train_set.texts), valid_rows=len(valid_set.texts)
    )


def _train_probe(train_set: TextDataset, valid_set: TextDataset, base_model: str, settings: Settings):
    encoder = models.load(base_model)
    yield Progress(
        0, 2, message("Embedding {count} training texts with the frozen encoder", count=len(train_set.texts))
    )
    features = encoder.embed(train_set.texts, settings.max_length)
    yield Progress(1, 2, message("Fitting the linear classifier"))
    classifier = ProbeClassifier(encoder, fit_linear(features, train_set.labels), settings.max_length)
    scores = validate(classifier, train_set.classes, valid_set)
    yield Progress(2, 2, message("Done"))
    return TrainedText(base_model, classifier, scores)


def _train_full(train_set: TextDataset, valid_set: TextDataset, base_model: str, settings: Settings, make_classifier):
    classes = train_set.classes
    network, tokenizer = make_classifier(base_model, classes)
    device = pick_device()
    network = network.to(device=device, dtype=torch.float32)  # fp32: half-precision training needs loss scaling
    classifier = FineTunedClassifier(
        sequence_classifier.SequenceClassifier(base_model, device, torch.float32, network, tokenizer),
        settings.max_length,
    )
    targets = torch.tensor([classes.index(y) for y in train_set.labels])
    order = torch.Generator().manual_seed(settings.seed)

    def batches():
        return torch.randperm(len(train_set.texts), generator=order).split(settings.batch_size)

    def loss_of(batch: torch.Tensor) -> torch.Tensor:
        return classifier.loss([train_set.texts[i] for i in batch.tolist()], targets[batch])

    scores, losses = score([], [], classes), []
    for update in optimise(
        network,
        batches,
        loss_of,
        math.ceil(len(train_set.texts) / settings.batch_size),
        settings.epochs,
        settings.learning_rate,
    ):
        losses = update.losses
        if update.epoch_done:
            scores = validate(classifier, classes, valid_set)
            update = replace(
                update,
                message=message(
                    "Epoch {epoch} done: validation {scores}", epoch=update.epoch_done, scores=scores.summary()
                ),
            )
        yield update
    return TrainedText(base_model, classifier, scores, losses)


# ---------------------------------------------------------------- UI


def columns_of(file):
    """Fills the column choices once a file is uploaded, guessing the text and label columns."""
    try:
        columns = list(text_data.read_table(file)[0].columns) if file else []
    except ShowcaseError:
        columns = []
    return (
        gr.update(choices=columns, value=text_data.guess_column(columns, text_data.TEXT_COLUMNS)),
        gr.update(choices=columns, value=text_data.guess_column(columns, text_data.LABEL_COLUMNS)),
    )


@ui.user_errors
@ui.gpu_seconds(300)
def run(
    file,
    validation_file,
    text_column,
    label_column,
    base_model,
    mode,
    epochs,
    learning_rate,
    batch_size,
    max_length,
    max_rows,
    progress=gr.Progress(),
):
    """Trains a text classifier on a CSV (a linear probe or full fine-tuning), streaming progress."""
    TASK.check(base_model)
    settings = Settings(
        MODES.get(mode, mode),
        number(epochs, "Epochs", 1, 100, whole=True),
        number(learning_rate, "The learning rate", 1e-7, 1.0),
        number(batch_size, "Batch size", 1, 512, whole=True),
        number(max_length, "Max length", 8, 512, whole=True),
    )
    max_rows = number(max_rows, "Max rows used", 2, whole=True)
    data = text_data.read_dataset(file, text_column, label_column, max_rows)
    validation = (
        text_data.read_dataset(validation_file, text_column, label_column, max_rows) if validation_file else None
    )
    with training_slot():
        for update in train(data, base_model, settings, validation):
            if isinstance(update, Progress):
                progress(update.fraction, desc=update.message)
                curve = gr.update(value=loss_frame(update.losses), visible=bool(update.losses))
                yield update.message, curve, gr.skip(), gr.skip(), gr.skip(), gr.skip()
    trained = update
    summary = message(
        "**{mode}** on **{model}**: {train_rows} training rows, {valid_rows} validation rows, {seconds:.0f} s."
        "\n\nValidation {scores}",
        mode=Text(MODE_NAMES[trained.classifier.mode]),
        model=base_model,
        train_rows=trained.train_rows,
        valid_rows=trained.valid_rows,
        seconds=trained.seconds,
        scores=trained.scores.summary(),
    )
    confusion = plots.confusion(trained.scores.confusion, message("Confusion matrix (rows: true, columns: predicted)"))
    losses = gr.update(value=loss_frame(trained.losses), visible=bool(trained.losses))  # a probe has no curve
    archive = RUNS.save_zip(trained.save, "trained-text-classifier")
    yield (
        "\n\n".join([summary, *data.notes]),
        losses,
        trained.scores.confusion.reset_index(names=message("true \\ predicted")),
        confusion,
        str(archive),
        trained,
    )


@ui.user_errors
def try_model(trained, text):
    """Classifies one text with the classifier this session trained."""
    if trained is None:
        raise ShowcaseError("Train a model first; then try it here.")
    return trained.predict(text_lines(text, "a sentence to classify", 100)[:1])[0]


@ui.user_errors
def explain_model(trained, text):
    """Shows which words of a text make the classifier this session trained answer as it does: each
    token is masked in turn and coloured by how much the probability of the predicted class drops."""
    if trained is None:
        raise ShowcaseError("Train a model first; then try it here.")
    first = text_lines(text, "a sentence to classify", 100)[0]
    answer = trained.classifier.token_effects([first], [0])
    (found,) = answer
    note = text_explanations.line(found, trained.classifier.classes[found.class_index], 1)
    shown = f"{note} ({answer.timings.total_ms:.0f} ms)"
    return trained.predict([first])[0], text_explanations.highlighted(found), shown


def build_ui() -> None:
    gr.Markdown(
        t(
            "Adapt a pretrained encoder to **your own labels**: upload a CSV or TSV with a text column and a "
            "label column (any labels), or start from the built-in example. The **linear probe** trains a small "
            "classifier on frozen sentence embeddings in seconds; **full fine-tuning** updates the whole model "
            "(minutes on a CPU)."
        )
    )
    with gr.Row():
        with gr.Column():
            file = gr.File(label=t("Training data (CSV or TSV)"), file_types=[".csv", ".tsv", ".txt"])
            example_buttons = {
                language: gr.Button(
                    t("Use the built-in example: 40 reviews in {language}", language=LanguageName(language)), size="sm"
                )
                for language in examples.REVIEWS
            }
            validation_file = gr.File(
                label=t("Validation data (optional; otherwise 20% is held out)"), file_types=[".csv", ".tsv", ".txt"]
            )
            with gr.Row():
                text_column = gr.Dropdown([], label=t("Text column"), allow_custom_value=True)
                label_column = gr.Dropdown([], label=t("Label column"), allow_custom_value=True)
            base_model = ui.model_dropdown(TASK, label=t("Base model"))
            mode = ui.radio(list(MODES), list(MODES)[0], t("Mode"))
            with gr.Accordion(t("Training settings"), open=False):
                epochs = gr.Slider(1, 10, value=3, step=1, label=t("Epochs (full fine-tuning)"), precision=0)
                learning_rate = gr.Number(value=5e-5, label=t("Learning rate (full fine-tuning)"))
                batch_size = gr.Slider(4, 64, value=16, step=4, label=t("Batch size"), precision=0)
                max_length = gr.Slider(16, 512, value=128, step=16, label=t("Max length (tokens)"), precision=0)
                max_rows = ui.whole_number(text_data.DEFAULT_MAX_ROWS, t("Max rows used"))
            with gr.Row():
                button = gr.Button(t("Train"), variant="primary")
                stop = gr.Button(t("Stop"), variant="stop")
        with gr.Column():
            status = gr.Markdown(label=t("Status"))
            losses = gr.LinePlot(
                x="step", y="loss", label=t("Training loss"), x_title=t("step"), y_title=t("loss"), height=220
            )
            confusion_plot = gr.Plot(label=t("Confusion matrix"))
            confusion_table = gr.DataFrame(label=t("Confusion matrix (counts)"))
            download = gr.File(label=t("Trained model (Hugging Face format, zipped)"))
            with gr.Group():
                sample = gr.Textbox(label=t("Try the trained model"), placeholder=t("Type a sentence"))
                with gr.Row():
                    try_button = gr.Button(t("Classify with the trained model"))
                    explain_button = gr.Button(t("Explain"))
                prediction = gr.Label(label=t("Prediction"))
                highlighted = gr.HighlightedText(
                    label=t("Explanation"), elem_id="finetune-text-explanation", combine_adjacent=False
                )
                explained_line = ui.info_line()
    trained = gr.State()
    file.change(columns_of, file, [text_column, label_column], api_visibility="private")
    for language, example in example_buttons.items():
        # On a model that reads the example's language, as every example.
        chosen = (str(examples.REVIEWS[language]), TASK.reader(language) or TASK.default())
        example.click(lambda chosen=chosen: chosen, None, [file, base_model], api_visibility="private")
    inputs = [
        file,
        validation_file,
        text_column,
        label_column,
        base_model,
        mode,
        epochs,
        learning_rate,
        batch_size,
        max_length,
        max_rows,
    ]
    outputs = [status, losses, confusion_table, confusion_plot, download, trained]
    event = ui.bind(TASK.endpoint("finetune_text"), button.click, inputs, outputs)
    stop.click(None, None, None, cancels=[event], api_visibility="private")
    ui.bind(TASK.endpoint("try_text_model"), try_button.click, [trained, sample], [prediction])
    explanation = [prediction, highlighted, explained_line]
    ui.bind(TASK.endpoint("explain_text_model"), explain_button.click, [trained, sample], explanation)
    ui.cleared_by([sample.change, button.click], explanation)


TASK = Task(
    __name__,
    "Fine-tune text",
    "Training",
    {"model": ("sentence_encoder",)},
    build_ui,
    # Training holds the server's one training slot: not for agents.
    endpoints=(
        Endpoint("finetune_text", run, tool=False),
        Endpoint("try_text_model", try_model, tool=False),
        Endpoint("explain_text_model", explain_model, tool=False),
    ),
)
