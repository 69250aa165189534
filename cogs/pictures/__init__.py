"""Pictures attached to Discord messages: seat maps, ticket QR codes, calendar files and sales charts.

Each is a pure function from plain values to bytes, so it is tested without Discord and renders the
same bytes for the same input on the same machine.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

from PIL import ImageFont

Font = ImageFont.FreeTypeFont | ImageFont.ImageFont

# Fonts with Hangul, best first (Debian: fonts-noto-cjk, fonts-nanum, fonts-unfonts-core). Pillow's
# built-in font has no Hangul, so without one of these Korean names show as boxes but still render.
CJK_FONTS: tuple[tuple[str, int], ...] = (
    ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", 1),
    ("/usr/share/fonts/truetype/nanum/NanumGothic.ttf", 0),
    ("/usr/share/fonts/truetype/unfonts-core/UnDotum.ttf", 0),
)


def load_font(size: int, candidates: Sequence[tuple[str, int]]) -> Font:
    """The first candidate that loads, else Pillow's built-in font at that size."""
    for path, index in candidates:
        if Path(path).is_file():
            try:
                return ImageFont.truetype(path, size, index=index)
            except OSError:
                continue
    return ImageFont.load_default(size)


@lru_cache(maxsize=16)
def font(size: int) -> Font:
    return load_font(size, CJK_FONTS)


def fit_text(text: str, face: Font, width: float) -> str:
    """``text`` shortened with an ellipsis until it fits ``width`` pixels."""
    if face.getlength(text) <= width:
        return text
    while text and face.getlength(text + "…") > width:
        text = text[:-1]
    return text + "…"
