"""/event cancel, stats and attendees: what an organizer does with an event that is selling."""

from __future__ import annotations

import asyncio
import logging
from io import BytesIO

import discord
from discord import app_commands
from discord.app_commands import locale_str as _

from bot.i18n import t
from bot.i18n.formatting import money
from cogs.notifications import DiscordDeliverer
from cogs.pictures.chart import sales_chart
from cogs.shared.autocomplete import event_choices
from cogs.shared.caller import caller_of
from cogs.shared.text import plain
from cogs.shared.zones import zone_of
from core.export import attendees_csv
from core.runtime import Runtime
from core.services.events import event_details
from core.services.organizer import CancelStarted, cancel_event, event_attendees, event_stats
from core.services.organizer import refund_cancelled_event as refund_batch
from core.services.outbox import deliver_notices

log = logging.getLogger(__name__)
COLOUR = discord.Colour(0x5B5BD6)


class OrganizerCommands:
    runtime: Runtime
    # Refunds running for a cancel command, by event: kept so they are not collected while they run,
    # and so that the command repeated meanwhile does not start a second run beside the first.
    _refunding: dict[int, asyncio.Task[None]]

    @app_commands.command(name="cancel", description=_("Cancel your event and refund every ticket"))
    @app_commands.describe(event=_("The event"), confirm=_("Type the event's title to confirm"))
    @app_commands.autocomplete(event=event_choices)
    @app_commands.guild_only()
    async def cancel(self, interaction: discord.Interaction, event: int, confirm: str) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        runtime, caller = self.runtime, caller_of(interaction)
        details = await event_details(event, caller, runtime.uow(), runtime.clock)
        if confirm.strip() != details.event.title:
            await interaction.followup.send(
                t("cancel.confirm_mismatch", interaction.locale, title=plain(details.event.title)),
                ephemeral=True,
            )
            return
        started = await cancel_event(event, caller, runtime.uow(), runtime.clock)
        title, locale = plain(started.event.title), interaction.locale
        if not started.newly and started.to_refund == 0:
            await interaction.followup.send(t("cancel.already_done", locale, title=title), ephemeral=True)
            return
        key = "cancel.started" if started.newly else "cancel.already"
        await interaction.followup.send(t(key, locale, title=title, count=started.to_refund), ephemeral=True)
        # The answer is out; refunds carry on here, and the scheduler finishes them if this process stops.
        if started.event.id in self._refunding:
            return
        task = asyncio.create_task(self._refund_with_progress(interaction, started))
        self._refunding[started.event.id] = task
        task.add_done_callback(lambda _: self._refunding.pop(started.event.id, None))

    async def _refund_with_progress(self, interaction: discord.Interaction, started: CancelStarted) -> None:
        runtime, locale = self.runtime, interaction.locale
        event, title = started.event, plain(started.event.title)
        deliverer = DiscordDeliverer(interaction.client, runtime)
        refunded = amount = 0
        try:
            while True:
                progress = await refund_batch(event.id, runtime.uow, runtime.clock)
                refunded, amount = refunded + progress.refunded, amount + progress.amount
                # The refund notes go out now rather than at the scheduler's next turn.
                await deliver_notices(runtime.uow, deliverer, runtime.clock, limit=200)
                if progress.done:
                    break
                text = t("cancel.progress", locale, title=title, done=refunded, count=started.to_refund)
                await _show(interaction, text)
            done = t(
                "cancel.done",
                locale,
                title=title,
                count=refunded,
                amount=money(amount, event.currency),
            )
            await _show(interaction, done)
        except Exception:
            log.exception("refunds of cancelled event %s stopped; the scheduler will finish them", event.id)

    @app_commands.command(name="stats", description=_("Sales of your event: per section, revenue, chart"))
    @app_commands.describe(event=_("The event"))
    @app_commands.autocomplete(event=event_choices)
    @app_commands.guild_only()
    async def stats(self, interaction: discord.Interaction, event: int) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        runtime, locale = self.runtime, interaction.locale
        zone = await zone_of(interaction)
        stats = await event_stats(event, caller_of(interaction), runtime.uow(), runtime.clock, zone)
        currency = stats.event.currency
        embed = discord.Embed(title=t("stats.title", locale, title=plain(stats.event.title)), colour=COLOUR)
        if stats.event.refunds_pending:
            embed.description = t("cancel.refunds_pending", locale, count=stats.tickets_sold)
        for s in stats.sections[:20]:
            value = t("stats.section", locale, sold=s.sold, held=s.held, free=s.available)
            if stats.checked_in.get(s.name):
                value += "\n" + t("stats.checked_in", locale, count=stats.checked_in[s.name])
            if stats.waiting.get(s.section_id):
                value += "\n" + t("stats.waitlist_value", locale, count=stats.waiting[s.section_id])
            embed.add_field(name=f"{plain(s.name)} · {money(s.price, currency)}", value=value)
        anywhere = stats.waiting.get(None, 0)
        if anywhere:
            embed.add_field(
                name=t("stats.waitlist", locale), value=t("stats.waitlist_value", locale, count=anywhere)
            )
        if stats.event.ga_capacity is not None:
            embed.add_field(
                name=t("stats.ga", locale),
                value=t("stats.ga_value", locale, sold=stats.tickets_sold, capacity=stats.event.ga_capacity),
            )
        if stats.event.ga_capacity is not None and stats.checked_in.get(""):
            embed.add_field(
                name=t("stats.door", locale), value=t("stats.checked_in", locale, count=stats.checked_in[""])
            )
        embed.add_field(name=t("stats.sold", locale), value=str(stats.tickets_sold), inline=False)
        embed.add_field(name=t("stats.revenue", locale), value=money(stats.revenue, currency))
        chart = await asyncio.to_thread(sales_chart, stats.sales_by_day, t("stats.chart_title", locale))
        embed.set_image(url="attachment://sales.png")
        await interaction.followup.send(
            embed=embed, file=discord.File(BytesIO(chart), filename="sales.png"), ephemeral=True
        )

    @app_commands.command(name="attendees", description=_("Download the ticket list of your event (CSV)"))
    @app_commands.describe(event=_("The event"))
    @app_commands.autocomplete(event=event_choices)
    @app_commands.guild_only()
    async def attendees(self, interaction: discord.Interaction, event: int) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        found, rows = await event_attendees(event, caller_of(interaction), self.runtime.uow())
        csv = await asyncio.to_thread(attendees_csv, rows)
        file = discord.File(BytesIO(csv), filename=f"attendees-event-{found.id}.csv")
        await interaction.followup.send(
            t("attendees.ready", interaction.locale, title=plain(found.title), count=len(rows)),
            file=file,
            ephemeral=True,
        )


async def _show(interaction: discord.Interaction, text: str) -> None:
    """Progress on the command's answer; its token lasts 15 minutes, the refunds may take longer."""
    try:
        await interaction.edit_original_response(content=text)
    except discord.HTTPException:
        log.info("could not show refund progress on interaction %s", interaction.id)
