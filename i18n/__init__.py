"""What a visitor reads, in their language: the lowest layer, which every other one may use.

Everything is written in English in the code: interface labels (toolkit.interface.t), what the
server writes (Text, and the ShowcaseErrors that carry one), and the class names models answer
with. Each other language is one gettext catalog, `locales/<code>.po`, keyed by the English
(msgid), with a context (msgctxt) where one English name means two things (ImageNet has two
classes called "crane"). A visitor's language is negotiated over the catalogs that exist; English
is the source language and has none. `python -m i18n.extract` writes the template a translator
starts a new catalog from (README, "Adding a language").
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

LOCALES = Path(__file__).resolve().parent.parent / "locales"
SOURCE = "en"  # the language the code is written in

# The script each language is written in, to tell which language a visitor typed in (a model that
# reads it is then offered). Latin text is taken as English. Japanese is told by its kana, before
# the Han characters it shares with Chinese.
SCRIPTS = {
    "ja": re.compile(r"[\u3040-\u30ff]"),
    "ko": re.compile(r"[\uac00-\ud7af]"),
    "zh": re.compile(r"[\u3400-\u9fff\uf900-\ufaff]"),
    "ru": re.compile(r"[\u0400-\u04ff]"),
    "ar": re.compile(r"[\u0600-\u06ff]"),
}


def N_(text: str) -> str:
    """Marks English text for the catalogs where it is defined, to be translated where it is shown
    (gettext's convention for text kept in a constant)."""
    return text


@dataclass(frozen=True)
class Language:
    """A language the dashboard speaks."""

    code: str  # "zh": the catalog's file name, and what the server negotiates
    locale: str  # "zh-CN": the browser locale that shows it (Gradio's own labels know zh-CN, not zh)
    name: str  # "中文": the language's name in itself, for the language switch


@functools.cache
def _catalogs() -> dict[str, tuple[Language, dict[tuple[str | None, str], str]]]:
    """Each catalog in LOCALES: its language and its translations by (context, English)."""
    from babel import Locale
    from babel.messages.pofile import read_po

    found = {}
    for path in sorted(LOCALES.glob("*.po")):
        with open(path, "rb") as file:
            catalog = read_po(file)
        parsed = catalog.locale or Locale.parse(path.stem)
        locale = "-".join(part for part in (parsed.language, parsed.territory) if part)  # zh_Hans_CN: zh-CN
        name = Locale.parse(path.stem).get_display_name(path.stem)
        translations = {
            (message.context, message.id): message.string
            for message in catalog
            if message.id and message.string and not message.fuzzy
        }
        found[path.stem] = Language(path.stem, locale, name), translations
    return found


def languages() -> dict[str, Language]:
    """Every language there is a catalog for, English first."""
    catalogs = {code: language for code, (language, _) in _catalogs().items()}
    return {SOURCE: Language(SOURCE, SOURCE, "English")} | catalogs


def translate(english: str, language: str, context: str | None = None) -> str:
    """The catalog's translation of an English text, or the English where there is none."""
    if language not in _catalogs():
        return english
    return _catalogs()[language][1].get((context, english), english)


def negotiate(accept_language: str | None = None, chosen: str | None = None) -> str:
    """The language to answer a visitor in: the one they chose on the page, else the first of their
    browser's languages (Accept-Language, by preference) that has a catalog, else English."""
    preferred = []
    for position, part in enumerate((accept_language or "").split(",")):
        tag, _, quality = part.partition(";q=")
        try:
            weight = float(quality) if quality else 1.0
        except ValueError:
            weight = 0.0
        preferred.append((-weight, position, tag.strip()))
    wanted = [chosen or ""] + [tag for *_, tag in sorted(preferred)]
    available = languages()
    for tag in wanted:
        code = re.split(r"[-_]", tag.strip().lower(), maxsplit=1)[0]
        if code in available:
            return code
    return SOURCE


def text_language(texts: Sequence[str]) -> str:
    """The language the texts are written in, told by their script: the first one SCRIPTS finds,
    else English."""
    for code, script in SCRIPTS.items():
        if any(script.search(text) for text in texts):
            return code
    return SOURCE


@dataclass(frozen=True)
class Text:
    """Text for a visitor: an English template (str.format) and its values, rendered in a language.
    A value that is itself a Text (or a LanguageName) is rendered in the same language."""

    template: str
    values: dict[str, Any] = field(default_factory=dict)

    def render(self, language: str = SOURCE) -> str:
        template = translate(self.template, language)
        if not self.values:
            return template
        values = {
            name: value.render(language) if isinstance(value, Text | LanguageName) else value
            for name, value in self.values.items()
        }
        return template.format(**values)

    def __str__(self) -> str:
        return self.render()


@dataclass(frozen=True)
class LanguageName:
    """A language's name, rendered in the reader's language ("Chinese", "中文")."""

    code: str

    def render(self, language: str = SOURCE) -> str:
        from babel import Locale, UnknownLocaleError

        try:
            return Locale.parse(self.code).get_display_name(language) or self.code
        except (UnknownLocaleError, ValueError):
            return self.code


def class_context(dataset: str, index: int) -> str:
    """The catalog context of a dataset's class: its English name may be another class's too."""
    return f"{dataset} class {index}"


def class_names(dataset: str, english: Sequence[str], language: str) -> list[str]:
    """A model's class names in a language: each from the catalog's entry for its index in the
    dataset ("COCO", "ImageNet"), where that entry's English is the model's; else the English."""
    return [translate(name, language, class_context(dataset, index)) for index, name in enumerate(english)]
