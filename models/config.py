"""spaces.yaml: the one place that names models, and each tab's model choices among them."""

from __future__ import annotations

import functools
from pathlib import Path

import yaml

from models.errors import ShowcaseError

ROOT = Path(__file__).resolve().parent.parent
SPACES_FILE = ROOT / "spaces.yaml"
# What a model's entry may say besides its family.
MODEL_FIELDS = {"family", "label", "languages"}


@functools.lru_cache(maxsize=1)
def spaces() -> dict:
    with open(SPACES_FILE, encoding="utf-8") as f:
        return yaml.safe_load(f)


def model_entries() -> dict[str, dict]:
    """Every model a tab may run, by id: its family and what the tabs show of it."""
    return spaces()["models"]


def entry(model_id: str) -> dict:
    try:
        return model_entries()[model_id]
    except KeyError:
        raise ShowcaseError("The model '{model_id}' is not listed in spaces.yaml.", model_id=model_id) from None


def label(model_id: str) -> str:
    """How the tabs name a model: its `label` in spaces.yaml, else its id."""
    return entry(model_id).get("label", model_id)


def languages(model_id: str) -> list[str]:
    """The languages a model reads (`en` unless spaces.yaml says otherwise; `multilingual` reads most)."""
    return list(entry(model_id).get("languages", ["en"]))


def reads_chinese(model_id: str) -> bool:
    return bool({"zh", "multilingual"} & set(languages(model_id)))


def task_entries() -> dict[str, dict[str, list[str]]]:
    """Each tab's model choices by role, in tab order; a plain list in the file is the role `model`."""
    return {
        key: dict(choices) if isinstance(choices, dict) else {"model": list(choices)}
        for key, choices in spaces()["tasks"].items()
    }
