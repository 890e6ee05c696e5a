"""Labelled images from visitors' uploads (image files named class_xxx.jpg, or zips of class folders),
and from CIFAR-10.

Everything is checked before any pixel is decoded: the number of images, each image's size and the
pixels all of them would decode to (read from their headers). Images are then decoded one at a time
and kept small, at the size the backbones read.
"""

from __future__ import annotations

import os
import struct
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from PIL import Image

from models.errors import ShowcaseError
from models.runtime import cache_dir
from toolkit import probe
from toolkit.inputs import decoded_pixels, lazy_image, open_image
from toolkit.messages import in_visitor_language, message

MAX_IMAGES = 2000
MAX_UNZIPPED_BYTES = 200_000_000  # a zip's declared contents; refuses zip bombs before reading them
# zipfile reads a zip's whole directory when it opens it, so the directory is measured first, from
# the end record. Entries: images, their folders, and macOS's "._" twin of each file.
MAX_ZIP_ENTRIES = 5 * MAX_IMAGES
MAX_ZIP_DIRECTORY_BYTES = 4_000_000  # MAX_ZIP_ENTRIES entries with names of some 350 characters
# Pixels decoded over a whole upload (JPEGs count at their reduced decoding scale): a few seconds of
# decoding on a small CPU; about 200 phone photos, or 3,000 screenshots.
MAX_TOTAL_PIXELS = 600_000_000
KEPT_SIDE = 512  # images are kept at most this large: the backbones read 224 px
CIFAR_SIDE = 32


@dataclass
class LabelledImages:
    images: list[Image.Image] = field(default_factory=list)
    labels: list[str] = field(default_factory=list)
    names: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        return {label: self.labels.count(label) for label in sorted(set(self.labels))}


@dataclass
class Candidate:
    """One image of an upload, not yet read: its name, its class, and how to get its bytes."""

    name: str
    label: str | None
    read: Callable[[], bytes | Path]

    @property
    def file_name(self) -> str:
        """Its name without its folders, as messages about the file itself call it."""
        return PurePosixPath(self.name).name


def label_from_name(path: PurePosixPath | Path) -> str | None:
    """The class of an image in a class folder (cats/01.jpg) or named class_xxx.jpg."""
    parent = path.parent.name
    if parent and not parent.startswith("."):
        return parent
    stem = path.stem
    return stem.split("_", 1)[0] if "_" in stem else None


def member_name(member: zipfile.ZipInfo) -> str:
    """The member's name as its maker wrote it. Zips from Chinese Windows store GBK names without the
    UTF-8 flag, which Python reads as cp437 (mojibake); some tools write UTF-8 without the flag."""
    if member.flag_bits & 0x800 or member.filename.isascii():
        return member.filename
    raw = member.filename.encode("cp437")
    readings = {}
    for encoding in ("utf-8", "gb18030"):
        try:
            readings[encoding] = raw.decode(encoding)
        except UnicodeDecodeError:
            pass

    def chinese(name: str) -> bool:
        return all(c.isascii() or "\u3000" <= c <= "\u9fff" or "\uff00" <= c <= "\uffef" for c in name)

    # Short GBK names are often valid UTF-8 too (猫 reads as è): Chinese wins where it reads as Chinese.
    for encoding in ("utf-8", "gb18030"):
        if encoding in readings and chinese(readings[encoding]):
            return readings[encoding]
    return readings.get("utf-8", member.filename)


def zip_directory(path: Path) -> tuple[int, int]:
    """The entries a zip's directory declares and its size in bytes, read from the end record (and
    the zip64 end record where those numbers overflow it); (0, 0) where there is none."""
    with open(path, "rb") as file:
        size = file.seek(0, os.SEEK_END)
        file.seek(max(0, size - 22 - 65_535))  # the end record: 22 bytes, then a comment of up to 64 KiB
        tail = file.read()
        end = tail.rfind(b"PK\x05\x06")
        if end < 0 or len(tail) < end + 22:
            return 0, 0
        entries, directory_bytes = struct.unpack_from("<HI", tail, end + 10)
        locator = end - 20  # zip64's locator sits just before the end record
        overflowed = entries == 0xFFFF or directory_bytes == 0xFFFFFFFF
        if not overflowed or locator < 0 or tail[locator : locator + 4] != b"PK\x06\x07":
            return entries, directory_bytes
        (record_at,) = struct.unpack_from("<Q", tail, locator + 8)
        file.seek(record_at)
        record = file.read(56)
        if record[:4] != b"PK\x06\x06":
            return entries, directory_bytes
        return struct.unpack_from("<QQ", record, 32)


def _zip_members(path: Path) -> Iterator[Candidate]:
    entries, directory_bytes = zip_directory(path)
    if entries > MAX_ZIP_ENTRIES or directory_bytes > MAX_ZIP_DIRECTORY_BYTES:
        raise ShowcaseError("More than {limit:,} files to read; send fewer.", limit=MAX_IMAGES)
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as error:
        raise ShowcaseError("'{name}' could not be read as a zip ({error}).", name=path.name, error=error) from None
    members = [m for m in archive.infolist() if not m.is_dir()]
    if sum(m.file_size for m in members) > MAX_UNZIPPED_BYTES:
        raise ShowcaseError(
            "'{name}' unpacks to more than {limit} MB.", name=path.name, limit=MAX_UNZIPPED_BYTES // 10**6
        )
    for member in members:
        name = PurePosixPath(member_name(member))
        if any(part.startswith((".", "__MACOSX")) for part in name.parts):
            continue  # macOS and hidden files that zips pick up
        # Read into memory: nothing from the archive is written to disk, so no path can escape.
        yield Candidate(str(name), label_from_name(name), lambda m=member: archive.read(m))


