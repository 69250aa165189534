"""Picket sends its slash commands to Discord when they change, not on every start."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.__main__ import _sync as sync_now
from bot.client import PicketBot
from bot.devserver.testing import FAST_GUILD_READY, running_bot
from bot.settings import Settings
from tests.e2e.world import World


def quiet_bot(world: World, **options: object) -> PicketBot:
    return PicketBot(world.runtime, run_scheduler=False, guild_ready_timeout=FAST_GUILD_READY, **options)


async def test_commands_are_synced_once_and_again_only_when_forced(world: World) -> None:
    server = world.server
    # The world's bot started on a fresh database, so it sent its commands once at start-up.
    before = server.command_syncs
    names = sorted(c["name"] for c in server.commands())

    async with running_bot(server, lambda: quiet_bot(world), sync_commands=False):
        pass
    assert server.command_syncs == before
    async with running_bot(server, lambda: quiet_bot(world, force_sync=True), sync_commands=False):
        pass

    assert server.command_syncs == before + 1
    assert (
        sorted(c["name"] for c in server.commands())
        == names
        == ["book", "checkin", "event", "events", "interests", "picket", "tickets", "waitlist", "wallet"]
    )


async def test_python_m_bot_sync_sends_the_commands_even_when_unchanged(
    world: World, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    server = world.server
    before = server.command_syncs
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None,
        data_dir=tmp_path,
        discord_token=server.token,
        discord_api_base=server.api_base,
        discord_gateway_url=server.gateway_url,
    )

    assert await sync_now(settings) == 0

    assert server.command_syncs == before + 1
    assert capsys.readouterr().out.strip() == "Slash commands sent to Discord."
