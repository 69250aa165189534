"""The repository contract runs on SQLite, MariaDB and the in-memory fake alike."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import cast

import pytest

from core.ports import UnitOfWork
from db.engine import make_engine
from db.migrate import migrate
from db.uow import SqlUnitOfWork
from tests.support import databases
from tests.unit.fakes import FakeUnitOfWork


@pytest.fixture(params=["sqlite", pytest.param("mariadb", marks=pytest.mark.mariadb), "fake"])
async def any_uow(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[UnitOfWork]:
    # pytest hands a parametrized fixture such as conftest's `engine` its parameter only when the
    # test itself is parametrized on it, so the two databases are opened here the same way.
    if request.param == "fake":
        yield FakeUnitOfWork()
        return
    if request.param == "sqlite":
        engine = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'picket.db'}")
        await migrate(engine)
    else:
        url = databases.mariadb_url(request.getfixturevalue("mariadb_database"))
        await databases.clear_tables(url)
        engine = make_engine(url)
    # mypy reads SqlUnitOfWork's repositories as their concrete classes, which the protocol's
    # (mutable, hence invariant) attributes do not accept.
    yield cast(UnitOfWork, SqlUnitOfWork(engine))
    await engine.dispose()
