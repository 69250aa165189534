"""The Discord client: an AutoShardedBot that loads Picket's cogs and syncs its commands."""

from __future__ import annotations

import logging

import discord
from discord.ext import commands

from bot.app import App

log = logging.getLogger(__name__)

COGS: tuple[str, ...] = ()


class PicketBot(commands.AutoShardedBot):
    def __init__(self, app: App, **options: object) -> None:
        intents = discord.Intents.default()
        super().__init__(command_prefix=commands.when_mentioned, intents=intents, **options)  # type: ignore[arg-type]
        self.app = app

    async def setup_hook(self) -> None:
        for extension in COGS:
            await self.load_extension(extension)
        synced = await self.tree.sync()
        log.info("synced %d application commands", len(synced))
