"""Both catalogs say the same things, and no cog says anything that is not in them."""

from __future__ import annotations

import ast
import json
import re
import string
from pathlib import Path

import pytest

from bot.i18n import CATALOG_DIR, COMMANDS_FILE, catalog, t

ROOT = Path(__file__).resolve().parent.parent
TEXT_KEYWORDS = {"content", "title", "description", "label", "placeholder", "text"}


def _files(lang: str) -> dict[str, dict[str, str]]:
    return {
        p.name: json.loads(p.read_text(encoding="utf-8"))
        for p in sorted((CATALOG_DIR / lang).glob("*.json"))
        if p.name != COMMANDS_FILE
    }


def test_catalogs_have_the_same_files_and_keys() -> None:
    english, korean = _files("en"), _files("ko")
    assert english.keys() == korean.keys()
    for name in english:
        assert english[name].keys() == korean[name].keys(), name


def test_placeholders_match_between_languages() -> None:
    def fields(text: str) -> set[str]:
        return {f for _, f, _, _ in string.Formatter().parse(text) if f}

    english, korean = catalog("en"), catalog("ko")
    mismatched = {key for key in english if fields(english[key]) != fields(korean[key])}
    assert mismatched == set()


def test_korean_replies_for_ko_and_english_otherwise() -> None:
    assert t("error.sold_out", "ko", event="X") == "**X** 매진되었습니다."
    assert t("error.sold_out", "en-US", event="X") == "**X** is sold out."
    assert t("error.sold_out", None, event="X") == "**X** is sold out."


def _hard_coded(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.Call):
            continue
        method = node.func.attr if isinstance(node.func, ast.Attribute) else ""
        texts = [
            kw.value for kw in node.keywords if kw.arg in TEXT_KEYWORDS or (method == "add_field" and kw.arg)
        ]
        if method in {"send", "send_message", "edit_message", "edit_original_response"}:
            texts += node.args
        for value in texts:
            if (
                isinstance(value, ast.Constant)
                and isinstance(value.value, str)
                and re.search(r"[^\W\d_]", value.value)
            ):
                found.append(f"{path.relative_to(ROOT)}:{value.lineno}: {value.value!r}")
            if isinstance(value, ast.JoinedStr):
                literal = "".join(v.value for v in value.values if isinstance(v, ast.Constant))
                if re.search(r"[^\W\d_]{3,}", literal):
                    found.append(f"{path.relative_to(ROOT)}:{value.lineno}: f-string {literal!r}")
    return found


def test_the_checker_catches_a_hard_coded_reply(tmp_path: Path) -> None:
    sample = ROOT / "cogs" / "_sample_for_test.py"
    sample.write_text('async def f(i):\n    await i.response.send_message("Booked!", ephemeral=True)\n')
    try:
        assert _hard_coded(sample) == ["cogs/_sample_for_test.py:2: 'Booked!'"]
    finally:
        sample.unlink()


@pytest.mark.parametrize(
    "path", sorted((ROOT / "cogs").rglob("*.py")), ids=lambda p: str(p.relative_to(ROOT))
)
def test_no_user_facing_text_outside_the_catalogs(path: Path) -> None:
    assert _hard_coded(path) == []


def test_every_message_key_used_by_a_cog_exists() -> None:
    used = set()
    for path in (ROOT / "cogs").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id == "t"
                and node.args
            ):
                first = node.args[0]
                if isinstance(first, ast.Constant) and isinstance(first.value, str):
                    used.add(first.value)
    assert used, "the scan found no t() calls at all"
    assert sorted(key for key in used if key not in catalog("en")) == []


def test_every_domain_error_has_a_message() -> None:
    import core.errors
    import core.ticket_codes
    import core.timeparse

    def subclasses(cls: type) -> set[type]:
        return {cls} | {s for c in cls.__subclasses__() for s in subclasses(c)}

    assert core.ticket_codes.InvalidTicketCode and core.timeparse.InvalidDate
    keys = {error.key for error in subclasses(core.errors.DomainError)}
    assert len(keys) > 20
    assert sorted(key for key in keys if key not in catalog("en")) == []


def _commands_named_in(text: str) -> set[str]:
    return {f[1:] for _, f, _, _ in string.Formatter().parse(text) if f and f.startswith("/")}


def test_messages_name_commands_as_the_reader_s_client_shows_them() -> None:
    korean_names = json.loads((CATALOG_DIR / "ko" / COMMANDS_FILE).read_text(encoding="utf-8"))
    commands = {key.removesuffix(".name") for key in korean_names if key.endswith(".name")}
    named = set().union(*(_commands_named_in(text) for text in catalog("en").values()))
    assert named and named <= commands, named - commands
    # Rendered, no Korean message sends its reader to an English command name.
    english_command = re.compile(r"(?<![\w:/.])/[a-z]")
    assert [key for key in catalog("ko") if english_command.search(t(key, "ko"))] == []
    assert t("tickets.none", "ko") == "아직 티켓이 없습니다. /공연목록에서 공연을 찾아보세요."
    assert t("tickets.none", "en") == "You have no tickets yet. Find an event with /events."
