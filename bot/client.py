"""The Discord client: an AutoShardedBot that loads Picket's cogs and syncs its commands."""

from __future__ import annotations

import logging
from typing import Any

import discord
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from discord import app_commands
from discord.ext import commands

from bot.i18n.translator import PicketTranslator
from cogs.notifications import DiscordDeliverer
from cogs.shared.errors import report
from core.runtime import Runtime
from scheduler.runner import build_scheduler

log = logging.getLogger(__name__)

COGS: tuple[str, ...] = ("cogs.setup", "cogs.events", "cogs.booking", "cogs.wallet", "cogs.tickets")


class PicketTree(app_commands.CommandTree["PicketBot"]):
    async def on_error(self, interaction: discord.Interaction, error: app_commands.AppCommandError) -> None:
        await report(interaction, error)


class PicketBot(commands.AutoShardedBot):
    def __init__(self, runtime: Runtime, *, run_scheduler: bool = True, **options: Any) -> None:
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
        self.scheduler: AsyncIOScheduler | None = None
        self._run_scheduler = run_scheduler

    async def setup_hook(self) -> None:
        await self.tree.set_translator(PicketTranslator())
        for extension in COGS:
            await self.load_extension(extension)
        synced = await self.tree.sync()
        log.info("synced %d application commands", len(synced))
        if self._run_scheduler:
            self.scheduler = build_scheduler(self.runtime, DiscordDeliverer(self, self.runtime))
            self.scheduler.start()

    async def close(self) -> None:
        if self.scheduler is not None and self.scheduler.running:
            self.scheduler.shutdown(wait=False)
        await super().close()