def candidates(paths: list[str | Path]) -> list[Candidate]:
    """Every image an upload offers, from image files and zips of class folders, unread."""
    found: list[Candidate] = []
    for path in map(Path, paths):
        if zipfile.is_zipfile(path):
            found += _zip_members(path)
        else:
            found.append(Candidate(path.name, label_from_name(PurePosixPath(path.name)), lambda p=path: p))
        if len(found) > MAX_IMAGES:
            raise ShowcaseError("More than {limit:,} files to read; send fewer.", limit=MAX_IMAGES)
    return found


def _read(candidate: Candidate) -> bytes | Path:
    try:
        return candidate.read()
    except (zipfile.BadZipFile, OSError, EOFError) as error:  # a bad CRC, a truncated archive
        raise ShowcaseError("damaged inside the zip ({error})", error=error) from None


def collect(paths: list[str | Path], kept_side: int = KEPT_SIDE, unlabelled: bool = False) -> LabelledImages:
    """Labelled images from uploaded files and zips; files that are no usable image are skipped
    with the reason. An upload that would cost too much to decode is refused before decoding.
    With `unlabelled`, images without a class are kept too, labelled ""."""
    found = LabelledImages()
    ready: list[Candidate] = []
    total = 0
    for candidate in candidates(paths):
        if not candidate.label and not unlabelled:
            found.skipped.append(
                f"{candidate.name}: " + message("no class (put it in a class folder or name it class_xxx.jpg)")
            )
            continue
        try:
            total += decoded_pixels(lazy_image(_read(candidate), candidate.file_name), kept_side)  # the header only
        except ShowcaseError as error:
            found.skipped.append(f"{candidate.name}: {in_visitor_language(error.text)}")
            continue
        if total > MAX_TOTAL_PIXELS:
            raise ShowcaseError(
                "These images hold more than {limit:,.0f} megapixels in all, too many to decode here. "
                "Send fewer or smaller images (a few hundred pixels a side is plenty).",
                limit=MAX_TOTAL_PIXELS / 1e6,
            )
        ready.append(candidate)
    for candidate in ready:  # one at a time, each kept small
        try:
            found.images.append(open_image(_read(candidate), kept_side, candidate.file_name))
        except ShowcaseError as error:
            found.skipped.append(f"{candidate.name}: {in_visitor_language(error.text)}")
            continue
        found.labels.append(candidate.label or "")
        found.names.append(candidate.name)
    return found


def check(data: LabelledImages) -> None:
    """Refuses a set no classifier can learn from, saying why."""
    counts = data.counts()
    if not data.images:
        if data.skipped:
            raise ShowcaseError(
                "No usable labelled images found. Upload a zip of class folders, or images named "
                "class_xxx.jpg. Skipped: {skipped}",
                skipped="; ".join(data.skipped[:5]),
            )
        raise ShowcaseError(
            "No usable labelled images found. Upload a zip of class folders, or images named class_xxx.jpg."
        )
    if len(counts) < 2:
        raise ShowcaseError("Found only the class '{label}'; a classifier needs two or more.", label=next(iter(counts)))
    small = [label for label, n in counts.items() if n < 2]
    if small:
        raise ShowcaseError("Each class needs at least 2 images; these have 1: {labels}.", labels=", ".join(small))


def cifar10(max_images: int) -> LabelledImages:
    """Up to max_images of CIFAR-10's training images, every class in proportion. Offline, the
    folder of class folders SHOWCASE_CIFAR10_DIR names stands in (the tests' sample)."""
    try:
        from torchvision.datasets import CIFAR10 as Dataset

        dataset = Dataset(str(cache_dir() / "cifar10"), train=True, download=True)
    except Exception as error:  # URLError offline, a truncated archive
        folder = os.environ.get("SHOWCASE_CIFAR10_DIR")
        if not folder:
            raise ShowcaseError(
                "CIFAR-10 could not be downloaded ({error}); upload your own images instead.", error=error
            ) from error
        sample = LabelledImages()
        for class_folder in sorted(p for p in Path(folder).iterdir() if p.is_dir()):
            part = collect(sorted(class_folder.glob("*.png")), CIFAR_SIDE, unlabelled=True)
            sample.images += part.images
            sample.labels += [class_folder.name] * len(part.images)
            sample.names += part.names
        keep = probe.stratified_sample(sample.labels, max_images)
        return LabelledImages(
            [sample.images[i] for i in keep], [sample.labels[i] for i in keep], [sample.names[i] for i in keep]
        )
    labels = [dataset.classes[target] for target in dataset.targets]
    keep = probe.stratified_sample(labels, max_images)
    return LabelledImages(
        [Image.fromarray(dataset.data[i]) for i in keep], [labels[i] for i in keep], [f"cifar10-{i}" for i in keep]
    )
