"""Bookings through the real bot: fans act through Picket's Discord-compatible server, which runs in this
process, while the bot runs in a process of its own, so its CPU is measured alone.

Run: ``python -m bench.through_bot`` (SQLite by default; PICKET_BENCH_DATABASE_URL for MariaDB).

It prints, from one run: a trivial command's bot CPU (``/wallet balance``); whole bookings (``/book``, a
section, Best available, Pay) per second and their bot CPU, with the ratio to the trivial command; then
a burst of fans pressing ``/book`` at the same moment on a 2,000-seat event: the share acknowledged
within Discord's 3 seconds, the time to the acknowledgement and to the answer (p50/p99), and how many
fans got an unexpected error.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from bot.app import App
from bot.devserver import DevServer, DevServerConfig, Member, WaitTimeout
from bot.devserver._interactions import InteractionRecord
from bot.i18n import t
from bot.settings import Settings
from core.caller import Caller
from core.services.events import CreateEvent, create_event, publish_event
from core.services.guilds import ConfigureGuild, configure_guild
from core.services.wallet import TopUp, top_up

BURST = int(os.environ.get("PICKET_BENCH_BURST", "2000"))
BOOKINGS = int(os.environ.get("PICKET_BENCH_BOT_BOOKINGS", "200"))
TRIVIAL = 200
CONCURRENCY = 16
MANAGE_GUILD = 1 << 5
UNEXPECTED = t("error.unexpected", "en-US")


def cpu_seconds(pid: int) -> float:
    """User and system CPU a process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else float("nan")


@dataclass
class Stage:
    server: DevServer
    guild_id: int
    fans: list[Member]
    burst_event: int
    booking_event: int
    bot: subprocess.Popen[bytes]

    async def command(self, member: Member, name: str, **options: object) -> InteractionRecord:
        result = await self.server.run_command(self.guild_id, member, name, options=options or None)
        return result.record


async def seed(
    settings: Settings, guild_id: int, organizer: int, role: int, fans: list[Member]
) -> tuple[int, int]:
    app = App.build(settings)
    await app.migrate()
    runtime = app.runtime()
    await configure_guild(ConfigureGuild(Caller(1, guild_id, manages_guild=True), role, None), runtime.uow())
    by = Caller(organizer, guild_id, frozenset({role}))
    now = runtime.clock.now()
    events = []
    for title, layout in (("Burst", "A-T x 1-100"), ("Bookings", "A-J x 1-100")):
        made = await create_event(
            CreateEvent(
                caller=by,
                title=title,
                starts_at=now + timedelta(days=10),
                sale_opens_at=now - timedelta(minutes=1),
                layout=f"R:{layout} @ 1000",
                per_user_limit=4,
            ),
            runtime.uow(),
            runtime.clock,
        )
        await publish_event(made.id, by, runtime.uow(), runtime.clock)
        events.append(made.id)
    for member in fans[:BOOKINGS]:
        await top_up(
            TopUp(member.id, 100_000, f"bench-{member.id}"), runtime.uow(), runtime.clock, runtime.payments
        )
    await app.close()
    return events[0], events[1]


async def trivial(stage: Stage) -> float:
    """Bot CPU ms of /wallet balance: one read and one answer."""
    before = cpu_seconds(stage.bot.pid)
    for start in range(0, TRIVIAL, CONCURRENCY):
        records = await asyncio.gather(
            *(stage.command(m, "wallet balance") for m in stage.fans[start : start + CONCURRENCY])
        )
        await settled(stage.server, records)
    return (cpu_seconds(stage.bot.pid) - before) / TRIVIAL * 1000


async def settled(server: DevServer, records: list[InteractionRecord], within: float = 60.0) -> None:
    await server.changes.wait_for(
        lambda: all(r.settled_at is not None for r in records) or None, within=within, what="answers"
    )


