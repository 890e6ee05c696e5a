"""Labelled text from visitors' files: CSV or TSV in any common encoding, the text and label
columns found or checked, empty rows dropped, large files sampled keeping class shares."""

from __future__ import annotations

import codecs
import csv
import io
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from models.errors import ShowcaseError, Text
from toolkit.inputs import CONTROL_CHARACTERS
from toolkit.messages import message
from toolkit.probe import stratified_sample

TEXT_COLUMNS = ("text", "sentence", "review", "content", "comment")
LABEL_COLUMNS = ("label", "labels", "sentiment", "class", "category", "target")
DEFAULT_MAX_ROWS = 2000


@dataclass
class TextDataset:
    texts: list[str]
    labels: list[str]
    notes: list[str] = field(default_factory=list)

    @property
    def classes(self) -> list[str]:
        return sorted(set(self.labels))

    def rows(self, indices: list[int]) -> TextDataset:
        return TextDataset([self.texts[i] for i in indices], [self.labels[i] for i in indices])


def looks_chinese(text: str) -> bool:
    """Real Chinese text is mostly GB2312's 3,755 common characters (lead bytes 0xB0-0xD7); Western
    bytes misread as GB18030 land there only about a third of the time."""
    hanzi = [c for c in text if "\u4e00" <= c <= "\u9fff"]
    common_ones = sum(1 for c in hanzi if 0xB0 <= c.encode("gb18030")[0] <= 0xD7)
    return bool(hanzi) and common_ones / len(hanzi) >= 0.8


def utf16_byte_order(raw: bytes) -> str | None:
    """'utf-16' (with a byte-order mark), 'utf-16-le' or 'utf-16-be' when the bytes look like UTF-16,
    as Excel's "Unicode text" files are: mostly ASCII, so every other byte is zero."""
    if raw[:2] in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE):
        return "utf-16"
    sample = raw[:4000]
    if len(sample) >= 4 and sample.count(0) > len(sample) // 4:
        odd_zeros, even_zeros = sample[1::2].count(0), sample[0::2].count(0)
        return "utf-16-le" if odd_zeros > 2 * even_zeros else "utf-16-be" if even_zeros > 2 * odd_zeros else None
    return None


def decode(raw: bytes) -> tuple[str, list[str]]:
    """Text of an uploaded file: UTF-16 (Excel's Unicode text), UTF-8, else Chinese GB18030, else
    Windows-1252, else Latin-1."""
    utf16 = utf16_byte_order(raw)
    if utf16:
        try:
            return raw.decode(utf16), ['The file is UTF-16 (as Excel saves "Unicode text"); it was read as such.']
        except UnicodeDecodeError:
            pass
    try:
        return raw.decode("utf-8-sig"), []
    except UnicodeDecodeError:
        pass
    try:
        text = raw.decode("gb18030")
        if looks_chinese(text):
            return text, ["The file is not UTF-8; it was read as Chinese GB18030."]
    except UnicodeDecodeError:
        pass
    for encoding, name in (("cp1252", "Windows-1252 (Western European)"), ("latin-1", "Latin-1")):
        try:
            return raw.decode(encoding), [
                message("The file is not UTF-8; it was read as {name}: check that accents look right.", name=name)
            ]
        except UnicodeDecodeError:
            continue
    raise AssertionError("Latin-1 decodes every byte")


def read_table(path: str | Path | None) -> tuple[pd.DataFrame, list[str]]:
    """A CSV or TSV file as a table of strings, with notes on how it was read."""
    if not path or not Path(path).is_file():
        raise ShowcaseError("Upload a CSV or TSV file first (or use the built-in example).")
    path = Path(path)
    text, notes = decode(path.read_bytes())
    if not text.strip():
        raise ShowcaseError("'{name}' is empty.", name=path.name)
    first_line = text.splitlines()[0]
    tsv = path.suffix.lower() == ".tsv" or first_line.count("\t") > first_line.count(",")
    try:
        frame = pd.read_csv(
            io.StringIO(text),
            sep="\t" if tsv else ",",
            dtype=str,
            keep_default_na=False,
            # TSV files such as GLUE's carry quotes inside sentences: read them as text.
            quoting=csv.QUOTE_NONE if tsv else csv.QUOTE_MINIMAL,
            on_bad_lines="skip",
            engine="python",
        )
    except (pd.errors.ParserError, csv.Error) as error:
        raise ShowcaseError(
            "'{name}' could not be read as CSV or TSV ({error}).", name=path.name, error=error
        ) from None
    frame.columns = [str(c).strip() for c in frame.columns]
    return frame, notes


def guess_column(columns: list[str], names: tuple[str, ...]) -> str | None:
    lowered = {c.lower(): c for c in columns}
    return next((lowered[n] for n in names if n in lowered), None)


def to_dataset(
    frame: pd.DataFrame,
    text_column: str | None,
    label_column: str | None,
    max_rows: int = DEFAULT_MAX_ROWS,
    notes: list[str] | None = None,
) -> TextDataset:
    """Checks the columns and rows; drops empty rows; samples large files, keeping class shares."""
    notes = list(notes or [])
    columns = list(frame.columns)
    text_column = text_column or guess_column(columns, TEXT_COLUMNS)
    label_column = label_column or guess_column(columns, LABEL_COLUMNS)
    for role, column in (("text", text_column), ("label", label_column)):
        if column not in columns:
            found = ", ".join(f"'{c}'" for c in columns)
            if column:
                raise ShowcaseError(
                    "No {role} column named '{column}'. The file's columns are: {columns}. Choose the "
                    "text and label columns.",
                    role=Text(role),
                    column=column,
                    columns=found,
                )
            raise ShowcaseError(
                "No {role} column. The file's columns are: {columns}. Choose the text and label columns.",
                role=Text(role),
                columns=found,
            )
    if text_column == label_column:
        raise ShowcaseError("The text and label columns must be different.")
    texts = frame[text_column].astype(str).map(lambda s: CONTROL_CHARACTERS.sub("", s).strip())
    labels = frame[label_column].astype(str).str.strip()
    keep = (texts != "") & (labels != "")
    if (~keep).sum():
        notes.append(message("Skipped {count} row(s) with an empty text or label.", count=int((~keep).sum())))
    data = TextDataset(texts[keep].tolist(), labels[keep].tolist(), notes)
    if len(data.classes) < 2:
        if data.classes:
            raise ShowcaseError(
                "Training needs at least two classes in '{column}'; the file has only '{label}'.",
                column=label_column,
                label=data.classes[0],
            )
        raise ShowcaseError(
            "Training needs at least two classes in '{column}'; the file has no labelled rows.", column=label_column
        )
    if len(data.texts) > max_rows:
        sample = data.rows(stratified_sample(data.labels, max_rows))
        notes.append(
            message(
                "Used {used:,} of {rows:,} rows (a sample keeping each class's share); raise 'Max rows "
                "used' to use more.",
                used=max_rows,
                rows=len(data.texts),
            )
        )
        data = TextDataset(sample.texts, sample.labels, notes)
    return data


def read_dataset(
    path: str | Path | None, text_column: str | None, label_column: str | None, max_rows: int = DEFAULT_MAX_ROWS
) -> TextDataset:
    """An uploaded CSV or TSV file as labelled texts, with notes on how it was read."""
    frame, notes = read_table(path)
    return to_dataset(frame, text_column, label_column, max_rows, notes)
