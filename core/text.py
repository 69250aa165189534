"""Free text members type (titles, venues, descriptions, layouts, search words): limits and what may not
be stored at all. Each limit matches the column that keeps the text."""

from __future__ import annotations

import unicodedata

from core.errors import InvalidInput

TITLE = 100
VENUE = 100
DESCRIPTION = 1000
LAYOUT = 1000
KEYWORD = 100
NAME = 100


def _unstorable(ch: str, multiline: bool) -> bool:
    if multiline and ch in "\n\t":
        return False
    # Control characters (NUL among them) and lone surrogates cannot be stored or shown faithfully.
    return unicodedata.category(ch) in ("Cc", "Cs")


def clean(text: str, limit: int, error: InvalidInput, *, multiline: bool = False) -> str:
    """The text trimmed, or ``error`` when it is too long or holds characters that cannot be kept."""
    text = text.strip()
    if len(text) > limit or any(_unstorable(ch, multiline) for ch in text):
        raise error
    return text


def name(text: str) -> str:
    """A member's display name as kept on their tickets: never refused, only made storable."""
    kept = "".join(ch for ch in text if not _unstorable(ch, multiline=False))
    return kept.strip()[:NAME]
