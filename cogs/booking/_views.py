"""The booking journey as views: pick a section and count, pick seats or take the best, then pay."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import discord

from bot.i18n import language, t
from bot.i18n.formatting import money
from cogs.booking._embeds import cart_embed, picker_embed, receipt_embed
from cogs.notifications import deliver_now
from cogs.shared.caller import caller_of
from cogs.shared.errors import report
from cogs.shared.runtime import runtime_of
from cogs.shared.seatmap import seat_map_file
from cogs.shared.views import PicketView
from core.errors import CartExists, InsufficientFunds, InvalidInput
from core.models import HoldStatus, Seat, SeatStatus
from core.runtime import Runtime
from core.services.booking import (
    BookingStart,
    ConfirmHold,
    HoldSeats,
    HoldView,
    confirm_hold,
    hold_seats,
    open_cart,
    release_hold,
    start_booking,
)
from core.services.outbox import Delivery
from core.services.wallet import balance

MAX_OPTIONS = 25
PAY, RELEASE = "pay", "release"
_CART_STYLES = {PAY: discord.ButtonStyle.success, RELEASE: discord.ButtonStyle.danger}


@dataclass
class Flow:
    """One fan's booking in progress; lives as long as their ephemeral message."""

    runtime: Runtime
    user_id: int
    locale: object
    start: BookingStart
    quantity: int
    section_id: int | None = None

    @property
    def section_name(self) -> str | None:
        return next((s.name for s in self.start.sections if s.section_id == self.section_id), None)

    @property
    def most(self) -> int:
        """As many tickets as the fan may still buy and the event (or the chosen section) still has."""
        start = self.start
        if start.event.is_general_admission:
            free = start.ga_free
        else:
            free = max(
                (s.available for s in start.sections if self.section_id in (None, s.section_id)), default=0
            )
        return max(1, min(start.may_buy, free))

    def free_seats(self) -> list[Seat]:
        return [
            s
            for s in self.start.seats
            if s.section_id == self.section_id and s.status is SeatStatus.AVAILABLE
        ]


async def open_booking(interaction: discord.Interaction, event_id: int, quantity: int) -> None:
    """Shared by /book and the Book buttons: the picker, as an ephemeral message."""
    await interaction.response.defer(ephemeral=True, thinking=True)
    runtime = runtime_of(interaction.client)
    start = await start_booking(event_id, caller_of(interaction), runtime.uow(), runtime.clock)
    flow = Flow(runtime, interaction.user.id, interaction.locale, start, quantity)
    flow.quantity = min(quantity, flow.most)
    picture = seat_map_file(start.event, start.seats, interaction.locale)
    await interaction.followup.send(
        embed=picker_embed(start, flow.locale, flow.quantity, None),
        view=SeatPicker(flow),
        ephemeral=True,
        **({"file": picture} if picture else {}),
    )


def chosen_numbers(interaction: discord.Interaction) -> list[int]:
    """The numbers picked in a select menu; anything else in a forged interaction is refused."""
    values = (interaction.data or {}).get("values") or []
    if not values or not all(isinstance(v, str) and v.isascii() and v.isdigit() for v in values):
        raise InvalidInput()
    return [int(v) for v in values]


class BookingView(PicketView):
    """The booking journey's views: refusals about money name the amount as money."""

    async def on_error(self, interaction: discord.Interaction, error: Exception, item: Any) -> None:
        await report(interaction, _priced(error))


def _priced(error: Exception) -> Exception:
    amount = error.params.get("amount") if isinstance(error, InsufficientFunds) else None
    if not isinstance(error, InsufficientFunds) or not isinstance(amount, int):
        return error
    currency = str(error.params.get("currency") or "KRW")
    return InsufficientFunds(**{**error.params, "amount": money(amount, currency)})


