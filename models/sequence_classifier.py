"""Text classifiers: a BERT-family encoder with a classification head (hub ids), for inference and
as a fresh head to fine-tune."""

from __future__ import annotations

from dataclasses import dataclass

import torch

from models import calibration as calibration_set
from models import token_ablation
from models.base import Answers, Ranking, Timings
from models.device import place
from models.hub import HubModel, encode, from_hub
from models.runtime import Runner
from models.tensors import TEXTS_PER_PASS
from models.token_ablation import TokenEffects

FROM_HUB = True
# Row-wise methods (a row out per row of the first argument): joined across requests on Ray Serve.
BATCHED = ("classify",)


@dataclass
class ClassifiedText:
    """One text's labels by probability, and whether it was cut to the model's length limit."""

    ranking: Ranking
    truncated: bool


@dataclass
class SequenceClassifier(HubModel):
    logits: Runner | None = None

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.logits is None:  # built around a network being fine-tuned: PyTorch, kept for saving
            self.logits = Runner(self.model, self.model_id, "logits", self.device, self.dtype, accelerate=False)

    def runners(self) -> list[Runner]:
        return [self.logits]

    @property
    def labels(self) -> list[str]:
        """The classes in the order of the logits."""
        id2label = self.config.id2label
        return [id2label[i] for i in range(len(id2label))]

    @property
    def max_tokens(self) -> int:
        return min(self.tokenizer.model_max_length, self.config.max_position_embeddings)

    def preprocess(self, texts: list[str], max_length: int | None = None) -> tuple[dict[str, torch.Tensor], list[bool]]:
        """Token tensors for a padded batch, and which texts were cut to the length limit."""
        tokens = self.encode(
            texts,
            padding=True,
            truncation=True,
            max_length=min(max_length or self.max_tokens, self.max_tokens),
            return_tensors="pt",
        )
        # A fast tokenizer keeps what truncation cut off in each encoding's `overflowing`.
        return dict(tokens), [bool(encoding.overflowing) for encoding in tokens.encodings]

    def forward(self, tokens: dict[str, torch.Tensor]) -> torch.Tensor:
        return self.logits(**tokens)

    def classify(self, texts: list[str], max_length: int | None = None) -> Answers[ClassifiedText]:
        """Each text's labels (indices into `labels`) by probability, TEXTS_PER_PASS texts per
        forward pass."""
        timings = Timings()
        rows = []
        for start in range(0, len(texts), TEXTS_PER_PASS):
            with timings.measure("preprocess"):
                tokens, cut = self.preprocess(texts[start : start + TEXTS_PER_PASS], max_length)
            with timings.measure("forward", self.device):
                logits = self.forward(tokens)
            with timings.measure("postprocess"):
                rows += [ClassifiedText(Ranking.of(row), truncated) for row, truncated in zip(logits.softmax(-1), cut)]
        return Answers(rows, timings)

    def token_effects(self, texts: list[str], ranks: list[int], max_length: int | None = None) -> Answers[TokenEffects]:
        """Which tokens of each text hold up its class of a rank (token_ablation.class_effects), on
        the runtime the model answers with."""
        limit = min(max_length or self.max_tokens, self.max_tokens)
        return token_ablation.class_effects(
            texts,
            ranks,
            lambda text: self.encode(text, truncation=True, max_length=limit, return_tensors="pt"),
            lambda tokens: self.forward(tokens).softmax(-1),
            token_ablation.mask_id(self.tokenizer),
            self.device,
        )

    def warm(self) -> None:
        self.classify(["warming up"])


def wrap(model: torch.nn.Module, tokenizer, model_id: str) -> SequenceClassifier:
    """Places a network (loaded, or built with random weights by tests) for inference on the
    accelerated runtime, which then holds the only reference to it."""
    model, device, dtype = place(model)
    calibration = calibration_set.of_texts(model_id, lambda text: dict(encode(tokenizer, text, return_tensors="pt")))
    logits = Runner(model, model_id, "logits", device, dtype, calibration=calibration)
    return SequenceClassifier(model_id, device, dtype, None, tokenizer, model.config, logits=logits)


def load(model_id: str) -> SequenceClassifier:
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    model, tokenizer = from_hub(
        model_id, AutoModelForSequenceClassification.from_pretrained, AutoTokenizer.from_pretrained
    )
    return wrap(model, tokenizer, model_id)


def fresh_head(base_model: str, classes: list[str]) -> tuple[torch.nn.Module, object]:
    """A pretrained encoder with a new, untrained classification head over `classes`, and its tokenizer."""
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    labels = dict(enumerate(classes))
    return from_hub(
        base_model,
        lambda i: AutoModelForSequenceClassification.from_pretrained(
            i, num_labels=len(classes), id2label=labels, label2id={c: n for n, c in labels.items()}
        ),
        AutoTokenizer.from_pretrained,
    )
