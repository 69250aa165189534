"""/picket setup: a server admin chooses the organizer role and the announcement channel."""

from __future__ import annotations

import functools
from zoneinfo import available_timezones

import discord
from discord import app_commands
from discord.app_commands import locale_str as _
from discord.ext import commands

from bot.i18n import language, t
from cogs.shared.caller import caller_of
from cogs.shared.zones import zones_of
from core.runtime import Runtime
from core.services.guilds import ConfigureGuild, configure_guild

COMMON_ZONES = ("Asia/Seoul", "UTC", "Asia/Tokyo", "America/New_York", "America/Los_Angeles", "Europe/London")


@functools.cache
def _all_zones() -> tuple[str, ...]:
    # Read once, when first asked (not at start-up): the same for every keystroke of every member.
    return tuple(sorted(available_timezones()))


async def zone_choices(interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
    """Zones whose name holds what was typed; the usual ones first."""
    typed = current.strip().lower()
    found = [z for z in COMMON_ZONES if typed in z.lower()]
    if len(found) < 25 and typed:
        found += [z for z in _all_zones() if typed in z.lower() and z not in found]
    return [app_commands.Choice(name=z, value=z) for z in found[:25]]


class SetupCog(commands.GroupCog, group_name="picket", group_description="Set up Picket in this server"):
    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        super().__init__()

    @app_commands.command(
        name="setup", description=_("Choose who may post events and where they are announced")
    )
    @app_commands.describe(
        organizer_role=_("Members with this role may post and sell events"),
        announce_channel=_("Where new events are announced"),
        time_zone=_("The time zone organizers type times in, e.g. Asia/Seoul"),
    )
    @app_commands.autocomplete(time_zone=zone_choices)
    @app_commands.guild_only()
    # Only hides the command from members without the permission; core refuses them whatever the client.
    @app_commands.default_permissions(manage_guild=True)
    async def setup(
        self,
        interaction: discord.Interaction,
        organizer_role: discord.Role,
        announce_channel: discord.TextChannel | None = None,
        time_zone: app_commands.Range[str, 1, 64] | None = None,
    ) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        command = ConfigureGuild(
            caller_of(interaction),
            organizer_role.id,
            announce_channel.id if announce_channel else None,
            language(interaction.guild_locale),
            time_zone,
        )
        config = await configure_guild(command, self.runtime.uow())
        zones_of(interaction.client).forget(config.guild_id)
        channel = announce_channel.mention if announce_channel else t("setup.no_channel", interaction.locale)
        done = t(
            "setup.done",
            interaction.locale,
            role=organizer_role.mention,
            channel=channel,
            zone=config.zone_name,
        )
        await interaction.followup.send(done, ephemeral=True)
