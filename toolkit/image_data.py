"""Labelled images from visitors' uploads: image files named class_xxx.jpg, or zips of class folders."""

from __future__ import annotations

import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from PIL import Image

from models.errors import ShowcaseError
from toolkit.inputs import open_image

MAX_IMAGES = 2000
MAX_UNZIPPED_BYTES = 500_000_000  # a zip's declared contents; refuses zip bombs before reading them


@dataclass
class LabelledImages:
    images: list[Image.Image] = field(default_factory=list)
    labels: list[str] = field(default_factory=list)
    names: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)

    def add(self, source, name: str, label: str | None) -> None:
        if not label:
            self.skipped.append(f"{name}: no class (put it in a class folder or name it class_xxx.jpg)")
            return
        try:
            self.images.append(open_image(source))
        except ShowcaseError as error:
            self.skipped.append(f"{name}: {error}")
            return
        self.labels.append(label)
        self.names.append(name)

    def counts(self) -> dict[str, int]:
        return {label: self.labels.count(label) for label in sorted(set(self.labels))}


def label_from_name(path: PurePosixPath | Path) -> str | None:
    """The class of an image in a class folder (cats/01.jpg) or named class_xxx.jpg."""
    parent = path.parent.name
    if parent and not parent.startswith("."):
        return parent
    stem = path.stem
    return stem.split("_", 1)[0] if "_" in stem else None


def collect(paths: list[str | Path]) -> LabelledImages:
    """Labelled images from uploaded image files and zips of class folders (nested folders allowed)."""
    found = LabelledImages()
    for path in map(Path, paths):
        if zipfile.is_zipfile(path):
            _collect_zip(path, found)
        else:
            found.add(path, path.name, label_from_name(PurePosixPath(path.name)))
        if len(found.images) > MAX_IMAGES:
            raise ShowcaseError(f"More than {MAX_IMAGES:,} images; use fewer for a few-shot classifier.")
    return found


def _collect_zip(path: Path, found: LabelledImages) -> None:
    with zipfile.ZipFile(path) as archive:
        members = [m for m in archive.infolist() if not m.is_dir()]
        if sum(m.file_size for m in members) > MAX_UNZIPPED_BYTES:
            raise ShowcaseError(f"'{path.name}' unpacks to more than {MAX_UNZIPPED_BYTES // 10**6} MB.")
        for member in members:
            name = PurePosixPath(member.filename)
            if any(part.startswith((".", "__MACOSX")) for part in name.parts):
                continue  # macOS and hidden files that zips pick up
            # Read into memory: nothing from the archive is written to disk, so no path can escape.
            found.add(archive.read(member), member.filename, label_from_name(name))


def check(data: LabelledImages) -> None:
    """Refuses a set no classifier can learn from, saying why."""
    counts = data.counts()
    if not data.images:
        skipped = f" Skipped: {'; '.join(data.skipped[:5])}" if data.skipped else ""
        raise ShowcaseError("No usable labelled images found. Upload a zip of class folders, or images "
                            "named class_xxx.jpg." + skipped)
    if len(counts) < 2:
        raise ShowcaseError(f"Found only the class '{next(iter(counts))}'; a classifier needs two or more.")
    small = [label for label, n in counts.items() if n < 2]
    if small:
        raise ShowcaseError(f"Each class needs at least 2 images; these have 1: {', '.join(small)}.")
