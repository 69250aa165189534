"""Counts what an engine sends to its database: each command on MariaDB's wire (statements, COMMIT,
ROLLBACK, pings); on SQLite, each statement or transaction end through SQLAlchemy and each step the
box office hands to its database thread. For benchmarks and for the test that keeps the booking path
from growing."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

from db.box_office import box_office_for
from db.engine import is_sqlite


class RoundTrips:
    def __init__(self) -> None:
        self.count = 0

    def add(self) -> None:
        self.count += 1


def count_round_trips(engine: AsyncEngine) -> RoundTrips:
    """Install before the engine opens its first connection."""
    trips = RoundTrips()
    sync = engine.sync_engine
    if is_sqlite(str(engine.url)):
        for name in ("before_cursor_execute", "commit", "rollback"):
            event.listen(sync, name, lambda *_args, **_kw: trips.add())
        office = box_office_for(engine)
        run = office._run  # type: ignore[attr-defined]

        async def counted_step(*args: Any, **kwargs: Any) -> Any:
            trips.add()
            return await run(*args, **kwargs)

        office._run = counted_step  # type: ignore[attr-defined]
        return trips

    @event.listens_for(sync, "connect")
    def wrap(dbapi_connection: Any, _record: Any) -> None:
        driver = dbapi_connection.driver_connection
        send: Callable[..., Awaitable[Any]] = driver._execute_command

        async def counted(*args: Any, **kwargs: Any) -> Any:
            trips.add()
            return await send(*args, **kwargs)

        driver._execute_command = counted

    return trips
