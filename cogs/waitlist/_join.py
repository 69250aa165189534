"""Joining the waitlist, from /waitlist join or from the Join button offered where booking says sold out."""

from __future__ import annotations

import re
from typing import Any

import discord

from bot.i18n import language, t
from bot.i18n.formatting import money
from cogs.shared.caller import caller_of
from cogs.shared.errors import report
from cogs.shared.runtime import runtime_of
from cogs.shared.text import plain
from core.errors import SoldOut
from core.services.waitlist import InLine, JoinWaitlist, join_waitlist


def joined_text(place: InLine, locale: object) -> str:
    entry, event = place.entry, place.event
    return t(
        "waitlist.joined",
        locale,
        title=plain(event.title),
        place=place.place,
        n=entry.quantity,
        escrow=money(entry.escrow, event.currency),
        most=money(entry.max_price, event.currency),
    )


async def join_and_tell(
    interaction: discord.Interaction,
    event_id: int,
    quantity: int,
    section_id: int | None = None,
    max_price: int | None = None,
) -> None:
    runtime = runtime_of(interaction.client)
    command = JoinWaitlist(
        event_id,
        caller_of(interaction),
        # The interaction's id: a double click or a retried request finds the place it already made.
        str(interaction.id),
        quantity=quantity,
        section_id=section_id,
        max_price=max_price,
        locale=language(interaction.locale),
    )
    place = await join_waitlist(command, runtime.uow(), runtime.clock, runtime.waitlist_close_hours)
    await interaction.followup.send(joined_text(place, interaction.locale), ephemeral=True)


class JoinButton(
    discord.ui.DynamicItem[discord.ui.Button[discord.ui.View]],
    template=r"picket:wait:(?P<event>\d{1,19}):(?P<quantity>\d{1,2})",
):
    """Join the waitlist for any section; everything it needs is in its custom id, which core checks
    like any other request (the event, the member, the quantity)."""

    def __init__(self, event_id: int, quantity: int = 1, label: str = "Join waitlist") -> None:
        super().__init__(
            discord.ui.Button(
                label=label[:80],
                style=discord.ButtonStyle.primary,
                custom_id=f"picket:wait:{event_id}:{quantity}",
            )
        )
        self.event_id, self.quantity = event_id, quantity

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> JoinButton:
        return cls(int(match["event"]), int(match["quantity"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        try:
            await interaction.response.defer(ephemeral=True, thinking=True)
            await join_and_tell(interaction, self.event_id, self.quantity)
        except Exception as error:
            await report(interaction, error)


def join_offer(error: BaseException, locale: object) -> discord.ui.View | None:
    """Beside "sold out": a button that puts the fan on the event's waitlist."""
    if not isinstance(error, SoldOut) or "event_id" not in error.params:
        return None
    view = discord.ui.View(timeout=None)
    view.add_item(JoinButton(int(error.params["event_id"]), label=t("waitlist.join_button", locale)))
    return view
