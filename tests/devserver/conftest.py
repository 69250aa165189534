"""Fixtures for the local Discord-compatible server's own tests."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest

from bot.devserver import DevServer, Guild, Member
from bot.devserver.testing import running_bot, serve

from ._bot import ShowBot, make_bot


@dataclass
class Venue:
    """A guild with an organizer and two fans, one of whom has closed their DMs."""

    guild: Guild
    organizer: Member
    fan: Member
    shy_fan: Member


@pytest.fixture
async def server() -> AsyncIterator[DevServer]:
    async with serve() as server:
        yield server


@pytest.fixture
def venue(server: DevServer) -> Venue:
    guild = server.add_guild("Seoul Arena", locale="ko")
    staff = server.add_role(guild, "staff", permissions=1 << 5)
    return Venue(
        guild=guild,
        organizer=server.add_member(guild, "organizer", roles=[staff]),
        fan=server.add_member(guild, "minji", locale="ko"),
        shy_fan=server.add_member(guild, "quiet", dms_open=False),
    )


@pytest.fixture
async def bot(server: DevServer, venue: Venue) -> AsyncIterator[ShowBot]:
    async with running_bot(server, make_bot) as bot:
        yield bot
