"""/tickets list, show, cancel and transfer."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.app_commands import locale_str as _
from discord.ext import commands

from bot.i18n import language, t
from bot.i18n.formatting import stamp
from cogs.notifications import deliver_now
from cogs.shared.caller import caller_of
from cogs.shared.runtime import runtime_of
from cogs.shared.text import plain
from cogs.tickets._cancel import cancel_prompt
from cogs.tickets._live import live_ticket
from core.runtime import Runtime
from core.services.outbox import Delivery
from core.services.tickets import (
    TransferTicket,
    quote_cancel,
    ticket_card,
    ticket_cards,
    transfer_ticket,
)

COLOUR = discord.Colour(0x2F9E6E)


async def ticket_choices(interaction: discord.Interaction, current: str) -> list[app_commands.Choice[int]]:
    runtime = runtime_of(interaction.client)
    cards = await ticket_cards(caller_of(interaction), runtime.uow())
    choices = []
    for card in cards:
        seat = card.ticket.seat_label or t("ticket.general_admission", interaction.locale)
        label = f"#{card.ticket.id} {card.event.title} · {seat}"
        if current.lower() in label.lower():
            choices.append(app_commands.Choice(name=label[:100], value=card.ticket.id))
    return choices[:25]


class TicketsCog(commands.GroupCog, group_name="tickets", group_description="Your tickets"):
    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        super().__init__()

    @app_commands.command(name="list", description=_("See all your tickets"))
    async def list_tickets(self, interaction: discord.Interaction) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        cards = await ticket_cards(caller_of(interaction), self.runtime.uow())
        locale = interaction.locale
        embed = discord.Embed(title=t("tickets.title", locale), colour=COLOUR)
        if not cards:
            embed.description = t("tickets.none", locale)
        else:
            lines = [
                t(
                    "tickets.line",
                    locale,
                    ticket=c.ticket.id,
                    title=plain(c.event.title),
                    seat=c.ticket.seat_label or t("ticket.general_admission", locale),
                    when=stamp(c.event.starts_at, "f"),
                )
                for c in cards[:40]
            ]
            embed.description = "\n".join(lines)[:4000]
            embed.set_footer(text=t("tickets.footer", locale))
        await interaction.followup.send(embed=embed, ephemeral=True)

    @app_commands.command(name="show", description=_("Show one ticket with its live QR code"))
    @app_commands.describe(ticket=_("The ticket"))
    @app_commands.autocomplete(ticket=ticket_choices)
    async def show(self, interaction: discord.Interaction, ticket: int) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        card = await ticket_card(ticket, caller_of(interaction), self.runtime.uow())
        await interaction.followup.send(
            ephemeral=True, **await live_ticket(card, self.runtime, interaction.locale)
        )

    @app_commands.command(name="cancel", description=_("Cancel a ticket and get a refund to your wallet"))
    @app_commands.describe(ticket=_("The ticket"))
    @app_commands.autocomplete(ticket=ticket_choices)
    async def cancel(self, interaction: discord.Interaction, ticket: int) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        quote = await quote_cancel(ticket, caller_of(interaction), self.runtime.uow(), self.runtime.clock)
        await interaction.followup.send(
            ephemeral=True, **cancel_prompt(quote, interaction.user.id, interaction.locale)
        )

    @app_commands.command(name="transfer", description=_("Give a ticket to another member (never for money)"))
    @app_commands.describe(ticket=_("The ticket"), to=_("Who receives it"))
    @app_commands.autocomplete(ticket=ticket_choices)
    @app_commands.guild_only()
    async def transfer(self, interaction: discord.Interaction, ticket: int, to: discord.Member) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        command = TransferTicket(
            ticket,
            caller_of(interaction),
            to.id,
            to_is_bot=to.bot,
            to_name=to.display_name,
            locale=language(interaction.guild_locale or "ko"),
            max_transfers=self.runtime.max_transfers,
        )
        moved = await transfer_ticket(command, self.runtime.uow(), self.runtime.clock)
        outcome = await deliver_now(interaction.client, self.runtime, moved.notice_id)
        key = "tickets.transferred_dm_closed" if outcome is Delivery.UNREACHABLE else "tickets.transferred"
        await interaction.followup.send(
            t(key, interaction.locale, ticket=moved.card.ticket.id, member=to.mention), ephemeral=True
        )
