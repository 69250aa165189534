"""The cart: seats held for a few minutes, with Pay and Release buttons that work after a restart."""

from __future__ import annotations

import re
from typing import Any

import discord

from bot import metrics
from bot.i18n import language, t
from bot.i18n.formatting import money
from cogs.booking._embeds import cart_embed, receipt_embed
from cogs.notifications import deliver_now
from cogs.shared.caller import caller_of
from cogs.shared.errors import report
from cogs.shared.runtime import runtime_of
from cogs.shared.seatmap import shown_picture
from cogs.shared.views import OwnersOnly
from core.errors import CartExists, InsufficientFunds
from core.models import HoldStatus
from core.services.booking import (
    ConfirmHold,
    HoldSeats,
    HoldView,
    confirm_hold,
    hold_seats,
    open_cart,
    release_hold,
)
from core.services.outbox import Delivery
from core.services.wallet import balance

PAY, RELEASE = "pay", "release"
_CART_STYLES = {PAY: discord.ButtonStyle.success, RELEASE: discord.ButtonStyle.danger}


async def show_cart(interaction: discord.Interaction, command: HoldSeats) -> Exception | None:
    """Holds the seats asked for and turns the picker into the cart; a refusal is said in its place
    and returned, for the picker to follow it."""
    await interaction.response.defer()
    runtime, locale = runtime_of(interaction.client), interaction.locale
    try:
        try:
            held = await hold_seats(command, runtime.uow(), runtime.clock)
            content = t("cart.held", locale, minutes=held.event.hold_minutes)
        except CartExists as refused:
            # One cart per event; the fan may have dismissed the message holding it, so show it again.
            hold_id = int(refused.params["hold_id"])
            held = await open_cart(hold_id, caller_of(interaction), runtime.uow(), runtime.clock)
            content = t("error.cart_exists", locale)
        wallet = held.balance if held.balance is not None else await balance(command.user_id, runtime.uow())
    except Exception as error:
        await report(interaction, priced(error))
        return error
    metrics.HOLDS.inc()
    await interaction.edit_original_response(
        content=content,
        embed=cart_embed(held, locale, wallet, shown_picture(interaction)),
        view=cart_view(held, command.user_id, locale),
    )
    return None


def cart_view(held: HoldView, owner_id: int, locale: object) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    amount = money(held.hold.amount, held.event.currency)
    view.add_item(CartButton(PAY, held.hold.id, owner_id, t("cart.pay", locale, amount=amount)))
    view.add_item(CartButton(RELEASE, held.hold.id, owner_id, t("cart.release", locale)))
    return view


class CartButton(
    OwnersOnly,
    discord.ui.DynamicItem[discord.ui.Button[discord.ui.View]],
    template=r"picket:cart:(?P<action>pay|release):(?P<hold>\d+):(?P<owner>\d+)",
):
    """Pay or Release on a fan's cart. The hold outlives the process, so its buttons must too:
    everything they need is in the custom id, and only the fan who holds the cart may press them."""

    def __init__(self, action: str, hold_id: int, owner_id: int, label: str = "") -> None:
        super().__init__(
            discord.ui.Button(
                label=label[:80] or action,
                style=_CART_STYLES[action],
                custom_id=f"picket:cart:{action}:{hold_id}:{owner_id}",
            )
        )
        self.action, self.hold_id, self.owner_id = action, hold_id, owner_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> CartButton:
        return cls(match["action"], int(match["hold"]), int(match["owner"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        try:
            if self.action == PAY:
                await self._pay(interaction)
            else:
                await self._release(interaction)
        except Exception as error:
            await report(interaction, priced(error))

    async def _pay(self, interaction: discord.Interaction) -> None:
        await interaction.response.defer()
        runtime, locale = runtime_of(interaction.client), interaction.locale
        command = ConfirmHold(self.hold_id, caller_of(interaction), str(interaction.id), language(locale))
        order = await confirm_hold(command, runtime.uow(), runtime.clock)
        metrics.BOOKINGS.inc()
        await interaction.edit_original_response(
            content=t("receipt.sending", locale),
            embed=receipt_embed(order, locale, shown_picture(interaction)),
            view=None,
        )
        outcome = await deliver_now(interaction.client, runtime, order.notice_id)
        key = "receipt.dm_closed" if outcome is Delivery.UNREACHABLE else "receipt.dm_sent"
        if outcome is Delivery.RETRY:
            key = "receipt.dm_later"
        await interaction.edit_original_response(content=t(key, locale))

    async def _release(self, interaction: discord.Interaction) -> None:
        await interaction.response.defer()
        runtime = runtime_of(interaction.client)
        ended = await release_hold(self.hold_id, caller_of(interaction), runtime.uow(), runtime.clock)
        if ended is HoldStatus.CONFIRMED:
            text = t("cart.already_paid", interaction.locale)
        else:
            left = await balance(self.owner_id, runtime.uow())
            text = t("cart.released", interaction.locale, balance=money(left))
        # Any seat-map file stays on the message: other fans' pickers may show its upload.
        await interaction.edit_original_response(content=text, embed=None, view=None)


def priced(error: Exception) -> Exception:
    amount = error.params.get("amount") if isinstance(error, InsufficientFunds) else None
    if not isinstance(error, InsufficientFunds) or not isinstance(amount, int):
        return error
    currency = str(error.params.get("currency") or "KRW")
    return InsufficientFunds(**{**error.params, "amount": money(amount, currency)})
