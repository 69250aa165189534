"""/waitlist join, status and leave: the cancellation waitlist (취소표 대기) of sold-out events."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.app_commands import locale_str as _
from discord.ext import commands

from bot.i18n import t
from bot.i18n.formatting import money, stamp
from cogs.shared.autocomplete import event_choices
from cogs.shared.caller import caller_of
from cogs.shared.runtime import runtime_of
from cogs.shared.text import plain
from cogs.waitlist._join import join_and_tell
from core.runtime import Runtime
from core.services.events import event_details
from core.services.waitlist import close_time, leave_waitlist, waitlist_places

COLOUR = discord.Colour(0x5865F2)
MAX_PRICE = 10_000_000


async def section_choices(interaction: discord.Interaction, current: str) -> list[app_commands.Choice[int]]:
    """The sections of the event chosen in the same command."""
    event_id = getattr(interaction.namespace, "event", None)
    if not isinstance(event_id, int):
        return []
    runtime = runtime_of(interaction.client)
    try:
        details = await event_details(event_id, caller_of(interaction), runtime.uow(), runtime.clock)
    except Exception:
        return []
    names = [(s.section_id, f"{s.name} · {money(s.price, details.event.currency)}") for s in details.sections]
    return [
        app_commands.Choice(name=label[:100], value=section_id)
        for section_id, label in names
        if current.lower() in label.lower()
    ][:25]


async def my_waitlist_events(
    interaction: discord.Interaction, current: str
) -> list[app_commands.Choice[int]]:
    runtime = runtime_of(interaction.client)
    places = await waitlist_places(caller_of(interaction), runtime.uow())
    return [
        app_commands.Choice(name=p.event.title[:100], value=p.event.id)
        for p in places
        if current.lower() in p.event.title.lower()
    ][:25]


class WaitlistCog(
    commands.GroupCog, group_name="waitlist", group_description="Wait for returned tickets of sold-out events"
):
    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        super().__init__()

    @app_commands.command(name="join", description=_("Wait for returned tickets; pays automatically"))
    @app_commands.describe(
        event=_("The sold-out event"),
        quantity=_("How many tickets, side by side when possible"),
        section=_("Only this section (default: any)"),
        max_price=_("The most you would pay per ticket (default: the dearest section)"),
    )
    @app_commands.autocomplete(event=event_choices, section=section_choices)
    @app_commands.guild_only()
    async def join(
        self,
        interaction: discord.Interaction,
        event: int,
        quantity: app_commands.Range[int, 1, 10] = 1,
        section: int | None = None,
        max_price: app_commands.Range[int, 0, MAX_PRICE] | None = None,
    ) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        await join_and_tell(interaction, event, quantity, section, max_price)

    @app_commands.command(name="status", description=_("Your places on waitlists"))
    async def status(self, interaction: discord.Interaction) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        runtime, locale = self.runtime, interaction.locale
        places = await waitlist_places(caller_of(interaction), runtime.uow())
        embed = discord.Embed(title=t("waitlist.status_title", locale), colour=COLOUR)
        if not places:
            embed.description = t("waitlist.none", locale)
        for p in places[:20]:
            entry, event = p.entry, p.event
            section = plain(p.section) if p.section else t("waitlist.any_section", locale)
            embed.add_field(
                name=plain(event.title)[:256],
                value=t(
                    "waitlist.status_line",
                    locale,
                    place=p.place,
                    n=entry.quantity,
                    section=section,
                    escrow=money(entry.escrow, event.currency),
                    closes=stamp(close_time(event, runtime.waitlist_close_hours), "R"),
                ),
                inline=False,
            )
        if places:
            embed.set_footer(text=t("waitlist.status_footer", locale))
        await interaction.followup.send(embed=embed, ephemeral=True)

    @app_commands.command(name="leave", description=_("Leave a waitlist; your escrow comes back at once"))
    @app_commands.describe(event=_("The event"))
    @app_commands.autocomplete(event=my_waitlist_events)
    async def leave(self, interaction: discord.Interaction, event: int) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        left = await leave_waitlist(event, caller_of(interaction), self.runtime.uow(), self.runtime.clock)
        await interaction.followup.send(
            t(
                "waitlist.left",
                interaction.locale,
                title=plain(left.event.title),
                amount=money(left.refunded, left.event.currency),
            ),
            ephemeral=True,
        )
