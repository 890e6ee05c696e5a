"""Fine-tune a text classifier on your own CSV: a linear probe or full fine-tuning (`/finetune_text`)."""

from __future__ import annotations

import csv
import io
import json
import math
import shutil
import tempfile
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator

import gradio as gr
import pandas as pd
import torch
from transformers import AutoModel, AutoModelForSequenceClassification, AutoTokenizer

import examples
from tasks import common, learning, plots, similarity

TASK = "finetune_text"
TITLE = "Fine-tune text"
CHOICES = common.model_choices(TASK)
MODES = {"linear probe (fast)": "probe", "full fine-tuning": "full"}
EXAMPLE_FILE = examples.REVIEWS
TEXT_COLUMNS = ("text", "sentence", "review", "content", "comment")
LABEL_COLUMNS = ("label", "labels", "sentiment", "class", "category", "target")
DEFAULT_MAX_ROWS = 2000
KEPT_RUNS = 3  # saved models on disk; older ones are deleted
PREDICT_BATCH = 64  # texts per forward pass when validating or predicting


# ---------------------------------------------------------------- data


@dataclass
class TextDataset:
    texts: list[str]
    labels: list[str]
    notes: list[str] = field(default_factory=list)

    @property
    def classes(self) -> list[str]:
        return sorted(set(self.labels))

    def rows(self, indices: list[int]) -> TextDataset:
        return TextDataset([self.texts[i] for i in indices], [self.labels[i] for i in indices])


def looks_chinese(text: str) -> bool:
    """Real Chinese text is mostly GB2312's 3,755 common characters (lead bytes 0xB0-0xD7); Western
    bytes misread as GB18030 land there only about a third of the time."""
    hanzi = [c for c in text if "\u4e00" <= c <= "\u9fff"]
    common_ones = sum(1 for c in hanzi if 0xB0 <= c.encode("gb18030")[0] <= 0xD7)
    return bool(hanzi) and common_ones / len(hanzi) >= 0.8


def decode(raw: bytes) -> tuple[str, list[str]]:
    """Text of an uploaded file: UTF-8, else Chinese GB18030, else Windows-1252, else Latin-1."""
    try:
        return raw.decode("utf-8-sig"), []
    except UnicodeDecodeError:
        pass
    try:
        text = raw.decode("gb18030")
        if looks_chinese(text):
            return text, ["The file is not UTF-8; it was read as Chinese GB18030."]
    except UnicodeDecodeError:
        pass
    for encoding, name in (("cp1252", "Windows-1252 (Western European)"), ("latin-1", "Latin-1")):
        try:
            return raw.decode(encoding), [f"The file is not UTF-8; it was read as {name}: check that accents look right."]
        except UnicodeDecodeError:
            continue
    raise AssertionError("Latin-1 decodes every byte")


def read_table(path: str | Path) -> tuple[pd.DataFrame, list[str]]:
    """A CSV or TSV file as a table of strings, with notes on how it was read."""
    path = Path(path)
    if not path.is_file():
        raise common.ShowcaseError("Upload a CSV or TSV file first (or use the built-in example).")
    text, notes = decode(path.read_bytes())
    if not text.strip():
        raise common.ShowcaseError(f"'{path.name}' is empty.")
    first_line = text.splitlines()[0]
    tsv = path.suffix.lower() == ".tsv" or first_line.count("\t") > first_line.count(",")
    try:
        frame = pd.read_csv(
            io.StringIO(text), sep="\t" if tsv else ",", dtype=str, keep_default_na=False,
            # TSV files such as GLUE's carry quotes inside sentences: read them as text.
            quoting=csv.QUOTE_NONE if tsv else csv.QUOTE_MINIMAL, on_bad_lines="skip", engine="python",
        )
    except (pd.errors.ParserError, csv.Error) as error:
        raise common.ShowcaseError(f"'{path.name}' could not be read as CSV or TSV ({error}).")
    frame.columns = [str(c).strip() for c in frame.columns]
    return frame, notes


def guess_column(columns: list[str], names: tuple[str, ...]) -> str | None:
    lowered = {c.lower(): c for c in columns}
    return next((lowered[n] for n in names if n in lowered), None)


