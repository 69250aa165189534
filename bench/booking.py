"""Confirmed bookings per second against the rate of a bare claim transaction on the same driver.

Run: ``python -m bench.booking`` (MariaDB at PICKET_BENCH_MARIADB_URL, default root@127.0.0.1:3306).
Each booking is the whole fan path: hold seats, then confirm and pay (two transactions). The baseline
is one conditional UPDATE + one INSERT + COMMIT over the raw driver, measured in the same run.
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import aiomysql
import aiosqlite
import pymysql
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from core.clock import SystemClock
from core.services.booking import ConfirmHold, HoldSeats, confirm_hold, hold_seats
from core.services.events import CreateEvent, create_event, publish_event
from core.services.wallet import TopUp, top_up
from db.engine import make_engine
from db.migrate import migrate
from db.schema import seats, tickets
from db.uow import SqlUnitOfWork

LEVELS = (1, 16, 64)
PER_LEVEL = int(os.environ.get("PICKET_BENCH_BOOKINGS", "400"))
MARIADB_SERVER = os.environ.get("PICKET_BENCH_MARIADB_URL", "mysql+aiomysql://root@127.0.0.1:3306")

RAW_SCHEMA = (
    "CREATE TABLE raw_seats (id INTEGER PRIMARY KEY, status VARCHAR(12) NOT NULL, owner BIGINT)",
    "CREATE TABLE raw_claims (id INTEGER PRIMARY KEY {auto}, seat_id BIGINT NOT NULL UNIQUE,"
    " owner BIGINT NOT NULL)",
)


async def run_concurrently(total: int, concurrency: int, one: Callable[[int], Awaitable[None]]) -> float:
    """Runs ``one(i)`` for i in range(total) on ``concurrency`` workers; returns completions per second."""
    queue: asyncio.Queue[int] = asyncio.Queue()
    for i in range(total):
        queue.put_nowait(i)

    async def worker() -> None:
        while not queue.empty():
            await one(queue.get_nowait())

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return total / (time.perf_counter() - started)


class RawSqlite:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.conns: asyncio.Queue[aiosqlite.Connection] = asyncio.Queue()

    async def setup(self, seats_count: int) -> None:
        async with aiosqlite.connect(self.path) as conn:
            await conn.execute("PRAGMA journal_mode=WAL")
            for ddl in RAW_SCHEMA:
                await conn.execute(ddl.format(auto="AUTOINCREMENT"))
            await conn.executemany(
                "INSERT INTO raw_seats (id, status) VALUES (?, 'available')",
                [(i,) for i in range(seats_count)],
            )
            await conn.commit()
        for _ in range(15):
            conn = await aiosqlite.connect(self.path, isolation_level=None)
            await conn.execute("PRAGMA busy_timeout=30000")
            await conn.execute("PRAGMA synchronous=NORMAL")
            self.conns.put_nowait(conn)

    async def claim(self, seat: int) -> None:
        conn = await self.conns.get()
        try:
            await conn.execute("BEGIN IMMEDIATE")
            cur = await conn.execute(
                "UPDATE raw_seats SET status='held', owner=? WHERE id=? AND status='available'", (seat, seat)
            )
            assert cur.rowcount == 1
            await conn.execute("INSERT INTO raw_claims (seat_id, owner) VALUES (?, ?)", (seat, seat))
            await conn.execute("COMMIT")
        finally:
            self.conns.put_nowait(conn)

    async def close(self) -> None:
        while not self.conns.empty():
            await self.conns.get_nowait().close()


class RawMariaDB:
    def __init__(self, url: str) -> None:
        self.url = make_url(url)
        self.pool: Any = None

    async def setup(self, seats_count: int) -> None:
        self.pool = await aiomysql.create_pool(
            host=self.url.host,
            port=self.url.port or 3306,
            user=self.url.username,
            password=self.url.password or "",
            db=self.url.database,
            maxsize=64,
            autocommit=False,
        )
        async with self.pool.acquire() as conn, conn.cursor() as cur:
            for ddl in RAW_SCHEMA:
                await cur.execute(ddl.format(auto="AUTO_INCREMENT"))
            await cur.executemany(
                "INSERT INTO raw_seats (id, status) VALUES (%s, 'available')",
                [(i,) for i in range(seats_count)],
            )
            await conn.commit()

    async def claim(self, seat: int) -> None:
        async with self.pool.acquire() as conn, conn.cursor() as cur:
            await cur.execute(
                "UPDATE raw_seats SET status='held', owner=%s WHERE id=%s AND status='available'",
                (seat, seat),
            )
            assert cur.rowcount == 1
            await cur.execute("INSERT INTO raw_claims (seat_id, owner) VALUES (%s, %s)", (seat, seat))
            await conn.commit()

    async def close(self) -> None:
        self.pool.close()
        await self.pool.wait_closed()


async def booking_rate(url: str, concurrency: int, total: int) -> tuple[float, int]:
    """Returns (bookings per second, seats sold more than once)."""
    engine = make_engine(url, pool_size=min(concurrency, 50), max_overflow=0)
    clock = SystemClock()
    uow = SqlUnitOfWork(engine)
    rows = (total + 49) // 50
    event = await create_event(
        CreateEvent(
            guild_id=1,
            organizer_id=1,
            title=f"Bench {uuid.uuid4().hex[:6]}",
            starts_at=clock.now() + timedelta(days=10),
            sale_opens_at=clock.now() - timedelta(minutes=1),
            layout=f"R:A-{chr(ord('A') + rows - 1)} x 1-50 @ 1000",
            per_user_limit=1,
        ),
        uow,
        clock,
    )
    await publish_event(event.id, 1, uow, clock)
    async with uow:
        seat_ids = [
            r[0] for r in await uow.connection.execute(select(seats.c.id).where(seats.c.event_id == event.id))
        ]
    base_user = event.id * 1_000_000
    await run_concurrently(
        total,
        16,
        lambda i: top_up(TopUp(base_user + i, 1000, f"bench-{base_user + i}"), SqlUnitOfWork(engine), clock),
    )

    async def book(i: int) -> None:
        unit = SqlUnitOfWork(engine)
        user = base_user + i
        held = await hold_seats(HoldSeats(event.id, user, f"h{user}", seat_ids=(seat_ids[i],)), unit, clock)
        await confirm_hold(ConfirmHold(held.hold.id, user, f"c{user}"), unit, clock)

    rate = await run_concurrently(total, concurrency, book)
    async with uow:
        sold = select(tickets.c.seat_id).where(tickets.c.event_id == event.id)
        count = (
            await uow.connection.execute(select(func.count()).select_from(sold.subquery()))
        ).scalar() or 0
        distinct = (
            await uow.connection.execute(
                select(func.count(func.distinct(tickets.c.seat_id))).where(tickets.c.event_id == event.id)
            )
        ).scalar() or 0
    await engine.dispose()
    return rate, int(count) - int(distinct)


async def bench_backend(name: str, url: str, raw: RawSqlite | RawMariaDB) -> int:
    engine = make_engine(url)
    await migrate(engine)
    await engine.dispose()
    await raw.setup(PER_LEVEL * len(LEVELS))
    oversold = 0
    try:
        for level_index, concurrency in enumerate(LEVELS):
            offset = level_index * PER_LEVEL
            raw_rate = await run_concurrently(PER_LEVEL, concurrency, lambda i, o=offset: raw.claim(o + i))
            rate, over = await booking_rate(url, concurrency, PER_LEVEL)
            oversold += over
            print(
                f"{name:8} concurrency={concurrency:<3} raw_claim={raw_rate:8.0f}/s booking={rate:7.0f}/s "
                f"ratio={rate / raw_rate:.2f}",
                flush=True,
            )
    finally:
        await raw.close()
    return oversold


def _mariadb_database() -> str | None:
    url = make_url(MARIADB_SERVER)
    name = f"picket_bench_{uuid.uuid4().hex[:8]}"
    try:
        conn = pymysql.connect(
            host=url.host, port=url.port or 3306, user=url.username, password=url.password or ""
        )
    except pymysql.MySQLError as exc:
        print(f"mariadb  skipped: {exc.args[-1]}")
        return None
    with conn.cursor() as cur:
        cur.execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4")
    conn.close()
    return name


def _drop(name: str) -> None:
    url = make_url(MARIADB_SERVER)
    conn = pymysql.connect(
        host=url.host, port=url.port or 3306, user=url.username, password=url.password or ""
    )
    with conn.cursor() as cur:
        cur.execute(f"DROP DATABASE IF EXISTS `{name}`")
    conn.close()


async def main() -> int:
    print(f"bookings per level: {PER_LEVEL}; a booking = hold + confirm (2 transactions)")
    oversold = 0
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.db"
        oversold += await bench_backend("sqlite", f"sqlite+aiosqlite:///{path}", RawSqlite(path))
    database = _mariadb_database()
    if database is not None:
        url = f"{MARIADB_SERVER}/{database}?charset=utf8mb4"
        try:
            oversold += await bench_backend("mariadb", url, RawMariaDB(url))
        finally:
            _drop(database)
    print(f"oversold={oversold}")
    return 0 if oversold == 0 else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
