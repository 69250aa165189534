"""A ticket as shown at the door: its live QR code, which changes every 30 seconds, with a Refresh button
that works after a restart too. A screenshot of it is stale within a minute."""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, timedelta
from io import BytesIO
from typing import Any

import discord

from bot.i18n import t
from bot.i18n.formatting import stamp
from cogs.notifications._delivery import ticket_embed
from cogs.pictures.qr import qr_png
from cogs.shared.caller import caller_of
from cogs.shared.errors import report
from cogs.shared.runtime import runtime_of
from core.runtime import Runtime
from core.services.tickets import TicketCard, ticket_card
from core.ticket_codes import ROTATING_STEP


async def live_ticket(card: TicketCard, runtime: Runtime, locale: object) -> dict[str, Any]:
    ticket, now = card.ticket, runtime.clock.now()
    static = runtime.codes.issue(ticket.id, card.event.id, ticket.version)
    live = runtime.codes.rotating(ticket.id, ticket.secret, ticket.holder_id, now)
    embed = ticket_embed(card, static, locale)
    elapsed = int(now.replace(tzinfo=UTC).timestamp()) % ROTATING_STEP
    changes = now + timedelta(seconds=ROTATING_STEP - elapsed)
    embed.add_field(
        name=t("ticket.live_code", locale),
        value=t("ticket.live_until", locale, at=stamp(changes, "R")),
        inline=False,
    )
    png = await asyncio.to_thread(qr_png, live)
    view = discord.ui.View(timeout=None)
    view.add_item(RefreshButton(ticket.id, t("ticket.refresh", locale)))
    return {
        "embed": embed,
        "file": discord.File(BytesIO(png), filename=f"ticket-{ticket.id}.png"),
        "view": view,
    }


class RefreshButton(
    discord.ui.DynamicItem[discord.ui.Button[discord.ui.View]], template=r"picket:live:(?P<ticket>\d{1,19})"
):
    """Draws the live code again; only the ticket's holder gets anything from it."""

    def __init__(self, ticket_id: int, label: str = "Refresh") -> None:
        super().__init__(discord.ui.Button(label=label[:80], custom_id=f"picket:live:{ticket_id}"))
        self.ticket_id = ticket_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> RefreshButton:
        return cls(int(match["ticket"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        try:
            await interaction.response.defer()
            runtime = runtime_of(interaction.client)
            card = await ticket_card(self.ticket_id, caller_of(interaction), runtime.uow())
            message = await live_ticket(card, runtime, interaction.locale)
            picture = message.pop("file")
            await interaction.edit_original_response(attachments=[picture], **message)
        except Exception as error:
            await report(interaction, error)