def to_dataset(frame: pd.DataFrame, text_column: str | None, label_column: str | None,
               max_rows: int = DEFAULT_MAX_ROWS, notes: list[str] | None = None) -> TextDataset:
    """Checks the columns and rows; drops empty rows; samples large files, keeping class shares."""
    notes = list(notes or [])
    columns = list(frame.columns)
    text_column = text_column or guess_column(columns, TEXT_COLUMNS)
    label_column = label_column or guess_column(columns, LABEL_COLUMNS)
    for role, column in (("text", text_column), ("label", label_column)):
        if column not in columns:
            raise common.ShowcaseError(
                f"No {role} column" + (f" named '{column}'" if column else "") + ". The file's columns are: "
                + ", ".join(f"'{c}'" for c in columns) + ". Choose the text and label columns."
            )
    if text_column == label_column:
        raise common.ShowcaseError("The text and label columns must be different.")
    texts = frame[text_column].astype(str).map(lambda s: common.CONTROL_CHARACTERS.sub("", s).strip())
    labels = frame[label_column].astype(str).str.strip()
    keep = (texts != "") & (labels != "")
    if (~keep).sum():
        notes.append(f"Skipped {int((~keep).sum())} row(s) with an empty text or label.")
    data = TextDataset(texts[keep].tolist(), labels[keep].tolist(), notes)
    if len(data.classes) < 2:
        found = f"only '{data.classes[0]}'" if data.classes else "no labelled rows"
        raise common.ShowcaseError(f"Training needs at least two classes in '{label_column}'; the file has {found}.")
    if len(data.texts) > max_rows:
        sample = data.rows(learning.stratified_sample(data.labels, max_rows))
        notes.append(f"Used {max_rows:,} of {len(data.texts):,} rows (a sample keeping each class's share); "
                     "raise 'Max rows' to use more.")
        data = TextDataset(sample.texts, sample.labels, notes)
    return data


# ---------------------------------------------------------------- training


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
class Progress:
    step: int
    total_steps: int
    epoch: int
    losses: list[tuple[int, float]]  # (step, training loss)
    message: str


@dataclass
class TrainedText:
    mode: str
    base_model: str
    classes: list[str]
    tokenizer: object
    model: torch.nn.Module  # sequence classifier (full) or the frozen encoder (probe)
    probe: learning.LinearProbe | None
    scores: learning.Scores
    losses: list[tuple[int, float]]
    seconds: float
    train_rows: int
    valid_rows: int
    max_length: int = 128

    def probabilities(self, texts: list[str]) -> torch.Tensor:
        device = next(self.model.parameters()).device
        if self.probe is not None:
            encoder = common.HubModel(self.model, self.tokenizer, self.base_model, device, torch.float32)
            return self.probe.probabilities(similarity.embed(encoder, texts))
        chunks = []
        with torch.inference_mode():
            for start in range(0, len(texts), PREDICT_BATCH):
                tokens = common.encode(self.tokenizer, texts[start : start + PREDICT_BATCH], padding=True, truncation=True,
                                        max_length=self.max_length, return_tensors="pt")
                chunks.append(self.model(**{k: v.to(device) for k, v in tokens.items()}).logits.float().softmax(dim=-1).cpu())
        return torch.cat(chunks)

    def predict(self, texts: list[str]) -> list[dict[str, float]]:
        return [
            dict(sorted(((c, round(float(p), 4)) for c, p in zip(self.classes, row)), key=lambda item: -item[1]))
            for row in self.probabilities(texts)
        ]

    def save(self, folder: str | Path) -> Path:
        """Hugging Face format: save_pretrained files, plus the probe's head and a description."""
        folder = Path(folder)
        self.model.save_pretrained(folder)
        self.tokenizer.save_pretrained(folder)
        description = {"mode": self.mode, "base_model": self.base_model, "classes": self.classes,
                       "max_length": self.max_length, "validation": self.scores.summary()}
        if self.probe is not None:
            from safetensors.torch import save_file

            save_file({"weight": self.probe.weight.contiguous(), "bias": self.probe.bias.contiguous()},
                      folder / "probe_head.safetensors")
            description["how_to_use"] = ("AutoModel.from_pretrained(folder): mean of the token states over the "
                                         "attention mask, L2-normalised, then softmax(x @ weight.T + bias) "
                                         "from probe_head.safetensors over 'classes'.")
        else:
            description["how_to_use"] = "AutoModelForSequenceClassification.from_pretrained(folder)"
        (folder / "showcase.json").write_text(json.dumps(description, indent=2, ensure_ascii=False), encoding="utf-8")
        return folder


