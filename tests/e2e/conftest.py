"""The real Picket bot against the local Discord-compatible server, with a fresh database per test."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.e2e.world import World, picket_world


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[World]:
    async with picket_world(tmp_path) as world:
        yield world
