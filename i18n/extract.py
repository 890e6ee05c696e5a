"""Extracts every English text a visitor may read into a gettext template (.pot), with Babel:

    python -m i18n.extract /tmp/showcase.pot

The texts are the first argument of t(), N_(), message(), Text() and the errors (ShowcaseError,
ModelUnavailable), the setting named by number(), clean_text() and text_lines(), and each tab's
title (Task), in the product's code; and the class names of the datasets the models answer with
(COCO, ImageNet), each with its index as context. A translator starts a catalog from the template
(`pybabel init`), and brings one up to date with it (`pybabel update`): README, "Adding a
language". tests/test_languages.py holds the Chinese catalog against it.
"""

from __future__ import annotations

import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import write_po

from i18n import class_context

ROOT = Path(__file__).resolve().parent.parent
# The product's code, where visitor text is written (tests, benchmarks and the harness are not shown).
SOURCES = ("app.py", "i18n", "models", "storage", "tasks", "toolkit")
# Function name -> which argument is the English text (Babel's keyword specification).
KEYWORDS = {
    "t": None,
    "N_": None,
    "message": None,
    "Text": None,
    "ShowcaseError": None,
    "ModelUnavailable": None,
    "number": (2,),
    "clean_text": (2,),
    "text_lines": (2,),
    "Task": (2,),  # a tab's title
    "say": None,  # a report's text (toolkit/report.py)
}


def dataset_classes() -> dict[str, list[str]]:
    """The English class names of the datasets the models answer with, in their index order."""
    import ultralytics
    import yaml
    from torchvision.models import ResNet50_Weights

    coco = Path(ultralytics.__file__).parent / "cfg" / "datasets" / "coco.yaml"
    with open(coco, encoding="utf-8") as file:
        names = yaml.safe_load(file)["names"]
    return {"COCO": [names[i] for i in range(len(names))], "ImageNet": ResNet50_Weights.DEFAULT.meta["categories"]}


def template() -> Catalog:
    """Every English text a visitor may read, where it is written, and whether it is a template."""
    catalog = Catalog(project="Model Showcase", fuzzy=False)
    for source in SOURCES:
        path = ROOT / source
        found = (
            extract_from_dir(path, [("**.py", "python")], keywords=KEYWORDS, comment_tags=("NOTE:",))
            if path.is_dir()
            else ((path.name, *item) for item in _extract_file(path))
        )
        for filename, line, text, comments, context in found:
            where = str((path if path.is_file() else path / filename).relative_to(ROOT))
            flags = ("python-brace-format",) if "{" in text else ()
            catalog.add(text, locations=[(where, line)], auto_comments=comments, context=context, flags=flags)
    for dataset, names in dataset_classes().items():
        for index, name in enumerate(names):
            catalog.add(name, context=class_context(dataset, index))
    return catalog


def _extract_file(path: Path):
    from babel.messages.extract import extract_from_file

    return extract_from_file("python", path, keywords=KEYWORDS, comment_tags=("NOTE:",))


def main(argv: list[str]) -> None:
    if len(argv) != 1:
        sys.exit("usage: python -m i18n.extract OUTPUT.pot")
    with open(argv[0], "wb") as file:
        write_po(file, template(), width=120)


if __name__ == "__main__":
    main(sys.argv[1:])
