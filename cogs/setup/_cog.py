"""/picket setup: a server admin chooses the organizer role and the announcement channel."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.app_commands import locale_str as _
from discord.ext import commands

from bot.i18n import language, t
from cogs.shared.caller import caller_of
from core.runtime import Runtime
from core.services.guilds import ConfigureGuild, configure_guild


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
    )
    @app_commands.guild_only()
    # Only hides the command from members without the permission; core refuses them whatever the client.
    @app_commands.default_permissions(manage_guild=True)
    async def setup(
        self,
        interaction: discord.Interaction,
        organizer_role: discord.Role,
        announce_channel: discord.TextChannel | None = None,
    ) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        command = ConfigureGuild(
            caller_of(interaction),
            organizer_role.id,
            announce_channel.id if announce_channel else None,
            language(interaction.guild_locale),
        )
        await configure_guild(command, self.runtime.uow())
        channel = announce_channel.mention if announce_channel else t("setup.no_channel", interaction.locale)
        await interaction.followup.send(
            t("setup.done", interaction.locale, role=organizer_role.mention, channel=channel), ephemeral=True
        )
