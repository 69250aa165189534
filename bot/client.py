"""The Discord client: an AutoShardedBot that loads Picket's cogs and syncs its commands."""

from __future__ import annotations

import logging
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.i18n.translator import PicketTranslator
from cogs.shared.errors import report
from core.runtime import Runtime

log = logging.getLogger(__name__)

COGS: tuple[str, ...] = ("cogs.setup", "cogs.events")


class PicketTree(app_commands.CommandTree["PicketBot"]):
    async def on_error(self, interaction: discord.Interaction, error: app_commands.AppCommandError) -> None:
        await report(interaction, error)


class PicketBot(commands.AutoShardedBot):
    def __init__(self, runtime: Runtime, **options: Any) -> None:
        intents = discord.Intents.default()
        intents.members = True
        super().__init__(
            command_prefix=commands.when_mentioned,
            intents=intents,
            tree_cls=PicketTree,
            help_command=None,
            **options,
        )
        self.runtime = runtime

    async def setup_hook(self) -> None:
        await self.tree.set_translator(PicketTranslator())
        for extension in COGS:
            await self.load_extension(extension)
        synced = await self.tree.sync()
        log.info("synced %d application commands", len(synced))
