"""Interest alerts to thousands of members at the pace Discord allows.

Run: ``python -m bench.fanout`` (SQLite in a temporary directory).

Members follow the category of an event; the event is published; the real bot, its scheduler running,
fans the alert out and sends the DMs through Picket's Discord-compatible server, which holds the bot to
Discord's global limit of 50 requests a second and answers 429 past it. Printed for each run: DMs per
second and requests per second, each as a share of those 50, the 429s the bot met, and the time from
the publish until the first DM arrived.

Two kinds of members: those Picket has sent a DM before, whose DM channel it keeps (one request per
DM), and members new to its DMs, whose channel it opens first (two requests per DM).
"""

from __future__ import annotations

import asyncio
import os
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from sqlalchemy import insert

from bench.through_bot import settings_for
from bot.app import App
from bot.client import PicketBot
from bot.devserver import DevServer, DevServerConfig
from bot.devserver.testing import FAST_GUILD_READY, running_bot
from core.caller import Caller
from core.services.events import CreateEvent, create_event, publish_event
from core.services.guilds import ConfigureGuild, configure_guild
from db.schema import interests, members

KNOWN = int(os.environ.get("PICKET_BENCH_FANOUT", "10000"))
NEW = int(os.environ.get("PICKET_BENCH_FANOUT_NEW", "1000"))
DISCORD_LIMIT = 50
SEED_BATCH = 1000


async def seed(
    app: App, guild_id: int, role_id: int, member_ids: list[int], channels: dict[int, int]
) -> None:
    """Members who followed the concert category earlier (as /interests add leaves them)."""
    runtime = app.runtime()
    now = runtime.clock.now()
    admin = Caller(1, guild_id, manages_guild=True)
    await configure_guild(ConfigureGuild(admin, role_id, None), runtime.uow())
    async with app.engine.begin() as conn:
        for start in range(0, len(member_ids), SEED_BATCH):
            chunk = member_ids[start : start + SEED_BATCH]
            await conn.execute(
                insert(members),
                [
                    {"user_id": m, "locale": "en", "dm_channel_id": channels.get(m), "updated_at": now}
                    for m in chunk
                ],
            )
            await conn.execute(
                insert(interests),
                [
                    {
                        "guild_id": guild_id,
                        "user_id": m,
                        "kind": "category",
                        "value": "concert",
                        "created_at": now,
                    }
                    for m in chunk
                ],
            )


async def publish(app: App, guild_id: int, organizer: int, role_id: int) -> None:
    runtime = app.runtime()
    by = Caller(organizer, guild_id, frozenset({role_id}))
    now = runtime.clock.now()
    draft = await create_event(
        CreateEvent(
            caller=by,
            title="Fan-out Concert",
            category="concert",
            starts_at=now + timedelta(days=10),
            sale_opens_at=now + timedelta(days=1),
            layout="R:A x 1-10 @ 1000",
        ),
        runtime.uow(),
        runtime.clock,
    )
    await publish_event(draft.id, by, runtime.uow(), runtime.clock)


async def run(label: str, count: int, *, channels_known: bool) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        server = DevServer(DevServerConfig())
        await server.start()
        try:
            guild = server.add_guild("Fan-out Hall", channel_names=("general",))
            role = server.add_role(guild, "Organizers")
            organizer = server.add_member(guild, "organizer", roles=[role])
            fans = [server.add_member(guild, f"fan{n}") for n in range(count)]
            channels = {f.id: server.dm_channel_of(f.user).id for f in fans} if channels_known else {}
            settings = settings_for(server, Path(tmp), f"sqlite+aiosqlite:///{Path(tmp) / 'picket.db'}")
            app = App.build(settings)
            await app.migrate()
            await seed(app, guild.id, role.id, [f.id for f in fans], channels)
            runtime = app.runtime()
            async with running_bot(
                server, lambda: PicketBot(runtime, guild_ready_timeout=FAST_GUILD_READY)
            ) as bot:
                server.rate_limited.clear()
                started = time.perf_counter()
                await publish(app, guild.id, organizer.id, role.id)
                first = await _first_dm(server, fans, started)
                await server.changes.wait_for(
                    lambda: all(server.dms(f) for f in fans) or None,
                    within=count / 10 + 120,
                    what="every alert DM",
                )
                ended = time.perf_counter()
                await bot.close()
            await app.close()
        finally:
            await server.stop()
    spread = ended - first
    requests = count * (1 if channels_known else 2)
    print(
        f"fanout  {label:<13} members={count} dms/s={count / spread:.1f} "
        f"({count / spread / DISCORD_LIMIT:.2f} of {DISCORD_LIMIT}) requests/s={requests / spread:.1f} "
        f"({requests / spread / DISCORD_LIMIT:.2f} of {DISCORD_LIMIT}) 429s={len(server.rate_limited)} "
        f"first_dm_after={first - started:.1f}s all_after={ended - started:.1f}s",
        flush=True,
    )


async def _first_dm(server: DevServer, fans: list, started: float) -> float:
    await server.changes.wait_for(
        lambda: any(server.dms(f) for f in fans[:50]) or None, within=120, what="the first alert DM"
    )
    return time.perf_counter()


async def main() -> None:
    print(f"Discord's global limit: {DISCORD_LIMIT} requests/s, enforced by the local server", flush=True)
    await run("known DMs", KNOWN, channels_known=True)
    await run("new to DMs", NEW, channels_known=False)


if __name__ == "__main__":
    asyncio.run(main())