def load_trained(folder: str | Path) -> TrainedText:
    """A model saved by TrainedText.save, ready to predict again."""
    folder = Path(folder)
    description = json.loads((folder / "showcase.json").read_text(encoding="utf-8"))
    tokenizer = AutoTokenizer.from_pretrained(folder)
    probe = None
    if description["mode"] == "probe":
        from safetensors.torch import load_file

        model = AutoModel.from_pretrained(folder, attn_implementation="eager").eval()
        head = load_file(folder / "probe_head.safetensors")
        probe = learning.LinearProbe(head["weight"], head["bias"], description["classes"])
    else:
        model = AutoModelForSequenceClassification.from_pretrained(folder).eval()
    empty = learning.score([], [], description["classes"])
    return TrainedText(description["mode"], description["base_model"], description["classes"], tokenizer, model,
                       probe, empty, [], 0.0, 0, 0, description["max_length"])


def pretrained_classifier(base_model: str, classes: list[str]):
    """A fresh classification head on a pretrained encoder, and its tokenizer."""
    labels = dict(enumerate(classes))
    return common.from_hub(
        base_model,
        lambda i: AutoModelForSequenceClassification.from_pretrained(
            i, num_labels=len(classes), id2label=labels, label2id={c: n for n, c in labels.items()}),
        AutoTokenizer.from_pretrained,
    )


def split(data: TextDataset, validation: TextDataset | None, settings: Settings) -> tuple[TextDataset, TextDataset]:
    if validation is not None:
        unknown = set(validation.labels) - set(data.classes)
        if unknown:
            raise common.ShowcaseError(f"The validation file has labels the training file lacks: {sorted(unknown)}.")
        return data, validation
    lonely = [c for c in data.classes if data.labels.count(c) < 2]
    if lonely:
        raise common.ShowcaseError("Each class needs at least 2 rows, one to train on and one to validate with; "
                                   f"these have 1: {', '.join(lonely[:10])}.")
    train, valid = learning.stratified_split(data.labels, settings.validation_fraction, settings.seed)
    return data.rows(train), data.rows(valid)


def train(
    data: TextDataset,
    base_model: str,
    settings: Settings,
    validation: TextDataset | None = None,
    make_classifier: Callable[[str, list[str]], tuple] = pretrained_classifier,
) -> Iterator[Progress | TrainedText]:
    """Pure training function: yields Progress while it trains, then the TrainedText.

    Closing the iterator (Stop button, client gone) stops training at the next step.
    """
    torch.manual_seed(settings.seed)
    train_set, valid_set = split(data, validation, settings)
    started = time.perf_counter()
    if settings.mode == "probe":
        trained = yield from _train_probe(train_set, valid_set, base_model)
    elif settings.mode == "full":
        trained = yield from _train_full(train_set, valid_set, base_model, settings, make_classifier)
    else:
        raise common.ShowcaseError(f"Unknown training mode '{settings.mode}'.")
    trained.seconds = time.perf_counter() - started
    trained.train_rows, trained.valid_rows = len(train_set.texts), len(valid_set.texts)
    yield trained


def _train_probe(train_set: TextDataset, valid_set: TextDataset, base_model: str):
    encoder = common.get_hub_model(AutoModel, base_model, attn_implementation="eager")
    yield Progress(0, 2, 1, [], f"Embedding {len(train_set.texts)} training texts with the frozen encoder")
    features = similarity.embed(encoder, train_set.texts)
    yield Progress(1, 2, 1, [], "Fitting the linear classifier")
    probe = learning.fit_linear(features, train_set.labels)
    predicted = probe.predict(similarity.embed(encoder, valid_set.texts))
    scores = learning.score(valid_set.labels, predicted, train_set.classes)
    yield Progress(2, 2, 1, [], "Done")
    return TrainedText("probe", base_model, probe.classes, encoder.tokenizer, encoder.model, probe, scores, [], 0, 0, 0)


