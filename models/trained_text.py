"""Text classifiers trained in the dashboard, saved and loaded in Hugging Face format: a linear probe
on a frozen sentence encoder, or an encoder and head fine-tuned end to end."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import torch

from models import sentence_encoder, sequence_classifier, token_ablation
from models.base import Answers, Ranking
from models.linear_probe import LinearProbe
from models.sentence_encoder import SentenceEncoder
from models.sequence_classifier import SequenceClassifier
from models.token_ablation import TokenEffects

DESCRIPTION = "showcase.json"
HEAD = "probe_head.safetensors"


@dataclass
class ProbeClassifier:
    """A linear probe on a frozen sentence encoder's embeddings."""

    encoder: SentenceEncoder
    probe: LinearProbe
    max_length: int

    mode = "probe"
    how_to_use = (
        "AutoModel.from_pretrained(folder): mean of the token states over the attention mask, "
        f"L2-normalised, then softmax(x @ weight.T + bias) from {HEAD} over 'classes'."
    )

    @property
    def classes(self) -> list[str]:
        return self.probe.classes

    def classify(self, texts: list[str]) -> list[Ranking]:
        """Each text's classes (indices into `classes`) by probability."""
        return [Ranking.of(row) for row in self.probe.probabilities(self.encoder.embed(texts, self.max_length))]

    def token_effects(self, texts: list[str], ranks: list[int]) -> Answers[TokenEffects]:
        """Which tokens of each text hold up its class of a rank (token_ablation.class_effects),
        masked before the encoder reads them."""
        encoder = self.encoder
        return token_ablation.class_effects(
            texts,
            ranks,
            lambda text: encoder.encode(text, truncation=True, max_length=self.max_length, return_tensors="pt"),
            lambda tokens: self.probe.probabilities(encoder.forward(tokens)),
            token_ablation.mask_id(encoder.tokenizer),
            encoder.device,
        )

    def save_weights(self, folder: Path) -> None:
        self.encoder.save(folder)
        self.probe.save(folder / HEAD)


@dataclass
class FineTunedClassifier:
    """An encoder and classification head trained end to end."""

    classifier: SequenceClassifier
    max_length: int

    mode = "full"
    how_to_use = "AutoModelForSequenceClassification.from_pretrained(folder)"

    @property
    def classes(self) -> list[str]:
        return self.classifier.labels

    def classify(self, texts: list[str]) -> list[Ranking]:
        """Each text's classes (indices into `classes`) by probability."""
        return [row.ranking for row in self.classifier.classify(texts, self.max_length)]

    def token_effects(self, texts: list[str], ranks: list[int]) -> Answers[TokenEffects]:
        return self.classifier.token_effects(texts, ranks, self.max_length)

    def loss(self, texts: list[str], targets: torch.Tensor) -> torch.Tensor:
        """The training loss on a batch (class indices as targets), through the PyTorch network
        being fine-tuned."""
        tokens, _ = self.classifier.preprocess(texts, self.max_length)
        network = self.classifier.model
        return network(**self.classifier.to_device(tokens), labels=targets.to(self.classifier.device)).loss

    def save_weights(self, folder: Path) -> None:
        self.classifier.save(folder)


TrainedClassifier = ProbeClassifier | FineTunedClassifier


def save(classifier: TrainedClassifier, folder: str | Path, base_model: str, validation: str) -> None:
    """The weights, and showcase.json saying what they are and how to load them."""
    folder = Path(folder)
    classifier.save_weights(folder)
    description = {
        "mode": classifier.mode,
        "base_model": base_model,
        "classes": classifier.classes,
        "max_length": classifier.max_length,
        "validation": validation,
        "how_to_use": classifier.how_to_use,
    }
    (folder / DESCRIPTION).write_text(json.dumps(description, indent=2, ensure_ascii=False), encoding="utf-8")


def load(folder: str | Path) -> tuple[TrainedClassifier, dict]:
    """A classifier saved by save(), ready to predict again, and its description."""
    folder = Path(folder)
    description = json.loads((folder / DESCRIPTION).read_text(encoding="utf-8"))
    if description["mode"] == "probe":
        probe = LinearProbe.load(folder / HEAD, description["classes"])
        return ProbeClassifier(sentence_encoder.load(str(folder)), probe, description["max_length"]), description
    return FineTunedClassifier(sequence_classifier.load(str(folder)), description["max_length"]), description
