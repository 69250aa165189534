"""Picket's words in Korean and English. Every user-facing sentence lives in the catalogs here.

Catalogs are JSON files per area (``bot/i18n/<lang>/<area>.json``) so each feature owns its file.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

CATALOG_DIR = Path(__file__).parent
LANGUAGES = ("en", "ko")
DEFAULT = "en"
# Command names and descriptions: English lives in the code, Korean in this file of the ko catalog.
COMMANDS_FILE = "commands.json"


def language(locale: object) -> str:
    """Korean for any ``ko`` locale, English otherwise."""
    return "ko" if str(locale or "").lower().startswith("ko") else DEFAULT


@cache
def catalog(lang: str) -> dict[str, str]:
    merged: dict[str, str] = {}
    for path in sorted((CATALOG_DIR / lang).glob("*.json")):
        if path.name == COMMANDS_FILE:
            continue
        merged.update(json.loads(path.read_text(encoding="utf-8")))
    return merged


@cache
def command_catalog() -> dict[str, str]:
    return dict(json.loads((CATALOG_DIR / "ko" / COMMANDS_FILE).read_text(encoding="utf-8")))


def command_name(path: str, lang: str) -> str:
    """A command as a member's client shows it (``tickets show``: ``/티켓 보기`` in Korean)."""
    if lang == DEFAULT:
        return "/" + path
    parts = path.split()
    names = command_catalog()
    return "/" + " ".join(names.get(" ".join(parts[: i + 1]) + ".name", part) for i, part in enumerate(parts))


class _Params(dict[str, Any]):
    def __init__(self, params: dict[str, Any], lang: str) -> None:
        super().__init__(params)
        self.lang = lang

    def __missing__(self, key: str) -> str:
        # `{/tickets show}` in a message names a command in the reader's language, from the same
        # names the client shows, so no message sends a Korean reader to an English command.
        if key.startswith("/"):
            return command_name(key[1:], self.lang)
        return "{" + key + "}"


def t(key: str, locale: object = None, /, **params: Any) -> str:
    """The message for ``key`` in the locale's language, falling back to English, then to the key."""
    lang = language(locale)
    text = catalog(lang).get(key) or catalog(DEFAULT).get(key) or key
    return text.format_map(_Params(params, lang)) if params or "{/" in text else text


def has(key: str) -> bool:
    return key in catalog(DEFAULT)
