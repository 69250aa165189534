"""Creates the async engine for SQLite (the zero-setup default) or MariaDB."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

SQLITE_BUSY_TIMEOUT_MS = 30_000
# Every SQLite connection of Picket's: waits for the write lock, readers beside the writer.
SQLITE_PRAGMAS = (
    f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}",
    "PRAGMA journal_mode = WAL",
    "PRAGMA synchronous = NORMAL",
    "PRAGMA foreign_keys = ON",
)
# Pool sizes when settings give none: MariaDB serves many connections at once; SQLite has one writer at
# a time, so a few connections keep its readers going and more would only queue on its lock.
DEFAULT_POOL = {"mariadb": (20, 30), "sqlite": (8, 8)}
# How long a unit of work waits for a free pooled connection before the member is told Picket is busy.
POOL_TIMEOUT_SECONDS = 10.0


# Execution option of a connection whose unit of work only reads.
READ_ONLY = "picket_read_only"


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def make_engine(
    url: str,
    *,
    pool_size: int | None = None,
    max_overflow: int | None = None,
    pool_timeout: float = POOL_TIMEOUT_SECONDS,
    echo: bool = False,
) -> AsyncEngine:
    # No ping before each checkout and no ROLLBACK when a connection goes back: a unit of work always
    # ends its own transaction, and one that meets a dead connection is retried whole, so both round
    # trips would buy nothing.
    size, overflow = DEFAULT_POOL["sqlite" if is_sqlite(url) else "mariadb"]
    common: dict[str, Any] = {
        "echo": echo,
        "pool_pre_ping": False,
        "pool_reset_on_return": None,
        "pool_size": size if pool_size is None else pool_size,
        "max_overflow": overflow if max_overflow is None else max_overflow,
        "pool_timeout": pool_timeout,
    }
    if is_sqlite(url):
        engine = create_async_engine(url, **common)
        _immediate_transactions(engine)
        return engine
    return create_async_engine(url, pool_recycle=1800, isolation_level="READ COMMITTED", **common)


def _immediate_transactions(engine: AsyncEngine) -> None:
    """SQLite upgrades a read lock to a write lock without waiting, failing under contention;
    taking the write lock up front with BEGIN IMMEDIATE makes writers queue on busy_timeout instead."""

    @event.listens_for(engine.sync_engine, "connect")
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        for pragma in SQLITE_PRAGMAS:
            cursor.execute(pragma)
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def on_begin(connection: Any) -> None:
        # A unit that only reads need not queue behind writers: WAL lets it read beside them.
        read_only = connection.get_execution_options().get(READ_ONLY, False)
        connection.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")
