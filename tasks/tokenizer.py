"""Tokenizer explorer: byte-level BPE beside WordPiece, and a BPE you train yourself (`/tokenize`)."""

from __future__ import annotations

import json
from dataclasses import dataclass

import gradio as gr
import pandas as pd

import models
from i18n import N_
from models.hub import encode
from toolkit import sharing, ui
from toolkit.inputs import clean_text, number
from toolkit.interface import t
from toolkit.messages import message, with_columns_translated
from toolkit.task import Endpoint, Task

MAX_CHARS = 20_000
MAX_CORPUS_CHARS = 200_000
MAX_MERGES = 5_000
SAMPLE_CHARS = 200  # of the corpus's first line, segmented when no sample is given
SHOWN_MERGES = 30
COLOURS = 6  # tokens are coloured in turn, so that neighbours differ
EXAMPLE_TEXTS = [
    "Tokenization splits text into pieces; unbelievably, GPT-2 and BERT disagree.",
    "我喜欢猫。Transformers read 中文 too 🐱",
]
EXAMPLE_CORPUS = (
    "low lower lowest slow slower slowest\n"
    "new newer newest renew renewal\n"
    "the lowest new tower is slower than the newest tower\n"
)


@dataclass
class Token:
    id: int
    piece: str  # the vocabulary entry, as the tokenizer stores it (e.g. 'Ġworld', '##ing')
    text: str  # what it stands for, readable


def get_tokenizer(model_id: str):
    return models.load_tokenizer(TASK.check(model_id))


def tokenize(tokenizer, text: str) -> list[Token]:
    """Pure predict function: the tokens of text, each with its id and readable text.

    Byte-level BPE can split one character (Chinese, emoji) across several tokens whose bytes are no
    text on their own; such tokens show the character with their part, e.g. '猫 (2/3)'.
    """
    encoding = encode(tokenizer, text, add_special_tokens=False, return_offsets_mapping=True)
    ids, spans = encoding["input_ids"], encoding["offset_mapping"]
    pieces = tokenizer.convert_ids_to_tokens(ids)
    readable = [tokenizer.decode([i]) for i in ids]
    tokens = [Token(i, piece, plain) for i, piece, plain in zip(ids, pieces, readable)]
    # Fragments of one character share their span's end; number them within that run.
    start = 0
    while start < len(tokens):
        end = start + 1
        while end < len(tokens) and spans[end][1] == spans[start][1]:
            end += 1
        if any("\ufffd" in readable[k] for k in range(start, end)) and end - start > 1:
            character = text[spans[start][0] : spans[start][1]]
            for part, k in enumerate(range(start, end), start=1):
                tokens[k].text = f"{character} ({part}/{end - start})"
        start = end
    return tokens


def highlighted(tokens: list[Token]) -> list[tuple[str, str]]:
    return [(token.text, str(n % COLOURS)) for n, token in enumerate(tokens)]


def token_table(tokens: list[Token]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "#": range(1, len(tokens) + 1),
            N_("token"): [t.piece for t in tokens],
            N_("id"): [t.id for t in tokens],
            N_("text"): [t.text for t in tokens],
        }
    )


def summary(model_id: str, text: str, tokens: list[Token]) -> str:
    per_token = len(text) / len(tokens) if tokens else 0
    return message(
        "**{model_id}**: {tokens} tokens for {characters} characters ({per_token:.1f} characters per token)",
        model_id=model_id,
        tokens=len(tokens),
        characters=len(text),
        per_token=per_token,
    )


@ui.user_errors
def run(text, left_id, right_id):
    """Splits a text into tokens with two tokenizers side by side (for example GPT-2's BPE and BERT's WordPiece).

    Args:
        text: the text to split
        left_id: the first tokenizer's model id
        right_id: the second tokenizer's model id

    Returns:
        for each tokenizer: its tokens coloured in the text, their ids, and a summary line
    """
    text = clean_text(text, "some text", MAX_CHARS)
    outputs = []
    for model_id in (left_id, right_id):
        tokens = tokenize(get_tokenizer(model_id), text)
        outputs += [highlighted(tokens), with_columns_translated(token_table(tokens)), summary(model_id, text, tokens)]
    return tuple(outputs)


# ---------------------------------------------------------------- train your own BPE


@dataclass
class TrainedBpe:
    merges: list[tuple[str, str]]
    vocabulary_size: int
    segmentation: list[str]
    notes: list[str]


def train_bpe(corpus: str, merges: int, sample: str = "") -> TrainedBpe:
    """Learns up to `merges` BPE merges on the corpus (most frequent pair first) with `tokenizers`,
    then segments `sample` (default: the corpus's first line) with them."""
    from tokenizers import Tokenizer, models, pre_tokenizers, trainers

    corpus = clean_text(corpus, "a corpus to train on", MAX_CORPUS_CHARS)
    merges = number(merges, "Merges", 0, whole=True)
    notes = []
    if merges > MAX_MERGES:
        notes.append(
            message("{asked:,} merges asked; this panel learns at most {limit:,}.", asked=merges, limit=MAX_MERGES)
        )
    wanted = min(merges, MAX_MERGES)
    alphabet = sorted({c for c in corpus if not c.isspace()})
    tokenizer = Tokenizer(models.BPE(unk_token="[UNK]"))
    tokenizer.pre_tokenizer = pre_tokenizers.Whitespace()
    trainer = trainers.BpeTrainer(
        vocab_size=len(alphabet) + 1 + wanted,
        special_tokens=["[UNK]"],
        initial_alphabet=alphabet,
        min_frequency=0,
        show_progress=False,
    )
    tokenizer.train_from_iterator(corpus.splitlines(), trainer)
    learned = [
        tuple(m.split(" ", 1)) if isinstance(m, str) else tuple(m)
        for m in json.loads(tokenizer.to_str())["model"]["merges"]
    ]
    if len(learned) < wanted:
        notes.append(
            message("Stopped after {count} merges: no pair of adjacent tokens is left to merge.", count=len(learned))
        )
    sample = (sample or "").strip()
    if not sample:  # the corpus's first line, cut to a sample's length
        sample = next(line for line in corpus.splitlines() if line.strip())[:SAMPLE_CHARS]
    segmentation = tokenizer.encode(clean_text(sample, "a sample", MAX_CHARS)).tokens
    return TrainedBpe(learned, tokenizer.get_vocab_size(), segmentation, notes)


