"""Each server's time zone, kept for a minute: autocomplete asks for it on every keystroke."""

from __future__ import annotations

import time
from zoneinfo import ZoneInfo

import discord

from cogs.shared.runtime import runtime_of
from core.services.guilds import guild_zone

KEPT_SECONDS = 60.0


class GuildZones:
    def __init__(self) -> None:
        self._kept: dict[int, tuple[float, ZoneInfo]] = {}

    async def of(self, client: discord.Client, guild_id: int | None) -> ZoneInfo:
        runtime = runtime_of(client)
        if guild_id is None:
            return runtime.zone
        kept = self._kept.get(guild_id)
        if kept is not None and time.monotonic() - kept[0] < KEPT_SECONDS:
            return kept[1]
        zone = await guild_zone(guild_id, runtime.uow(), runtime.zone)
        self._kept[guild_id] = (time.monotonic(), zone)
        return zone

    def forget(self, guild_id: int) -> None:
        """After /picket setup here: the next question reads the new zone."""
        self._kept.pop(guild_id, None)


def zones_of(client: object) -> GuildZones:
    zones = getattr(client, "zones", None)
    if not isinstance(zones, GuildZones):
        raise RuntimeError("the bot was started without its time zones")
    return zones


async def zone_of(interaction: discord.Interaction) -> ZoneInfo:
    """The zone the member's server types and reads local times in."""
    return await zones_of(interaction.client).of(interaction.client, interaction.guild_id)
