"""/event cancel, stats and attendees: what an organizer does with an event that is selling."""

from __future__ import annotations

import csv
from io import BytesIO, StringIO

import discord
from discord import app_commands
from discord.app_commands import locale_str as _

from bot.i18n import language, t
from bot.i18n.formatting import money
from cogs.notifications import DiscordDeliverer
from cogs.pictures.chart import sales_chart
from cogs.shared.autocomplete import event_choices
from core.runtime import Runtime
from core.services.events import event_details
from core.services.organizer import cancel_event, event_attendees, event_stats
from core.services.outbox import deliver_notices

COLOUR = discord.Colour(0x5B5BD6)


class OrganizerCommands:
    runtime: Runtime

    @app_commands.command(name="cancel", description=_("Cancel your event and refund every ticket"))
    @app_commands.describe(event=_("The event"), confirm=_("Type the event's title to confirm"))
    @app_commands.autocomplete(event=event_choices)
    @app_commands.guild_only()
    async def cancel(self, interaction: discord.Interaction, event: int, confirm: str) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        runtime = self.runtime
        details = await event_details(event, interaction.user.id, runtime.uow(), runtime.clock)
        if confirm.strip() != details.event.title:
            await interaction.followup.send(
                t("cancel.confirm_mismatch", interaction.locale, title=details.event.title), ephemeral=True
            )
            return
        # Buyers did not ask for this DM, so no locale of theirs is at hand: the server's language is.
        dm_language = language(interaction.guild_locale or "ko")
        result = await cancel_event(event, interaction.user.id, runtime.uow, runtime.clock, dm_language)
        await interaction.followup.send(
            t(
                "cancel.done",
                interaction.locale,
                title=result.event.title,
                count=result.refunded,
                amount=money(result.amount, result.event.currency),
            ),
            ephemeral=True,
        )
        # The refund notes go out now rather than at the scheduler's next turn.
        await deliver_notices(
            runtime.uow, DiscordDeliverer(interaction.client, runtime), runtime.clock, limit=200
        )

    @app_commands.command(name="stats", description=_("Sales of your event: per section, revenue, chart"))
    @app_commands.describe(event=_("The event"))
    @app_commands.autocomplete(event=event_choices)
    @app_commands.guild_only()
    async def stats(self, interaction: discord.Interaction, event: int) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        runtime, locale = self.runtime, interaction.locale
        stats = await event_stats(event, interaction.user.id, runtime.uow(), runtime.clock, runtime.zone)
        currency = stats.event.currency
        embed = discord.Embed(title=t("stats.title", locale, title=stats.event.title), colour=COLOUR)
        for s in stats.sections[:20]:
            embed.add_field(
                name=f"{s.name} · {money(s.price, currency)}",
                value=t("stats.section", locale, sold=s.sold, held=s.held, free=s.available),
            )
        if stats.event.ga_capacity is not None:
            embed.add_field(
                name=t("stats.ga", locale),
                value=t("stats.ga_value", locale, sold=stats.tickets_sold, capacity=stats.event.ga_capacity),
            )
        embed.add_field(name=t("stats.sold", locale), value=str(stats.tickets_sold), inline=False)
        embed.add_field(name=t("stats.revenue", locale), value=money(stats.revenue, currency))
        chart = sales_chart(stats.sales_by_day, t("stats.chart_title", locale))
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
        found, rows = await event_attendees(event, interaction.user.id, self.runtime.uow())
        names = {}
        if interaction.guild is not None:
            names = {m.id: m.display_name for m in interaction.guild.members}
        buffer = StringIO()
        writer = csv.writer(buffer)
        writer.writerow(
            ["ticket", "order", "seat", "holder_id", "holder", "price", "status", "bought_at_utc"]
        )
        for a in rows:
            writer.writerow(
                [
                    a.ticket_id,
                    a.order_id,
                    a.seat_label or "GA",
                    a.holder_id,
                    names.get(a.holder_id, ""),
                    a.price,
                    a.status.value,
                    a.bought_at.isoformat(sep=" "),
                ]
            )
        data = buffer.getvalue().encode(
            "utf-8-sig"
        )  # the BOM makes spreadsheet programs read Korean names right
        file = discord.File(BytesIO(data), filename=f"attendees-event-{found.id}.csv")
        await interaction.followup.send(
            t("attendees.ready", interaction.locale, title=found.title, count=len(rows)),
            file=file,
            ephemeral=True,
        )
