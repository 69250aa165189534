"""Test support: a server that fails the test on any rule breach, and a real discord.py bot running on it.

    async with serve() as server:
        guild = server.add_guild("Seoul Arena")
        fan = server.add_member(guild, "minji", locale="ko")
        async with running_bot(server, make_bot):
            reply = await (await server.run_command(guild, fan, "ping")).wait_for_message()

Bots built for tests should pass `guild_ready_timeout=FAST_GUILD_READY` so `on_ready` comes at once.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable, Iterable
from typing import TypeVar

import discord
from discord.ext import commands

from ._config import DevServerConfig
from ._discordpy import point_discord_py_at
from ._model import Violation
from ._server import DevServer

BotT = TypeVar("BotT", bound=commands.Bot | commands.AutoShardedBot)

# discord.py waits this long after the last GUILD_CREATE before `on_ready`; the local server sends them all
# at once, so a short wait is enough.
FAST_GUILD_READY = 0.05


class ViolationsRecorded(AssertionError):
    def __init__(self, violations: list[Violation]) -> None:
        lines = "\n".join(f"  - {v}" for v in violations)
        super().__init__(f"the bot broke Discord's rules {len(violations)} time(s):\n{lines}")
        self.violations = violations


def assert_no_violations(server: DevServer) -> None:
    if server.violations:
        raise ViolationsRecorded(list(server.violations))


@contextlib.asynccontextmanager
async def serve(
    config: DevServerConfig | None = None, *, check_violations: bool = True
) -> AsyncIterator[DevServer]:
    """A started server; on a clean exit, raises `ViolationsRecorded` if any rule was broken."""
    server = DevServer(config)
    await server.start()
    try:
        yield server
    except BaseException:
        await server.stop()
        raise
    await server.stop()
    if check_violations:
        assert_no_violations(server)


async def _identify_at_once(shard_id: int | None, *, initial: bool = False) -> None:
    # discord.py waits 5 s between shard IDENTIFYs by default; the local server has no identify limit.
    return None


@contextlib.asynccontextmanager
async def running_bot(
    server: DevServer,
    make_bot: Callable[[], BotT],
    *,
    sync_commands: bool = True,
    sync_guilds: Iterable[int] = (),
    ready_timeout: float = 5.0,
) -> AsyncIterator[BotT]:
    """Start a fresh bot against `server`, wait for `on_ready` and the command sync, close it afterwards.

    Before closing, interactions the bot has not answered yet get until their deadline; those still
    unanswered are recorded as violations.
    """
    restore = point_discord_py_at(server.api_base, server.gateway_url)
    bot = make_bot()
    bot.before_identify_hook = _identify_at_once  # type: ignore[method-assign]
    connection: asyncio.Task[None] | None = None
    try:
        await bot.login(server.token)
        connection = asyncio.create_task(bot.connect(), name="picket-devserver-bot-connection")
        await _wait_until_ready(server, bot, connection, ready_timeout)
        if sync_commands:
            await bot.tree.sync()
        for guild_id in sync_guilds:
            await bot.tree.sync(guild=discord.Object(guild_id))
        yield bot
        await server.settle_interactions()
    finally:
        await bot.close()
        if connection is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await connection
        restore()


@contextlib.asynccontextmanager
async def serve_bot(
    make_bot: Callable[[], BotT],
    *,
    config: DevServerConfig | None = None,
    build_world: Callable[[DevServer], object] | None = None,
    sync_commands: bool = True,
    ready_timeout: float = 5.0,
) -> AsyncIterator[tuple[DevServer, BotT]]:
    """`serve` and `running_bot` in one: the world is built (by `build_world`) before the bot connects."""
    async with serve(config) as server:
        if build_world is not None:
            build_world(server)
        async with running_bot(
            server, make_bot, sync_commands=sync_commands, ready_timeout=ready_timeout
        ) as bot:
            yield server, bot


async def _wait_until_ready(
    server: DevServer,
    bot: commands.Bot | commands.AutoShardedBot,
    connection: asyncio.Task[None],
    within: float,
) -> None:
    ready = asyncio.create_task(bot.wait_until_ready(), name="picket-devserver-bot-ready")
    done, _ = await asyncio.wait({connection, ready}, timeout=within, return_when=asyncio.FIRST_COMPLETED)
    if ready in done:
        return
    ready.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await ready
    if connection in done:
        connection.result()
    problems = "".join(f"\n  - {v}" for v in server.violations)
    raise TimeoutError(f"the bot was not ready within {within:g} s{problems}")