async def book(stage: Stage, member: Member) -> None:
    """A fan's whole booking, as they would click it: /book, the section, Best available, Pay."""
    server = stage.server
    picker = await server.run_command(stage.guild_id, member, "book", {"event": stage.booking_event})
    message = await picker.wait_for_message(within=60)
    section = next(
        c for c in message.walk_components() if str(c.get("custom_id", "")).startswith("picket:sec:")
    )
    chosen = await server.select(member, message, section["custom_id"], [section["options"][0]["value"]])
    message = await chosen.wait_for_message(within=60)
    await server.changes.wait_for(
        lambda: next(
            (
                b
                for b in message.buttons
                if b["custom_id"].startswith("picket:best:") and not b.get("disabled")
            ),
            None,
        ),
        within=60,
        what="Best available enabled",
    )
    best = next(b for b in message.buttons if b["custom_id"].startswith("picket:best:"))
    cart = await (await server.click(member, message, custom_id=best["custom_id"])).wait_for_message(
        within=60
    )
    await server.changes.wait_for(
        lambda: next((b for b in cart.buttons if b["custom_id"].startswith("picket:cart:pay:")), None),
        within=60,
        what="the cart",
    )
    pay = next(b for b in cart.buttons if b["custom_id"].startswith("picket:cart:pay:"))
    await (await server.click(member, cart, custom_id=pay["custom_id"])).wait_for_message(within=60)


async def bookings(stage: Stage) -> tuple[float, float]:
    """Whole bookings (paid) per second through the bot, and the bot's CPU ms per booking with its DM."""
    fans = stage.fans[:BOOKINGS]
    queue: asyncio.Queue[Member] = asyncio.Queue()
    for member in fans:
        queue.put_nowait(member)

    async def worker() -> None:
        while not queue.empty():
            await book(stage, queue.get_nowait())

    before, started = cpu_seconds(stage.bot.pid), time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
    elapsed = time.perf_counter() - started
    # Sending the tickets by DM is part of a booking: its CPU counts, and it is out of the burst's way.
    await stage.server.changes.wait_for(
        lambda: all(stage.server.dms(fan) for fan in fans) or None, within=120, what="every ticket DM"
    )
    return len(fans) / elapsed, (cpu_seconds(stage.bot.pid) - before) / len(fans) * 1000


async def burst(stage: Stage) -> None:
    """Every fan presses /book at the same moment; each is answered with a picker or a clear refusal."""
    server = stage.server
    server.take_violations()
    bot_before, server_before, started = cpu_seconds(stage.bot.pid), time.process_time(), time.perf_counter()
    records = await asyncio.gather(
        *(stage.command(m, "book", event=stage.burst_event) for m in stage.fans[:BURST])
    )
    with contextlib.suppress(WaitTimeout):
        await settled(server, records, within=60)
    elapsed = time.perf_counter() - started
    bot_cpu, server_cpu = cpu_seconds(stage.bot.pid) - bot_before, time.process_time() - server_before
    acks = [r.responded_at - r.created_at for r in records if r.responded_at is not None]
    answers = [r.settled_at - r.created_at for r in records if r.settled_at is not None]
    in_time = sum(1 for a in acks if a <= server.config.ack_deadline)
    unexpected = sum(
        1
        for r in records
        if (r.original is not None and UNEXPECTED in (r.original.content or ""))
        or any(UNEXPECTED in (f.content or "") for f in r.followups)
    )
    late = [v for v in server.take_violations() if v.rule in ("ack-deadline", "never-acknowledged")]
    print(
        f"burst    fans={len(records)} acknowledged<=3s={in_time / len(records):.1%} "
        f"ack p50={statistics.median(acks):.2f}s p99={percentile(acks, 0.99):.2f}s "
        f"answer p50={statistics.median(answers) if answers else float('nan'):.2f}s "
        f"p99={percentile(answers, 0.99):.2f}s answered={len(answers)} unexpected_errors={unexpected} "
        f"late_or_unacknowledged={len(late)}",
        flush=True,
    )
    print(
        f"burst    took {elapsed:.1f}s; bot CPU {bot_cpu:.1f}s "
        f"({bot_cpu / len(records) * 1000:.1f} ms a fan), "
        f"local Discord server CPU {server_cpu:.1f}s",
        flush=True,
    )


