"""The image carries every package the running bot imports, and starts the way the README says."""

from __future__ import annotations

import re
from pathlib import Path

from tests.test_architecture import imported_roots

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = {p.parent.name for p in ROOT.glob("*/__init__.py")} - {"tests", "bench"}


def test_the_image_copies_every_package_the_bot_needs() -> None:
    dockerfile = (ROOT / "deploy" / "Dockerfile").read_text(encoding="utf-8")
    copied = set(re.findall(r"^COPY (\w+) \1$", dockerfile, flags=re.MULTILINE))
    needed = {
        root
        for room in ("bot", "cogs", "core", "db", "scheduler")
        for path in (ROOT / room).rglob("*.py")
        if "devserver" not in path.parts and "sandbox" not in path.parts
        for root in imported_roots(path)
    } & PACKAGES
    assert needed <= copied, f"missing from the image: {sorted(needed - copied)}"


def test_the_image_migrates_then_runs() -> None:
    dockerfile = (ROOT / "deploy" / "Dockerfile").read_text(encoding="utf-8")
    assert "python -m bot migrate && exec python -m bot run" in dockerfile
