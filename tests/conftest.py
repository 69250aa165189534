from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from core.clock import FrozenClock
from db.engine import make_engine
from db.migrate import migrate
from db.uow import SqlUnitOfWork
from tests.support import databases

T0 = datetime(2030, 5, 1, 12, 0, 0)


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(T0)


@pytest.fixture(scope="session")
def mariadb_database() -> Iterator[str]:
    reason = databases.mariadb_reachable()
    if reason is not None:
        if databases.REQUIRE_MARIADB:
            pytest.fail(f"{reason} (PICKET_REQUIRE_MARIADB=1)")
        pytest.skip(reason)
    name = databases.create_mariadb_database()
    yield name
    databases.drop_mariadb_database(name)


@pytest.fixture(params=["sqlite", pytest.param("mariadb", marks=pytest.mark.mariadb)])
async def engine(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    """An engine on a freshly migrated, empty database of each kind."""
    if request.param == "sqlite":
        engine = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'picket.db'}")
        await migrate(engine)
    else:
        url = databases.mariadb_url(request.getfixturevalue("mariadb_database"))
        await databases.clear_tables(url)
        engine = make_engine(url)
    yield engine
    await engine.dispose()


@pytest.fixture
def uow(engine: AsyncEngine) -> SqlUnitOfWork:
    return SqlUnitOfWork(engine)