def _train_full(train_set, valid_set, base_model, settings: Settings, make_classifier):
    classes = train_set.classes
    model, tokenizer = make_classifier(base_model, classes)
    device = common.pick_device()
    model = model.to(device=device, dtype=torch.float32).train()  # fp32: half-precision training needs loss scaling
    steps_per_epoch = math.ceil(len(train_set.texts) / settings.batch_size)
    total = steps_per_epoch * settings.epochs
    optimiser = torch.optim.AdamW(model.parameters(), lr=settings.learning_rate, weight_decay=0.01)
    warmup = max(1, total // 10)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimiser, lambda s: min((s + 1) / warmup, max(0.0, (total - s) / max(1, total - warmup))))
    targets = torch.tensor([classes.index(y) for y in train_set.labels])
    order = torch.Generator().manual_seed(settings.seed)
    losses: list[tuple[int, float]] = []
    trained = TrainedText("full", base_model, classes, tokenizer, model, None, learning.score([], [], classes),
                          losses, 0, 0, 0, settings.max_length)
    step = 0
    for epoch in range(1, settings.epochs + 1):
        model.train()
        for batch in torch.randperm(len(train_set.texts), generator=order).split(settings.batch_size):
            tokens = common.encode(tokenizer, [train_set.texts[i] for i in batch.tolist()], padding=True, truncation=True,
                               max_length=settings.max_length, return_tensors="pt")
            output = model(**{k: v.to(device) for k, v in tokens.items()}, labels=targets[batch].to(device))
            output.loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimiser.step()
            schedule.step()
            optimiser.zero_grad()
            step += 1
            losses.append((step, round(output.loss.item(), 4)))
            yield Progress(step, total, epoch, losses, f"Epoch {epoch}/{settings.epochs}, step {step}/{total}, "
                                                       f"loss {losses[-1][1]:.3f}")
        model.eval()
        trained.scores = learning.score(valid_set.labels, [next(iter(p)) for p in trained.predict(valid_set.texts)], classes)
        yield Progress(step, total, epoch, losses, f"Epoch {epoch} done: validation {trained.scores.summary()}")
    return trained


# ---------------------------------------------------------------- UI

_saved_runs: deque[Path] = deque()


def save_zip(trained: TrainedText) -> Path:
    """The model saved in a fresh folder and zipped for download; older runs' files are removed."""
    folder = Path(tempfile.mkdtemp(prefix="showcase-model-"))
    trained.save(folder / "model")
    archive = Path(shutil.make_archive(str(folder / "trained-text-classifier"), "zip", folder / "model"))
    _saved_runs.append(folder)
    while len(_saved_runs) > KEPT_RUNS:
        shutil.rmtree(_saved_runs.popleft(), ignore_errors=True)
    return archive


def columns_of(file):
    """Fills the column choices once a file is uploaded, guessing the text and label columns."""
    if not file:
        return gr.update(choices=[], value=None), gr.update(choices=[], value=None)
    try:
        frame, _ = read_table(file)
    except common.ShowcaseError:
        return gr.update(choices=[], value=None), gr.update(choices=[], value=None)
    columns = list(frame.columns)
    return (gr.update(choices=columns, value=guess_column(columns, TEXT_COLUMNS)),
            gr.update(choices=columns, value=guess_column(columns, LABEL_COLUMNS)))


def loss_frame(losses: list[tuple[int, float]]) -> pd.DataFrame:
    return pd.DataFrame(losses or [(0, None)], columns=["step", "loss"]).dropna()


@common.user_errors
def run(file, validation_file, text_column, label_column, base_model, mode, epochs, learning_rate, batch_size,
        max_length, max_rows, progress=gr.Progress()):
    common.check_choice(base_model, CHOICES, "base model")
    settings = Settings(MODES.get(mode, mode), int(epochs), float(learning_rate), int(batch_size), int(max_length))
    frame, notes = read_table(file)
    data = to_dataset(frame, text_column, label_column, int(max_rows), notes)
    validation = None
    if validation_file:
        valid_frame, valid_notes = read_table(validation_file)
        validation = to_dataset(valid_frame, text_column, label_column, int(max_rows), valid_notes)
    with learning.training_slot():
        for update in train(data, base_model, settings, validation):
            if isinstance(update, Progress):
                progress(update.step / max(update.total_steps, 1), desc=update.message)
                curve = gr.update(value=loss_frame(update.losses), visible=bool(update.losses))
                yield update.message, curve, gr.skip(), gr.skip(), gr.skip(), gr.skip()
    trained = update
    mode_name = next(name for name, key in MODES.items() if key == trained.mode).split(" (")[0].capitalize()
    summary = (f"**{mode_name}** on **{base_model}**: {trained.train_rows} training rows, {trained.valid_rows} "
               f"validation rows, {trained.seconds:.0f} s.\n\nValidation {trained.scores.summary()}")
    confusion = plots.confusion(trained.scores.confusion, "Confusion matrix (rows: true, columns: predicted)")
    losses = gr.update(value=loss_frame(trained.losses), visible=bool(trained.losses))  # a probe has no curve
    yield ("\n\n".join([summary, *data.notes]), losses, trained.scores.confusion.reset_index(
        names="true \\ predicted"), confusion, str(save_zip(trained)), trained)


@common.user_errors
def try_model(trained, text):
    if trained is None:
        raise common.ShowcaseError("Train a model first; then try it here.")
    texts = common.text_lines(text, "a sentence to classify", 100)
    return trained.predict(texts[:1])[0]


def build_ui() -> None:
    gr.Markdown(
        "Adapt a pretrained encoder to **your own labels**: upload a CSV or TSV with a text column and a "
        "label column (any labels), or start from the built-in example. The **linear probe** trains a "
        "small classifier on frozen sentence embeddings in seconds; **full fine-tuning** updates the whole "
        "model (minutes on a CPU)."
    )
    with gr.Row():
        with gr.Column():
            file = gr.File(label="Training data (CSV or TSV)", file_types=[".csv", ".tsv", ".txt"])
            example = gr.Button("Use the built-in example (40 product and film reviews)", size="sm")
            validation_file = gr.File(label="Validation data (optional; otherwise 20% is held out)",
                                      file_types=[".csv", ".tsv", ".txt"])
            with gr.Row():
                text_column = gr.Dropdown([], label="Text column", allow_custom_value=True)
                label_column = gr.Dropdown([], label="Label column", allow_custom_value=True)
            base_model = gr.Dropdown(CHOICES, value=CHOICES[0], label="Base model")
            mode = gr.Radio(list(MODES), value=list(MODES)[0], label="Mode")
            with gr.Accordion("Training settings", open=False):
                epochs = gr.Slider(1, 10, value=3, step=1, label="Epochs (full fine-tuning)")
                learning_rate = gr.Number(value=5e-5, label="Learning rate (full fine-tuning)")
                batch_size = gr.Slider(4, 64, value=16, step=4, label="Batch size")
                max_length = gr.Slider(16, 512, value=128, step=16, label="Max length (tokens)")
                max_rows = gr.Number(value=DEFAULT_MAX_ROWS, precision=0, label="Max rows used")
            with gr.Row():
                button = gr.Button("Train", variant="primary")
                stop = gr.Button("Stop", variant="stop")
        with gr.Column():
            status = gr.Markdown()
            losses = gr.LinePlot(x="step", y="loss", label="Training loss", height=220)
            confusion_plot = gr.Plot(label="Confusion matrix")
            confusion_table = gr.DataFrame(label="Confusion matrix (counts)")
            download = gr.File(label="Trained model (Hugging Face format, zipped)")
            with gr.Group():
                sample = gr.Textbox(label="Try the trained model", placeholder="Type a sentence")
                try_button = gr.Button("Classify with the trained model")
                prediction = gr.Label(label="Prediction")
    trained = gr.State()
    file.change(columns_of, file, [text_column, label_column], api_visibility="private")
    example.click(lambda: str(EXAMPLE_FILE), None, file, api_visibility="private")
    inputs = [file, validation_file, text_column, label_column, base_model, mode, epochs, learning_rate, batch_size,
              max_length, max_rows]
    event = button.click(run, inputs, [status, losses, confusion_table, confusion_plot, download, trained],
                         api_name="finetune_text")
    stop.click(None, None, None, cancels=[event], api_visibility="private")
    try_button.click(try_model, [trained, sample], prediction, api_name="try_text_model")


def preload() -> None:
    """Nothing to load ahead: the base model loads when training starts."""
