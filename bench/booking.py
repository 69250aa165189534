"""Whole bookings per second against the rate of a bare claim transaction measured in the same run.

Run: ``python -m bench.booking`` (MariaDB at PICKET_BENCH_MARIADB_URL, default root@127.0.0.1:3306).

A booking is the fan's whole path through core: best available in a section (hold), then confirm and
pay. The baseline is one conditional UPDATE + one INSERT + COMMIT over the raw driver. Both get a pool
of the same size, opened before any timing; engines are made once per database.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import aiomysql
import aiosqlite
import pymysql
from sqlalchemy import func, select
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from core.caller import Caller
from core.clock import SystemClock
from core.errors import SoldOut
from core.models import Event
from core.payments import SandboxPayments
from core.services.booking import ConfirmHold, HoldSeats, confirm_hold, hold_seats
from core.services.events import CreateEvent, create_event, publish_event
from core.services.guilds import ConfigureGuild, configure_guild
from core.services.organizer import event_stats
from core.services.wallet import TopUp, top_up
from db.engine import make_engine
from db.migrate import migrate
from db.roundtrips import RoundTrips, count_round_trips
from db.schema import tickets
from db.uow import SqlUnitOfWork

LEVELS = (1, 16, 64)
PER_LEVEL = int(os.environ.get("PICKET_BENCH_BOOKINGS", "600"))
VENUE_CONCURRENCY = 16
MARIADB_SERVER = os.environ.get("PICKET_BENCH_MARIADB_URL", "mysql+aiomysql://root@127.0.0.1:3306")
POOL = max(LEVELS)
GUILD, ORGANIZER, ROLE = 1, 1, 1
ORGANIZER_CALLER = Caller(ORGANIZER, GUILD, frozenset({ROLE}))

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


def mariadb_server_cpu() -> float | None:
    """CPU seconds the local MariaDB server has used so far, when it runs on this machine."""
    for proc in Path("/proc").glob("[0-9]*"):
        with contextlib.suppress(OSError):
            if (proc / "comm").read_text().strip() in ("mariadbd", "mysqld"):
                fields = (proc / "stat").read_text().rsplit(")", 1)[1].split()
                return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return None


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
                [(i,) for i in range(1, seats_count + 1)],
            )
            await conn.commit()
        for _ in range(POOL):
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
            minsize=POOL,
            maxsize=POOL,
            autocommit=False,
        )
        async with self.pool.acquire() as conn, conn.cursor() as cur:
            for ddl in RAW_SCHEMA:
                await cur.execute(ddl.format(auto="AUTO_INCREMENT"))
            await cur.executemany(
                "INSERT INTO raw_seats (id, status) VALUES (%s, 'available')",
                [(i,) for i in range(1, seats_count + 1)],
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


@dataclass
class Shop:
    """One database's engine, warmed, with a counter of what it sends."""

    engine: AsyncEngine
    trips: RoundTrips
    next_fan: int = 1_000_000

    def uow(self) -> SqlUnitOfWork:
        return SqlUnitOfWork(self.engine)

    async def warm(self) -> None:
        connections = [await self.engine.connect() for _ in range(POOL)]
        for connection in connections:
            await connection.close()

    async def event(self, layout: str) -> tuple[Event, list[int]]:
        clock = SystemClock()
        created = await create_event(
            CreateEvent(
                caller=ORGANIZER_CALLER,
                title=f"Bench {uuid.uuid4().hex[:6]}",
                starts_at=clock.now() + timedelta(days=10),
                sale_opens_at=clock.now() - timedelta(minutes=1),
                layout=layout,
                per_user_limit=1,
            ),
            self.uow(),
            clock,
        )
        await publish_event(created.id, ORGANIZER_CALLER, self.uow(), clock)
        stats = await event_stats(created.id, ORGANIZER_CALLER, self.uow(), clock, _zone())
        return created, [s.section_id for s in stats.sections]

    async def fans(self, count: int) -> list[int]:
        """Funded fans, made before any timing."""
        first, self.next_fan = self.next_fan, self.next_fan + count
        payments, clock = SandboxPayments(), SystemClock()

        async def fund(i: int) -> None:
            await top_up(TopUp(first + i, 1_000_000, f"bench-{first + i}"), self.uow(), clock, payments)

        await run_concurrently(count, 16, fund)
        return list(range(first, first + count))

    async def book(self, event: Event, section_id: int, fan: int) -> None:
        clock, caller = SystemClock(), Caller(fan, GUILD)
        held = await hold_seats(
            HoldSeats(event.id, caller, f"h{fan}", section_id=section_id, quantity=1), self.uow(), clock
        )
        await confirm_hold(ConfirmHold(held.hold.id, caller, f"c{fan}"), self.uow(), clock)


