"""spaces.yaml: the one place that names models, what each reads, and each tab's choices among them."""

from __future__ import annotations

import functools
from pathlib import Path

import yaml

import i18n
from models.errors import ShowcaseError

ROOT = Path(__file__).resolve().parent.parent
SPACES_FILE = ROOT / "spaces.yaml"
# What a model's entry may say besides its family.
MODEL_FIELDS = {"family", "label", "languages"}
# A model of this "language" reads most languages.
MULTILINGUAL = "multilingual"


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
    """The languages a model reads (English unless spaces.yaml says otherwise; `multilingual` reads most)."""
    return list(entry(model_id).get("languages", [i18n.SOURCE]))


def reads(model_id: str, language: str) -> bool:
    """Whether the model reads text in the language: its own, or most, being multilingual."""
    return language in languages(model_id) or MULTILINGUAL in languages(model_id)


def prompt_language(model_id: str) -> str:
    """The language a model is prompted in: the first it reads that spaces.yaml has prompts for."""
    known = spaces().get("prompts", {})
    return next((language for language in languages(model_id) if language in known), i18n.SOURCE)


def prompts(language: str) -> dict[str, list[str]]:
    """CLIP's prompt templates in a language: `one` template, and the `ensemble` averaged."""
    return spaces()["prompts"][language]


def task_entries() -> dict[str, dict[str, list[str]]]:
    """Each tab's model choices by role, in tab order; a plain list in the file is the role `model`."""
    return {
        key: dict(choices) if isinstance(choices, dict) else {"model": list(choices)}
        for key, choices in spaces()["tasks"].items()
    }