@ui.user_errors
def run_training(corpus, merges, sample):
    """Learns byte-pair-encoding merges from a corpus and segments a sample with them.

    Args:
        corpus: the text to learn from
        merges: how many merges to learn (a whole number)
        sample: the text to segment (empty: the start of the corpus's first line)
    """
    bpe = train_bpe(corpus, merges, sample)
    table = pd.DataFrame(
        {
            N_("step"): range(1, min(len(bpe.merges), SHOWN_MERGES) + 1),
            N_("left"): [a for a, _ in bpe.merges[:SHOWN_MERGES]],
            N_("right"): [b for _, b in bpe.merges[:SHOWN_MERGES]],
            N_("new token"): [a + b for a, b in bpe.merges[:SHOWN_MERGES]],
        }
    )
    info = message(
        "{merges} merges learned, vocabulary of {vocabulary}; sample in {tokens} tokens.",
        merges=len(bpe.merges),
        vocabulary=bpe.vocabulary_size,
        tokens=len(bpe.segmentation),
    )
    segments = [(piece, str(n % COLOURS)) for n, piece in enumerate(bpe.segmentation)]
    return with_columns_translated(table), segments, "\n\n".join([info, *bpe.notes])


def build_ui() -> None:
    gr.Markdown(
        t(
            "Models read **tokens**, not letters. GPT-2's **byte-level BPE** and BERT's **WordPiece** cut "
            "the same text differently: compare them, then train a tiny BPE yourself."
        )
    )
    colours = {str(n): c for n, c in enumerate(["#c7d2fe", "#fde68a", "#bbf7d0", "#fecaca", "#bae6fd", "#e9d5ff"])}
    with gr.Row():
        text = gr.Textbox(label=t("Text"), value=EXAMPLE_TEXTS[0], lines=3, scale=3, max_length=MAX_CHARS)
        ui.greet(text, ui.in_language(EXAMPLE_TEXTS))
        with gr.Column(scale=1):
            left_id = gr.Dropdown(TASK.choices(), value=TASK.choices()[0], label=t("Left tokenizer"))
            right_id = gr.Dropdown(TASK.choices(), value=TASK.choices()[1], label=t("Right tokenizer"))
            button = gr.Button(t("Tokenize"), variant="primary")
    outputs = []
    sides = [
        (t("Left: summary"), t("Left: tokens"), t("Left: ids")),
        (t("Right: summary"), t("Right: tokens"), t("Right: ids")),
    ]
    with gr.Row():
        for summary_label, tokens_label, ids_label in sides:
            with gr.Column():
                info = gr.Markdown(label=summary_label)
                pieces = gr.HighlightedText(
                    label=tokens_label,
                    color_map=colours,
                    show_legend=False,
                    show_inline_category=False,
                    combine_adjacent=False,
                )
                table = gr.DataFrame(label=ids_label, wrap=True, max_height=300)
                outputs += [pieces, table, info]
    sharing.panel(TASK, [text, left_id, right_id], outputs)
    gr.Examples([[e] for e in EXAMPLE_TEXTS], inputs=[text])
    ui.bind(TASK.endpoint("tokenize"), button.click, [text, left_id, right_id], outputs)

    with gr.Accordion(t("Train your own BPE"), open=False):
        gr.Markdown(
            t(
                "Byte-pair encoding starts from single characters and repeatedly merges the most frequent "
                "adjacent pair into a new token. Paste a corpus and choose how many merges to learn."
            )
        )
        with gr.Row():
            with gr.Column():
                corpus = gr.Textbox(label=t("Corpus"), value=EXAMPLE_CORPUS, lines=6)
                merges = ui.whole_number(20, t("Merges"))
                sample = gr.Textbox(
                    label=t("Segment this text (empty: the start of the corpus's first line)"),
                    value="the slowest renewal",
                )
                train = gr.Button(t("Learn merges"))
            with gr.Column():
                learned_info = gr.Markdown(label=t("Summary"))
                segments = gr.HighlightedText(
                    label=t("Segmentation"),
                    color_map=colours,
                    show_legend=False,
                    show_inline_category=False,
                    combine_adjacent=False,
                )
                learned = gr.DataFrame(label=t("First {count} merges, in order", count=SHOWN_MERGES), max_height=350)
        training = [corpus, merges, sample]
        ui.bind(TASK.endpoint("train_bpe"), train.click, training, [learned, segments, learned_info])


def preload() -> None:
    for model_id in TASK.choices()[:2]:
        get_tokenizer(model_id)


TASK = Task(
    __name__,
    "Tokenizer explorer",
    "Language",
    {"model": ("causal_lm", "sentence_encoder", "sequence_classifier", "clip")},
    build_ui,
    endpoints=(Endpoint("tokenize", run), Endpoint("train_bpe", run_training, tool=False)),
    preload=preload,
)