def settings_for(server: DevServer, data: Path, database: str) -> Settings:
    """Picket's settings for a bench run against the local server, ignoring any .env beside it."""
    return Settings(  # type: ignore[call-arg]
        _env_file=None,
        data_dir=data,
        database_url=database,
        discord_token=server.token,
        discord_api_base=server.api_base,
        discord_gateway_url=server.gateway_url,
    )


def start_bot(config: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-m", "bench.through_bot", "bot", str(config)])


async def launch_bot(server: DevServer, data: Path, database: str) -> subprocess.Popen[bytes]:
    """The bot in a process of its own against ``server``, once it is connected and settled."""
    config = data / "bot.json"
    config.write_text(
        json.dumps(
            {
                "data_dir": str(data),
                "database_url": database,
                "token": server.token,
                "api_base": server.api_base,
                "gateway_url": server.gateway_url,
            }
        )
    )
    bot = start_bot(config)
    try:
        await server.wait_for_command_sync(within=60)
        await server.changes.wait_for(lambda: server.gateway.sessions or None, within=60, what="the bot")
    except BaseException:
        bot.terminate()
        raise
    # discord.py settles its guilds a couple of seconds after connecting (guild_ready_timeout).
    await asyncio.sleep(3)
    return bot


async def drive() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp)
        database = os.environ.get("PICKET_BENCH_DATABASE_URL") or f"sqlite+aiosqlite:///{data / 'picket.db'}"
        # Many fans act at once; this bench is about the bot, not about the server's own limits on them.
        server = DevServer(DevServerConfig(host="127.0.0.1"))
        await server.start()
        guild = server.add_guild("Bench Hall", channel_names=("general",))
        role = server.add_role(guild, "Organizers")
        organizer = server.add_member(guild, "organizer", roles=[role])
        fans = [server.add_member(guild, f"fan{n}") for n in range(max(BURST, BOOKINGS, TRIVIAL))]
        settings = settings_for(server, data, database)
        burst_event, booking_event = await seed(settings, guild.id, organizer.id, role.id, fans)
        bot = await launch_bot(server, data, database)
        try:
            stage = Stage(server, guild.id, fans, burst_event, booking_event, bot)
            print(f"database {database.split('://')[0]}; bot pid {bot.pid}", flush=True)
            trivial_ms = await trivial(stage)
            print(f"trivial  /wallet balance bot_cpu_ms={trivial_ms:.2f}", flush=True)
            rate, booking_ms = await bookings(stage)
            print(
                f"booking  bookings/s={rate:.1f} bot_cpu_ms/booking={booking_ms:.1f} "
                f"ratio_to_trivial={booking_ms / trivial_ms:.1f}x",
                flush=True,
            )
            await burst(stage)
        finally:
            bot.terminate()
            bot.wait(timeout=30)
            await server.stop()
    return 0


async def run_bot(config_path: str) -> None:
    from bot.client import PicketBot
    from bot.devserver import point_discord_py_at

    config = json.loads(await asyncio.to_thread(Path(config_path).read_text))
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None,
        data_dir=config["data_dir"],
        database_url=config["database_url"],
        discord_token=config["token"],
        discord_api_base=config["api_base"],
        discord_gateway_url=config["gateway_url"],
    )
    point_discord_py_at(config["api_base"], config["gateway_url"])
    app = App.build(settings)
    bot = PicketBot(app.runtime())
    try:
        await bot.start(config["token"])
    finally:
        await app.close()


def main() -> int:
    if len(sys.argv) == 3 and sys.argv[1] == "bot":
        asyncio.run(run_bot(sys.argv[2]))
        return 0
    return asyncio.run(drive())


if __name__ == "__main__":
    sys.exit(main())
