"""Which tokens of a text hold up a model's score: each token masked in turn (Captum's
FeatureAblation), all the masked copies in one batched forward pass of the network as it runs,
OpenVINO included, so no gradients and no PyTorch copy are needed."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch

from models.base import Answers, Ranking, Timings


@dataclass
class TokenEffects:
    """How much each token of a text holds up a score: the score's drop when that token alone is masked."""

    text: str
    spans: list[tuple[int, int]]  # each token's characters in the text
    effects: np.ndarray  # per token: positive where masking it lowers the score
    score: float  # the score with nothing masked
    class_index: int = 0  # the class (or label) whose score it is


def mask_id(tokenizer) -> int:
    """What a token is replaced by: the mask token the encoder was pretrained to read as 'unknown here'."""
    for candidate in (tokenizer.mask_token_id, tokenizer.unk_token_id, tokenizer.pad_token_id):
        if candidate is not None:
            return candidate
    raise ValueError("the tokenizer has no mask, unknown or padding token")


def effects_of(
    tokens, score: Callable[[dict[str, torch.Tensor]], torch.Tensor], replacement: int
) -> tuple[np.ndarray, list[tuple[int, int]]]:
    """Each real token's effect on score (a batch of token tensors in, a score per row out) when it is
    replaced, and the tokens' character spans. `tokens`: a fast tokenizer's
    encoding of one text, with its offsets. Special tokens ([CLS], [SEP]) stay as they are."""
    from captum.attr import FeatureAblation

    encoding = tokens.encodings[0]
    ids = tokens["input_ids"]
    special = torch.tensor(encoding.special_tokens_mask, dtype=torch.bool)[None]
    # Group 0, the special tokens, is "replaced" by itself; every other token is a group of its own.
    groups = torch.where(special, 0, torch.cumsum(~special, dim=1))
    baseline = torch.where(special, ids, torch.full_like(ids, replacement))
    others = {name: value for name, value in tokens.items() if name not in ("input_ids", "offset_mapping")}
    names = list(others)

    def forward(input_ids: torch.Tensor, *rest: torch.Tensor) -> torch.Tensor:
        return score({"input_ids": input_ids, **dict(zip(names, rest))})

    ablation = FeatureAblation(forward)
    attributions = ablation.attribute(
        ids,
        baselines=baseline,
        additional_forward_args=tuple(others[name] for name in names),
        feature_mask=groups,
        perturbations_per_eval=int(groups.max()) + 1,
    )
    real = ~special[0]
    spans = [span for span, keep in zip(encoding.offsets, real.tolist()) if keep]
    return attributions[0][real].float().numpy(), spans


def class_effects(
    texts: list[str],
    ranks: list[int],
    tokenize: Callable[[str], object],
    probabilities: Callable[[dict[str, torch.Tensor]], torch.Tensor],
    replacement: int,
    device: torch.device,
) -> Answers[TokenEffects]:
    """Which tokens of each text hold up its class of a rank (0: the likeliest): the drop in that
    class's probability when each token alone is masked. tokenize: one text to a fast tokenizer's
    encoding; probabilities: a batch of token tensors to each row's class probabilities."""
    timings = Timings()
    rows = []
    for text, rank in zip(texts, ranks):
        with timings.measure("preprocess"):
            tokens = tokenize(text)
        with timings.measure("forward", device):
            answer = probabilities(dict(tokens))[0]
        index = Ranking.of(answer).indices[rank]
        with timings.measure("explain", device):
            effects, spans = effects_of(tokens, lambda batch, index=index: probabilities(batch)[:, index], replacement)
        rows.append(TokenEffects(text, spans, effects, float(answer[index]), index))
    return Answers(rows, timings)
