"""The tokenizer of any hub model, without its weights."""

from __future__ import annotations

from models.hub import from_hub


def load(model_id: str):
    from transformers import AutoTokenizer

    return from_hub(model_id, AutoTokenizer.from_pretrained)[0]