class SeatPicker(BookingView):
    def __init__(self, flow: Flow) -> None:
        super().__init__(flow.user_id)
        self.flow = flow
        locale = flow.locale
        event = flow.start.event
        if not event.is_general_admission:
            options = [
                discord.SelectOption(
                    label=f"{s.name} · {money(s.price, event.currency)}"[:100],
                    description=t("book.free_count", locale, free=s.available)[:100],
                    value=str(s.section_id),
                    default=s.section_id == flow.section_id,
                )
                for s in flow.start.sections
                if s.available > 0
            ][:MAX_OPTIONS]
            section: discord.ui.Select[SeatPicker] = discord.ui.Select(
                placeholder=t("book.pick_section", locale)[:150],
                options=options,
                custom_id="picket:book:section",
                row=0,
            )
            section.callback = self._section_chosen  # type: ignore[method-assign]
            self.add_item(section)
        counts = [
            discord.SelectOption(
                label=t("book.count_option", locale, n=n)[:100], value=str(n), default=n == flow.quantity
            )
            for n in range(1, flow.most + 1)
        ][:MAX_OPTIONS]
        count: discord.ui.Select[SeatPicker] = discord.ui.Select(
            placeholder=t("book.pick_count", locale)[:150],
            options=counts,
            custom_id="picket:book:count",
            row=1,
        )
        count.callback = self._count_chosen  # type: ignore[method-assign]
        self.add_item(count)
        waiting = flow.section_id is None and not event.is_general_admission
        best = discord.ui.Button(
            label=t("book.best_available", locale, n=flow.quantity)[:80],
            style=discord.ButtonStyle.primary,
            custom_id="picket:book:best",
            disabled=waiting,
            row=2,
        )
        best.callback = self._best  # type: ignore[method-assign]
        self.add_item(best)
        if not event.is_general_admission:
            choose = discord.ui.Button(
                label=t("book.choose_seats", locale)[:80],
                custom_id="picket:book:choose",
                disabled=waiting,
                row=2,
            )
            choose.callback = self._choose  # type: ignore[method-assign]
            self.add_item(choose)

    async def _redraw(self, interaction: discord.Interaction) -> None:
        flow = self.flow
        embed = picker_embed(flow.start, flow.locale, flow.quantity, flow.section_name)
        await interaction.response.edit_message(embed=embed, view=SeatPicker(flow))

    async def _section_chosen(self, interaction: discord.Interaction) -> None:
        self.flow.section_id = chosen_numbers(interaction)[0]
        self.flow.quantity = min(self.flow.quantity, self.flow.most)
        await self._redraw(interaction)

    async def _count_chosen(self, interaction: discord.Interaction) -> None:
        self.flow.quantity = chosen_numbers(interaction)[0]
        await self._redraw(interaction)

    async def _best(self, interaction: discord.Interaction) -> None:
        flow = self.flow
        command = HoldSeats(
            flow.start.event.id,
            caller_of(interaction),
            str(interaction.id),
            section_id=flow.section_id,
            quantity=flow.quantity,
        )
        await show_cart(interaction, flow, command)

    async def _choose(self, interaction: discord.Interaction) -> None:
        await interaction.response.edit_message(view=RowPicker(self.flow, None))


