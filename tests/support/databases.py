"""Where the database tests find their servers: a fresh SQLite file, or a scratch MariaDB database."""

from __future__ import annotations

import asyncio
import os
import uuid
from concurrent.futures import ThreadPoolExecutor

import pymysql

from db.engine import make_engine
from db.migrate import migrate
from db.schema import metadata

MARIADB_HOST = os.environ.get("PICKET_TEST_MARIADB_HOST", "127.0.0.1")
MARIADB_PORT = int(os.environ.get("PICKET_TEST_MARIADB_PORT", "3306"))
MARIADB_USER = os.environ.get("PICKET_TEST_MARIADB_USER", "root")
MARIADB_PASSWORD = os.environ.get("PICKET_TEST_MARIADB_PASSWORD", "")
# CI sets this so that a missing server fails the run instead of skipping half the suite.
REQUIRE_MARIADB = os.environ.get("PICKET_REQUIRE_MARIADB", "") == "1"


def _connect(**extra: object) -> pymysql.connections.Connection:  # type: ignore[type-arg]
    return pymysql.connect(
        host=MARIADB_HOST, port=MARIADB_PORT, user=MARIADB_USER, password=MARIADB_PASSWORD, **extra
    )


def mariadb_reachable() -> str | None:
    """None when a server answers, else a one-line reason."""
    try:
        _connect(connect_timeout=3).close()
    except pymysql.MySQLError as exc:
        return f"MariaDB at {MARIADB_HOST}:{MARIADB_PORT} unreachable: {exc.args[-1]}"
    return None


def mariadb_url(database: str) -> str:
    password = f":{MARIADB_PASSWORD}" if MARIADB_PASSWORD else ""
    return (
        f"mysql+aiomysql://{MARIADB_USER}{password}@{MARIADB_HOST}:{MARIADB_PORT}/{database}?charset=utf8mb4"
    )


def _admin(sql: str) -> None:
    conn = _connect(autocommit=True)
    try:
        with conn.cursor() as cursor:
            cursor.execute(sql)
    finally:
        conn.close()


def create_mariadb_database() -> str:
    """A new empty database migrated to head; the caller drops it with drop_mariadb_database."""
    name = f"picket_test_{uuid.uuid4().hex[:12]}"
    _admin(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4")
    # Session fixtures may be set up from inside a running test loop, so migrate on a thread of our own.
    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(asyncio.run, _migrate(mariadb_url(name))).result()
    return name


def drop_mariadb_database(name: str) -> None:
    _admin(f"DROP DATABASE IF EXISTS `{name}`")


async def _migrate(url: str) -> None:
    engine = make_engine(url)
    try:
        await migrate(engine)
    finally:
        await engine.dispose()


async def clear_tables(url: str) -> None:
    engine = make_engine(url)
    try:
        async with engine.begin() as conn:
            for table in reversed(metadata.sorted_tables):
                await conn.execute(table.delete())
    finally:
        await engine.dispose()
