"""Cancelling a ticket asks first: the refund, where it goes and until when cancelling is open."""

from __future__ import annotations

import re
from typing import Any

import discord

from bot import metrics
from bot.i18n import language, t
from bot.i18n.formatting import money, stamp
from cogs.shared.caller import caller_of
from cogs.shared.errors import report
from cogs.shared.runtime import runtime_of
from cogs.shared.text import plain
from cogs.shared.views import OwnersOnly
from core.services.tickets import CancelQuote, CancelTicket, cancel_ticket

YES, NO = "yes", "no"


def cancel_prompt(quote: CancelQuote, owner_id: int, locale: object) -> dict[str, Any]:
    """The question with its two buttons; the answer comes from whichever is pressed."""
    ticket, event = quote.card.ticket, quote.card.event
    key = "tickets.cancel_confirm" if quote.buyer_id == owner_id else "tickets.cancel_confirm_gift"
    content = t(
        key,
        locale,
        ticket=ticket.id,
        title=plain(event.title),
        seat=ticket.seat_label or t("ticket.general_admission", locale),
        amount=money(quote.refund, event.currency),
        deadline=stamp(quote.closes_at, "F"),
    )
    view = discord.ui.View(timeout=None)
    view.add_item(CancelButton(YES, ticket.id, owner_id, t("tickets.cancel_yes", locale)))
    view.add_item(CancelButton(NO, ticket.id, owner_id, t("tickets.cancel_no", locale)))
    return {"content": content, "view": view}


class CancelButton(
    OwnersOnly,
    discord.ui.DynamicItem[discord.ui.Button[discord.ui.View]],
    template=r"picket:tcancel:(?P<action>yes|no):(?P<ticket>\d{1,19}):(?P<owner>\d{1,19})",
):
    """Works after a restart as well: all it needs is in its custom id. Who may cancel is decided in
    core (the ticket's holder); the owner check only spares others a confusing answer."""

    def __init__(self, action: str, ticket_id: int, owner_id: int, label: str = "") -> None:
        style = discord.ButtonStyle.danger if action == YES else discord.ButtonStyle.secondary
        super().__init__(
            discord.ui.Button(
                label=label[:80] or action,
                style=style,
                custom_id=f"picket:tcancel:{action}:{ticket_id}:{owner_id}",
            )
        )
        self.action, self.ticket_id, self.owner_id = action, ticket_id, owner_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> CancelButton:
        return cls(match["action"], int(match["ticket"]), int(match["owner"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        locale = interaction.locale
        try:
            await interaction.response.defer()
            if self.action == NO:
                kept = t("tickets.kept", locale, ticket=self.ticket_id)
                await interaction.edit_original_response(content=kept, view=None)
                return
            runtime = runtime_of(interaction.client)
            command = CancelTicket(self.ticket_id, caller_of(interaction), locale=language(locale))
            refunded = await cancel_ticket(command, runtime.uow(), runtime.clock)
            metrics.REFUNDS.labels("ticket_cancelled").inc()
            key = (
                "tickets.cancelled"
                if refunded.buyer_id == interaction.user.id
                else "tickets.cancelled_buyer_refunded"
            )
            text = t(key, locale, ticket=self.ticket_id, amount=money(refunded.amount))
            await interaction.edit_original_response(content=text, view=None)
        except Exception as error:
            await report(interaction, error)