class RowPicker(BookingView):
    """Choose a row, then exactly as many seats in it as tickets wanted."""

    def __init__(self, flow: Flow, row: str | None) -> None:
        super().__init__(flow.user_id)
        self.flow = flow
        locale = flow.locale
        free = flow.free_seats()
        rows = sorted({s.row for s in free})
        row_options = [
            discord.SelectOption(label=t("book.row_option", locale, row=r)[:100], value=r, default=r == row)
            for r in rows
        ][:MAX_OPTIONS]
        rows_select: discord.ui.Select[RowPicker] = discord.ui.Select(
            placeholder=t("book.pick_row", locale)[:150],
            options=row_options,
            custom_id="picket:book:row",
            row=0,
        )
        rows_select.callback = self._row_chosen  # type: ignore[method-assign]
        self.add_item(rows_select)
        in_row = [s for s in free if s.row == row][:MAX_OPTIONS]
        if row is not None and len(in_row) >= flow.quantity:
            seat_select: discord.ui.Select[RowPicker] = discord.ui.Select(
                placeholder=t("book.pick_seats", locale, n=flow.quantity)[:150],
                options=[discord.SelectOption(label=s.label[:100], value=str(s.id)) for s in in_row],
                min_values=flow.quantity,
                max_values=flow.quantity,
                custom_id="picket:book:seats",
                row=1,
            )
            seat_select.callback = self._seats_chosen  # type: ignore[method-assign]
            self.add_item(seat_select)
        back = discord.ui.Button(label=t("book.back", locale)[:80], custom_id="picket:book:back", row=2)
        back.callback = self._back  # type: ignore[method-assign]
        self.add_item(back)

    async def _row_chosen(self, interaction: discord.Interaction) -> None:
        row = (interaction.data or {}).get("values", [None])[0]  # type: ignore[union-attr]
        content = None
        if len([s for s in self.flow.free_seats() if s.row == row]) < self.flow.quantity:
            content = t("book.row_too_small", self.flow.locale, row=row, n=self.flow.quantity)
        await interaction.response.edit_message(content=content, view=RowPicker(self.flow, row))

    async def _seats_chosen(self, interaction: discord.Interaction) -> None:
        flow = self.flow
        command = HoldSeats(
            flow.start.event.id,
            caller_of(interaction),
            str(interaction.id),
            seat_ids=tuple(chosen_numbers(interaction)),
        )
        await show_cart(interaction, flow, command)

    async def _back(self, interaction: discord.Interaction) -> None:
        await interaction.response.edit_message(content=None, view=SeatPicker(self.flow))


async def show_cart(interaction: discord.Interaction, flow: Flow, command: HoldSeats) -> None:
    await interaction.response.defer()
    runtime = flow.runtime
    try:
        held = await hold_seats(command, runtime.uow(), runtime.clock)
        content = t("cart.held", flow.locale, minutes=held.event.hold_minutes)
    except CartExists as refused:
        # One cart per event; the fan may have dismissed the message holding it, so show it again.
        hold_id = int(refused.params["hold_id"])
        held = await open_cart(hold_id, caller_of(interaction), runtime.uow(), runtime.clock)
        content = t("error.cart_exists", flow.locale)
    await interaction.edit_original_response(
        content=content,
        embed=cart_embed(held, flow.locale, flow.start.balance),
        view=cart_view(held, flow.user_id, flow.locale),
        attachments=[],
    )


def cart_view(held: HoldView, owner_id: int, locale: object) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    amount = money(held.hold.amount, held.event.currency)
    view.add_item(CartButton(PAY, held.hold.id, owner_id, t("cart.pay", locale, amount=amount)))
    view.add_item(CartButton(RELEASE, held.hold.id, owner_id, t("cart.release", locale)))
    return view


class CartButton(
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

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        if interaction.user.id == self.owner_id:
            return True
        await interaction.response.send_message(
            t("error.not_your_buttons", interaction.locale), ephemeral=True
        )
        return False

    async def callback(self, interaction: discord.Interaction) -> None:
        try:
            if self.action == PAY:
                await self._pay(interaction)
            else:
                await self._release(interaction)
        except Exception as error:
            await report(interaction, _priced(error))

    async def _pay(self, interaction: discord.Interaction) -> None:
        await interaction.response.defer()
        runtime, locale = runtime_of(interaction.client), interaction.locale
        command = ConfirmHold(self.hold_id, caller_of(interaction), str(interaction.id), language(locale))
        order = await confirm_hold(command, runtime.uow(), runtime.clock)
        await interaction.edit_original_response(
            content=t("receipt.sending", locale),
            embed=receipt_embed(order, locale),
            view=None,
            attachments=[],
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
        await interaction.edit_original_response(content=text, embed=None, view=None)


class BookButton(
    discord.ui.DynamicItem[discord.ui.Button[discord.ui.View]], template=r"picket:book:(?P<id>\d+)"
):
    """The public Book button on event posts; it keeps working after a restart."""

    def __init__(self, event_id: int, label: str = "Book") -> None:
        super().__init__(
            discord.ui.Button(
                label=label[:80], style=discord.ButtonStyle.success, custom_id=f"picket:book:{event_id}"
            )
        )
        self.event_id = event_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> BookButton:
        return cls(int(match["id"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        try:
            await open_booking(interaction, self.event_id, 1)
        except Exception as error:
            await report(interaction, error)
