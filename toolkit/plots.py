"""Figures the tabs draw on the server: a labelled heatmap (similarity, attention) and confusion matrices."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")  # no display on servers; must come before pyplot

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from toolkit import fonts  # noqa: E402

# Tick labels are cut so that long sentences do not squeeze the plot away.
LABEL_CHARS = 28
# Latin text in DejaVu Sans (matplotlib's default), any other glyph from the first CJK font that has it:
# matplotlib falls back along the list glyph by glyph.
plt.rcParams["font.family"] = [fonts.LATIN_FONT, *fonts.cjk_fonts()]


def _short(label: str) -> str:
    return label if len(label) <= LABEL_CHARS else label[: LABEL_CHARS - 1] + "…"


def heatmap(
    matrix: np.ndarray,
    rows: list[str],
    columns: list[str],
    title: str,
    value_range=(None, None),
    annotate: bool = True,
    cmap: str = "viridis",
    number_format: str = "{:.2f}",
):
    """A matplotlib figure of matrix[row, column], cells annotated when there are few."""
    height, width = matrix.shape
    size = (min(max(4.5, 2 + 0.55 * width), 14), min(max(3.0, 1.5 + 0.45 * height), 14))
    figure, axes = plt.subplots(figsize=size, layout="constrained")
    image = axes.imshow(matrix, cmap=cmap, vmin=value_range[0], vmax=value_range[1], aspect="auto")
    axes.set_xticks(range(width), [_short(c) for c in columns], rotation=60, ha="right", fontsize=8)
    axes.set_yticks(range(height), [_short(r) for r in rows], fontsize=8)
    axes.set_title(title, fontsize=10)
    if annotate and height * width <= 144:
        for (i, j), value in np.ndenumerate(matrix):
            red, green, blue, _ = image.cmap(image.norm(value))  # white text on dark cells, black on light
            axes.text(
                j,
                i,
                number_format.format(value),
                ha="center",
                va="center",
                fontsize=7,
                color="white" if 0.299 * red + 0.587 * green + 0.114 * blue < 0.5 else "black",
            )
    figure.colorbar(image, ax=axes, shrink=0.8)
    plt.close(figure)  # Gradio renders it; pyplot must not keep every figure alive
    return figure


def confusion(table, title: str):
    """A confusion matrix (rows: true class, columns: predicted) with its counts."""
    return heatmap(
        table.values.astype(float), list(table.index), list(table.columns), title, cmap="Blues", number_format="{:.0f}"
    )
