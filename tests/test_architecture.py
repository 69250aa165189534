"""The dependency direction of the design: cogs -> core <- db, scheduler -> core."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

FORBIDDEN = {
    "core": {
        "discord",
        "sqlalchemy",
        "apscheduler",
        "aiomysql",
        "aiosqlite",
        "alembic",
        "db",
        "cogs",
        "bot",
        "scheduler",
        "PIL",
        "qrcode",
        "prometheus_client",
    },
    "db": {"discord", "cogs", "bot", "scheduler", "apscheduler"},
    "cogs": {"sqlalchemy", "db", "scheduler", "apscheduler", "aiomysql", "aiosqlite"},
    "scheduler": {"discord", "cogs"},
}


def imported_roots(path: Path) -> set[str]:
    roots: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            roots.add(node.module.split(".")[0])
    return roots


def test_imported_roots_sees_every_import_form(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text("import discord.ext\nfrom sqlalchemy import select\nif True:\n    import db.uow\n")
    assert imported_roots(sample) == {"discord", "sqlalchemy", "db"}


@pytest.mark.parametrize("room", sorted(FORBIDDEN))
def test_room_imports_only_what_the_design_allows(room: str) -> None:
    breaches = {
        str(path.relative_to(ROOT)): sorted(imported_roots(path) & FORBIDDEN[room])
        for path in (ROOT / room).rglob("*.py")
    }
    assert {path: names for path, names in breaches.items() if names} == {}
