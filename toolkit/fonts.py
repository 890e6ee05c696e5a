"""Fonts for the text the server draws (figures, labels on photos), found offline on this machine:
Latin from matplotlib's own DejaVu Sans, Chinese and Japanese from a CJK font. Debian's
fonts-noto-cjk provides Noto Sans CJK (CI and a Space install it from packages.txt); the CJK fonts
of macOS and Windows are found too."""

from __future__ import annotations

import functools
from pathlib import Path

from matplotlib import font_manager

# In order of preference: the first one present draws every CJK glyph.
CJK_FONTS = [
    "Noto Sans CJK SC",
    "Noto Sans CJK JP",
    "WenQuanYi Zen Hei",
    "Microsoft YaHei",
    "PingFang SC",
    "Arial Unicode MS",
]
LATIN_FONT = "DejaVu Sans"  # matplotlib ships it


@functools.cache
def cjk_fonts() -> list[str]:
    """The CJK fonts matplotlib can use here; it is told of the system's when its font list, cached
    before they were installed, lacks them."""
    if not {font.name for font in font_manager.fontManager.ttflist} & set(CJK_FONTS):
        for path in font_manager.findSystemFonts():
            if "cjk" in path.lower() or "wqy" in path.lower():
                font_manager.fontManager.addfont(path)
    known = {font.name for font in font_manager.fontManager.ttflist}
    return [name for name in CJK_FONTS if name in known]


@functools.cache
def label_font() -> Path:
    """The file of the font that labels on photos are drawn in: a CJK font, which has Latin
    letters too, where there is one; else DejaVu Sans (Latin, Greek and Cyrillic only)."""
    family = next(iter(cjk_fonts()), LATIN_FONT)
    return Path(font_manager.findfont(font_manager.FontProperties(family=family)))