@dataclass
class Measured:
    rate: float
    trips: float
    cpu_ms: float


async def bookings(shop: Shop, event: Event, sections: list[int], concurrency: int, total: int) -> Measured:
    fans = await shop.fans(total)
    trips_before, cpu_before = shop.trips.count, time.process_time()
    rate = await run_concurrently(
        total, concurrency, lambda i: shop.book(event, sections[i % len(sections)], fans[i])
    )
    cpu = time.process_time() - cpu_before
    return Measured(rate, (shop.trips.count - trips_before) / total, cpu / total * 1000)


async def oversold(shop: Shop) -> int:
    async with shop.engine.connect() as conn:
        live = select(tickets.c.seat_id).where(tickets.c.live_seat_id.is_not(None))
        total = await conn.scalar(select(func.count()).select_from(live.subquery()))
        distinct = await conn.scalar(select(func.count(func.distinct(tickets.c.live_seat_id))))
    return int(total or 0) - int(distinct or 0)


def _zone() -> Any:
    from zoneinfo import ZoneInfo

    return ZoneInfo("Asia/Seoul")


async def bench_backend(name: str, url: str, raw: RawSqlite | RawMariaDB) -> int:
    # The database server's own CPU, where it is a process of its own here (SQLite runs in this one).
    server_cpu = mariadb_server_cpu if isinstance(raw, RawMariaDB) else lambda: None
    engine = make_engine(url, pool_size=POOL, max_overflow=0)
    trips = count_round_trips(engine)
    shop = Shop(engine, trips)
    await migrate(engine)
    await configure_guild(
        ConfigureGuild(Caller(ORGANIZER, GUILD, manages_guild=True), ROLE, None), shop.uow()
    )
    await raw.setup(PER_LEVEL * len(LEVELS))
    await shop.warm()
    try:
        # One big section: every fan of a level asks for the best seat of the same block at once.
        event, sections = await shop.event("R:A-Y x 1-200 @ 1000")
        for level_index, concurrency in enumerate(LEVELS):
            offset = level_index * PER_LEVEL
            server_before = server_cpu()
            raw_rate = await run_concurrently(
                PER_LEVEL, concurrency, lambda i, o=offset: raw.claim(o + i + 1)
            )
            server_between = server_cpu()
            booked = await bookings(shop, event, sections, concurrency, PER_LEVEL)
            server_after = server_cpu()
            server = ""
            if server_before is not None and server_between is not None and server_after is not None:
                claim_ms = (server_between - server_before) / PER_LEVEL * 1000
                booking_ms = (server_after - server_between) / PER_LEVEL * 1000
                server = f" server_cpu_ms claim={claim_ms:.2f} booking={booking_ms:.2f}"
            print(
                f"{name:8} concurrency={concurrency:<3} raw_claim={raw_rate:7.0f}/s "
                f"booking={booked.rate:6.0f}/s ratio={booked.rate / raw_rate:.2f} "
                f"round_trips/booking={booked.trips:.1f} "
                f"cpu_ms/booking={booked.cpu_ms:.2f}{server}",
                flush=True,
            )
        small, small_sections = await shop.event("R:A-J x 1-50 @ 1000")
        large, large_sections = await shop.event("; ".join(f"S{n}:A-Y x 1-200 @ 1000" for n in range(10)))
        venue_total = min(PER_LEVEL, 480)
        small_rate = (await bookings(shop, small, small_sections, VENUE_CONCURRENCY, venue_total)).rate
        large_rate = (await bookings(shop, large, large_sections, VENUE_CONCURRENCY, venue_total)).rate
        print(
            f"{name:8} venue 500 seats={small_rate:6.0f}/s 50,000 seats={large_rate:6.0f}/s "
            f"ratio={large_rate / small_rate:.2f} (concurrency {VENUE_CONCURRENCY})",
            flush=True,
        )
        return await oversold(shop)
    except SoldOut:
        print(f"{name:8} ran out of seats: raise the layout for PICKET_BENCH_BOOKINGS={PER_LEVEL}")
        raise
    finally:
        await raw.close()
        await engine.dispose()


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
    print(
        f"bookings per level: {PER_LEVEL}; a booking = best available, then confirm and pay; "
        f"pools of {POOL} connections for both paths"
    )
    over = 0
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.db"
        over += await bench_backend("sqlite", f"sqlite+aiosqlite:///{path}", RawSqlite(path))
    database = _mariadb_database()
    if database is not None:
        url = f"{MARIADB_SERVER}/{database}?charset=utf8mb4"
        try:
            over += await bench_backend("mariadb", url, RawMariaDB(url))
        finally:
            _drop(database)
    print(f"oversold={over}")
    return 0 if over == 0 else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
