"""A text classifier's answer explained: the text with each token coloured by how much it holds up
the class (token_ablation's effects), and the line that says so (text classification, fine-tune text)."""

from __future__ import annotations

import numpy as np

from models.token_ablation import TokenEffects
from toolkit.messages import message

STRONGEST = 3  # tokens the line names


def highlighted(found: TokenEffects) -> list[tuple[str, float | None]]:
    """The whole text as gr.HighlightedText shows it: each token with its effect scaled to -1..1
    (positive: it holds the class up), the characters between tokens with none."""
    top = float(np.abs(found.effects).max()) if len(found.effects) else 0.0
    pieces: list[tuple[str, float | None]] = []
    end = 0
    for (start, stop), effect in zip(found.spans, found.effects):
        if start > end:
            pieces.append((found.text[end:start], None))
        pieces.append((found.text[start:stop], round(float(effect) / top, 3) if top > 0 else 0.0))
        end = max(end, stop)
    if end < len(found.text):
        pieces.append((found.text[end:], None))
    return pieces


def line(found: TokenEffects, name: str, rank: int) -> str:
    """What the colours mean, for the class of that rank, and the tokens that hold it up most."""
    order = np.argsort(-found.effects, kind="stable")[:STRONGEST]
    strongest = ", ".join(
        f"“{found.text[slice(*found.spans[i])]}” {found.effects[i]:+.1%}" for i in order if found.effects[i] > 0
    )
    text = message(
        "Red tokens hold up “{name}” ({probability:.1%}, number {rank}), purple ones pull against it: each "
        "token's colour is how much the probability drops when that token alone is masked.",
        name=name,
        probability=found.score,
        rank=rank,
    )
    if strongest:
        text += " " + message("Most: {tokens}.", tokens=strongest)
    else:
        text += " " + message("No single token holds it up: masking any one of them leaves it as sure or surer.")
    return text
