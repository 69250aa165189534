"""The Discord client: an AutoShardedBot that loads Picket's cogs and syncs its commands when they change."""

from __future__ import annotations

import hashlib
import json
import logging
from typing import Any

import aiohttp
import discord
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from discord import app_commands
from discord.ext import commands

from bot import metrics
from bot.i18n import language, t
from bot.i18n.translator import PicketTranslator
from bot.pacing import GlobalPace, pace_requests
from cogs.notifications import DiscordDeliverer
from cogs.shared.errors import message_for, report
from cogs.shared.seatmap import SeatMaps
from cogs.shared.zones import GuildZones
from core.runtime import Runtime
from core.services.commands import commands_changed, commands_synced
from core.services.gauges import read_gauges
from scheduler.leases import Leases
from scheduler.runner import Upkeep, build_scheduler

log = logging.getLogger(__name__)

HTTP_CONNECTIONS = 64
MEASURE_SECONDS = 15
# Below Discord's 50 a second, leaving room for a clock that runs a little fast on either side.
GLOBAL_REQUESTS_PER_SECOND = 48.0
KEEPALIVE_SECONDS = 60
COGS: tuple[str, ...] = (
    "cogs.setup",
    "cogs.events",
    "cogs.booking",
    "cogs.wallet",
    "cogs.tickets",
    "cogs.waitlist",
    "cogs.interests",
)


def _age(interaction: discord.Interaction) -> float:
    """Seconds since the member pressed, by Discord's clock in the interaction's id."""
    return max(0.0, (discord.utils.utcnow() - interaction.created_at).total_seconds())


class PicketTree(app_commands.CommandTree["PicketBot"]):
    async def on_error(self, interaction: discord.Interaction, error: app_commands.AppCommandError) -> None:
        await report(interaction, error)
        name = interaction.command.qualified_name if interaction.command else "-"
        if message_for(error, interaction.locale) is None:
            metrics.COMMAND_ERRORS.labels(name).inc()
        metrics.COMMAND_SECONDS.labels(name).observe(_age(interaction))

    async def digest(self) -> str:
        """A fingerprint of exactly what ``sync`` would send, translations included."""
        translator = self.translator
        payloads = [
            await command.get_translated_payload(self, translator) if translator else command.to_dict(self)
            for command in self.get_commands()
        ]
        blob = json.dumps(payloads, sort_keys=True, ensure_ascii=False, default=str)
        return hashlib.sha256(blob.encode()).hexdigest()


class PicketBot(commands.AutoShardedBot):
    def __init__(
        self,
        runtime: Runtime,
        *,
        run_scheduler: bool = True,
        force_sync: bool = False,
        upkeep: Upkeep | None = None,
        requests_per_second: float = GLOBAL_REQUESTS_PER_SECOND,
        **options: Any,
    ) -> None:
        # The default intents: Picket needs no privileged one. Member names come with each interaction.
        options.setdefault("intents", discord.Intents.default())
        # Text that members wrote (titles, venues, names) must never ping anyone: mentions are opt-in.
        options.setdefault("allowed_mentions", discord.AllowedMentions.none())
        # discord.py's own connector has no limit: a burst of interactions then opens a connection (a
        # TLS handshake, on Discord) per answer. A bounded pool of kept-alive connections reuses them.
        options.setdefault(
            "connector", aiohttp.TCPConnector(limit=HTTP_CONNECTIONS, keepalive_timeout=KEEPALIVE_SECONDS)
        )
        super().__init__(
            command_prefix=commands.when_mentioned, tree_cls=PicketTree, help_command=None, **options
        )
        self.runtime = runtime
        self.pace = GlobalPace(requests_per_second)
        pace_requests(self.http, self.pace)
        self.seat_maps = SeatMaps()
        self.zones = GuildZones()
        self.scheduler: AsyncIOScheduler | None = None
        self._run_scheduler = run_scheduler
        self._upkeep = upkeep or Upkeep()
        self.leases = Leases(runtime)
        self._force_sync = force_sync

    async def setup_hook(self) -> None:
        await self.tree.set_translator(PicketTranslator())
        for extension in COGS:
            await self.load_extension(extension)
        await self.sync_commands(force=self._force_sync)
        if self._run_scheduler:
            self.scheduler = build_scheduler(
                self.runtime, DiscordDeliverer(self, self.runtime), leases=self.leases, upkeep=self._upkeep
            )
            self.scheduler.add_job(self.measure, "interval", seconds=MEASURE_SECONDS, id="measure")
            metrics.watch_scheduler(self.scheduler)
            self.scheduler.start()

    async def measure(self) -> None:
        """Figures read from the database rather than counted as they happen."""
        gauges = await read_gauges(self.runtime.uow())
        metrics.OUTBOX_BACKLOG.set(gauges.outbox_backlog)
        metrics.QUEUE_WAITING.set(gauges.queue_waiting)
        # 0 on a single server, also after a failover to the standby: never a stale cluster's size.
        metrics.DB_CLUSTER_SIZE.set(gauges.cluster_size or 0)

    async def on_app_command_completion(
        self, interaction: discord.Interaction, command: app_commands.Command[Any, ..., Any] | Any
    ) -> None:
        metrics.COMMAND_SECONDS.labels(command.qualified_name).observe(_age(interaction))

    async def on_interaction(self, interaction: discord.Interaction) -> None:
        # Noted in memory only; a job writes what changed in one statement (DMs later speak it).
        self.runtime.seen.saw(interaction.user.id, language(interaction.locale))
        if interaction.type is discord.InteractionType.component and not self._handled(interaction):
            # A menu from before a restart, or left open past its time: say so rather than leave
            # the member with "This interaction failed".
            await interaction.response.send_message(
                t("error.menu_expired", interaction.locale), ephemeral=True
            )

    def _handled(self, interaction: discord.Interaction) -> bool:
        """Whether discord.py hands this click to a live view or to a button that outlives restarts.
        Called as the click arrives, after discord.py has looked for its handler, before any runs."""
        custom_id = str((interaction.data or {}).get("custom_id", ""))
        if not custom_id.startswith("picket:"):
            return True  # not one of Picket's: not Picket's to answer
        store = self._connection._view_store
        if any(pattern.fullmatch(custom_id) for pattern in store._dynamic_items):
            return True
        kind = int((interaction.data or {}).get("component_type", 0))
        message_id = interaction.message.id if interaction.message is not None else None
        key = (kind, custom_id)
        return key in store._views.get(message_id, {}) or key in store._views.get(None, {})

    async def sync_commands(self, *, force: bool = False) -> bool:
        """Sends the command set to Discord when it differs from the last one sent; True if it did."""
        assert self.application_id is not None
        tree = self.tree
        assert isinstance(tree, PicketTree)
        digest = await tree.digest()
        if not force and not await commands_changed(self.application_id, digest, self.runtime.uow()):
            log.info("application commands unchanged; not syncing")
            return False
        synced = await tree.sync()
        await commands_synced(self.application_id, digest, self.runtime.uow())
        log.info("synced %d application commands", len(synced))
        return True

    async def close(self) -> None:
        try:
            if self.scheduler is not None and self.scheduler.running:
                self.scheduler.shutdown(wait=False)
                # A restart (a deploy) should not leave the jobs waiting out this process's leases.
                await self.leases.release()
        finally:
            await super().close()
