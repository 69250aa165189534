"""A hot sale's opening through the real bot: N fans (each a distinct member) press /book on an event
with a waiting room the moment its sale opens. The bot runs in a process of its own (as in
bench/through_bot.py), the local Discord server in this one.

Run: ``python -m bench.sale_open`` (PICKET_BENCH_SALE_FANS, default ``1000,5000``; 20000 takes minutes).

Printed per N: the share of presses acknowledged within 3 s and p50/p99 of the acknowledgement; then
fans let in by the waiting room book (/book, a section, Best available, Pay) and the bot's booking
interactions per second are set against the same run's rate of a trivial command; the database bytes
each waiting fan costs; and ``oversold``.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sqlite3
import statistics
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from sqlalchemy import func, select

from bench.through_bot import CONCURRENCY, Stage, book, launch_bot, percentile, settings_for, settled
from bot.app import App
from bot.devserver import DevServer, DevServerConfig, Member, WaitTimeout
from bot.settings import Settings
from core.caller import Caller
from core.services.events import CreateEvent, create_event, publish_event
from core.services.guilds import ConfigureGuild, configure_guild
from core.services.queue import tune_queue
from core.services.wallet import TopUp, top_up
from db.engine import make_engine
from db.schema import tickets

SIZES = [int(n) for n in os.environ.get("PICKET_BENCH_SALE_FANS", "1000,5000").split(",")]
BOOKINGS = 200
TRIVIAL = 200
INTERACTIONS_PER_BOOKING = 4  # /book, the section, Best available, Pay
RATE = 6000  # fans let in a minute: a hundred a second
SEATS = "R:A-T x 1-100 @ 1000"  # 2,000 seats


async def seed(settings: Settings, guild_id: int, organizer: int, role: int, buyers: list[Member]) -> int:
    app = App.build(settings)
    await app.migrate()
    runtime = app.runtime()
    await configure_guild(ConfigureGuild(Caller(1, guild_id, manages_guild=True), role, None), runtime.uow())
    by = Caller(organizer, guild_id, frozenset({role}))
    now = runtime.clock.now()
    made = await create_event(
        CreateEvent(
            caller=by,
            title="Opening Night",
            starts_at=now + timedelta(days=10),
            sale_opens_at=now - timedelta(minutes=1),
            layout=SEATS,
            per_user_limit=1,
            use_queue=True,
        ),
        runtime.uow(),
        runtime.clock,
    )
    await publish_event(made.id, by, runtime.uow(), runtime.clock)
    await tune_queue(made.id, by, runtime.uow(), rate=RATE, cap=400)
    for member in buyers:
        await top_up(
            TopUp(member.id, 10_000, f"bench-{member.id}"), runtime.uow(), runtime.clock, runtime.payments
        )
    await app.close()
    return made.id


def database_bytes(data: Path) -> int:
    """The database file's size once its write-ahead log is folded in (the log only borrows space)."""
    path = data / "picket.db"
    with contextlib.closing(sqlite3.connect(path)) as conn:
        conn.execute("PRAGMA busy_timeout = 30000")
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return path.stat().st_size


async def trivial_rate(stage: Stage) -> float:
    started = time.perf_counter()
    for start in range(0, TRIVIAL, CONCURRENCY):
        records = await asyncio.gather(
            *(stage.command(m, "wallet balance") for m in stage.fans[start : start + CONCURRENCY])
        )
        await settled(stage.server, records)
    return TRIVIAL / (time.perf_counter() - started)


async def one_size(count: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp)
        database = f"sqlite+aiosqlite:///{data / 'picket.db'}"
        server = DevServer(DevServerConfig(host="127.0.0.1"))
        await server.start()
        guild = server.add_guild("Opening Hall", channel_names=("general",))
        role = server.add_role(guild, "Organizers")
        organizer = server.add_member(guild, "organizer", roles=[role])
        fans = [server.add_member(guild, f"fan{n}") for n in range(count)]
        settings = settings_for(server, data, database)
        event_id = await seed(settings, guild.id, organizer.id, role.id, fans)
        bot = await launch_bot(server, data, database)
        try:
            stage = Stage(server, guild.id, fans, event_id, event_id, bot)
            trivial = await trivial_rate(stage)
            before = database_bytes(data)
            server.take_violations()
            records = await asyncio.gather(*(stage.command(f, "book", event=event_id) for f in fans))
            with contextlib.suppress(WaitTimeout):
                await settled(server, records, within=120)
            acks = [r.responded_at - r.created_at for r in records if r.responded_at is not None]
            in_time = sum(1 for a in acks if a <= server.config.ack_deadline)
            waiting_bytes = (database_bytes(data) - before) / count
            print(
                f"sale_open fans={count} acknowledged<=3s={in_time / count:.1%} "
                f"ack p50={statistics.median(acks):.2f}s p99={percentile(acks, 0.99):.2f}s "
                f"db_bytes/waiting_fan={waiting_bytes:.0f}",
                flush=True,
            )
            server.take_violations()
            # Fans let in book; the bot's scheduler lets a hundred in a second.
            await server.changes.wait_for(
                lambda: sum(1 for f in fans if _turn(server, f)) >= BOOKINGS or None, within=120, what="turns"
            )
            admitted = [f for f in fans if _turn(server, f)][:BOOKINGS]
            queue: asyncio.Queue[Member] = asyncio.Queue()
            for member in admitted:
                queue.put_nowait(member)

            async def worker() -> None:
                while not queue.empty():
                    await book(stage, queue.get_nowait())

            started = time.perf_counter()
            await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
            rate = len(admitted) / (time.perf_counter() - started)
            ratio = rate * INTERACTIONS_PER_BOOKING / trivial
            print(
                f"sale_open fans={count} bookings/s={rate:.1f} booking_interactions/s={rate * 4:.1f} "
                f"trivial/s={trivial:.1f} ratio={ratio:.2f} oversold={await oversold(database)}",
                flush=True,
            )
            server.take_violations()
        finally:
            bot.terminate()
            bot.wait(timeout=30)
            await server.stop()


def _turn(server: DevServer, member: Member) -> bool:
    return any("It is your turn" in (m.content or "") for m in server.dms(member))


async def oversold(database: str) -> int:
    engine = make_engine(database)
    try:
        async with engine.connect() as conn:
            live = select(tickets.c.seat_id).where(tickets.c.status == "active")
            count = await conn.scalar(select(func.count()).select_from(live.subquery()))
            distinct = await conn.scalar(select(func.count(func.distinct(live.subquery().c.seat_id))))
    finally:
        await engine.dispose()
    return int(count or 0) - int(distinct or 0)


async def main() -> None:
    for count in SIZES:
        await one_size(count)


if __name__ == "__main__":
    asyncio.run(main())
