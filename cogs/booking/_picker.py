"""The seat picker. Every menu and button carries its whole state in its custom id (event, section,
quantity, row), so a click is answered however soon it comes after the message, after a restart too,
and every click draws the picker again from the seats as they are now."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, replace
from typing import Any, Self

import discord

from bot.i18n import language, t
from bot.i18n.formatting import money
from cogs.booking._cart import show_cart
from cogs.booking._embeds import picker_embed
from cogs.booking._waiting import waiting_messages_of
from cogs.shared.caller import caller_of
from cogs.shared.errors import message_for, report
from cogs.shared.replies import prepared
from cogs.shared.runtime import runtime_of
from cogs.shared.seatmap import SeatMap, seat_map, send_with_map, shown_picture
from core.errors import InvalidInput, SeatUnavailable
from core.services.booking import BookingStart, HoldSeats, start_booking
from core.services.queue import InWaitingRoom

log = logging.getLogger(__name__)

MAX_OPTIONS = 25


@dataclass(frozen=True)
class Pick:
    """Where a fan is in the picker: the event, a section (0: none yet), how many, a row."""

    event_id: int
    section_id: int = 0
    quantity: int = 1
    row: str = ""


def picker(
    start: BookingStart, pick: Pick, locale: object, picture: str | None = None
) -> tuple[discord.Embed, discord.ui.View]:
    """The picker for these seats as they stand now."""
    event = start.event
    pick = replace(pick, quantity=min(pick.quantity, start.most(pick.section_id)))
    section = next((s for s in start.sections if s.section_id == pick.section_id), None)
    embed = picker_embed(start, locale, pick.quantity, section.name if section else None, picture)
    view = discord.ui.View(timeout=None)
    if not event.is_general_admission:
        options = [
            discord.SelectOption(
                label=f"{s.name} · {money(s.price, event.currency)}"[:100],
                description=t("book.free_count", locale, free=s.available)[:100],
                value=str(s.section_id),
                default=s.section_id == pick.section_id,
            )
            for s in start.sections
            if s.available > 0
        ][:MAX_OPTIONS]
        view.add_item(SectionMenu(pick, options, t("book.pick_section", locale)))
    counts = [
        discord.SelectOption(
            label=t("book.count_option", locale, n=n)[:100], value=str(n), default=n == pick.quantity
        )
        for n in range(1, start.most(pick.section_id) + 1)
    ][:MAX_OPTIONS]
    view.add_item(CountMenu(pick, counts, t("book.pick_count", locale)))
    waiting = not pick.section_id and not event.is_general_admission
    view.add_item(BestButton(pick, t("book.best_available", locale, n=pick.quantity), waiting))
    if not event.is_general_admission:
        view.add_item(ChooseButton(pick, t("book.choose_seats", locale), waiting))
    return embed, view


def row_picker(start: BookingStart, pick: Pick, locale: object) -> discord.ui.View:
    """Choose a row, then exactly as many seats in it as tickets wanted: only seats free now."""
    free = start.free_seats(pick.section_id)
    view = discord.ui.View(timeout=None)
    rows = [
        discord.SelectOption(label=t("book.row_option", locale, row=r)[:100], value=r, default=r == pick.row)
        for r in sorted({s.row for s in free})
    ][:MAX_OPTIONS]
    if rows:
        view.add_item(RowMenu(pick, rows, t("book.pick_row", locale)))
    in_row = [s for s in free if s.row == pick.row][:MAX_OPTIONS]
    if pick.row and len(in_row) >= pick.quantity:
        options = [discord.SelectOption(label=s.label[:100], value=str(s.id)) for s in in_row]
        view.add_item(SeatMenu(pick, options, t("book.pick_seats", locale, n=pick.quantity)))
    view.add_item(BackButton(pick, t("book.back", locale)))
    return view


async def open_booking(interaction: discord.Interaction, event_id: int, quantity: int) -> None:
    """Shared by /book and the Book buttons: the picker, as an ephemeral message with the seat map; for
    a fan whose turn has not come, their place in the waiting room, kept current."""
    try:
        start, picture = await prepared(interaction, _start(interaction, event_id))
    except InWaitingRoom as waiting:
        await report(interaction, waiting)
        shown = message_for(waiting, interaction.locale) or ""
        waiting_messages_of(interaction.client).watch(
            interaction, event_id, str(waiting.params["event"]), shown
        )
        return
    shown = picture.url if picture is not None else None
    embed, view = picker(start, Pick(event_id, quantity=quantity), interaction.locale, shown)
    allowed = start.most()
    message: dict[str, Any] = {"embed": embed, "view": view}
    if quantity > allowed:
        message["content"] = t("book.quantity_lowered", interaction.locale, asked=quantity, n=allowed)
    await send_with_map(interaction, picture, **message)


async def _start(interaction: discord.Interaction, event_id: int) -> tuple[BookingStart, SeatMap | None]:
    start = await _seats_now(interaction, event_id)
    picture = await seat_map(interaction.client, start.event, start.seats, start.stamp, interaction.locale)
    return start, picture


async def _seats_now(interaction: discord.Interaction, event_id: int) -> BookingStart:
    runtime = runtime_of(interaction.client)
    return await start_booking(
        event_id,
        caller_of(interaction),
        runtime.uow(),
        runtime.clock,
        locale=language(interaction.locale),
        queue=runtime.queue,
    )


async def redraw(interaction: discord.Interaction, pick: Pick, *, rows: bool = False) -> None:
    """Draws the picker (or its row picker) again from the seats as they are now."""
    await interaction.response.defer()
    start = await _seats_now(interaction, pick.event_id)
    embed, view = picker(start, pick, interaction.locale, shown_picture(interaction))
    content = None
    if rows:
        view = row_picker(start, pick, interaction.locale)
        free_in_row = [s for s in start.free_seats(pick.section_id) if s.row == pick.row]
        if pick.row and len(free_in_row) < pick.quantity:
            content = t("book.row_too_small", interaction.locale, row=pick.row, n=pick.quantity)
    await interaction.edit_original_response(content=content, embed=embed, view=view)


def chosen(interaction: discord.Interaction) -> list[str]:
    """What was picked in a select menu; a forged interaction without a choice is refused."""
    values = (interaction.data or {}).get("values") or []
    if not values or not all(isinstance(v, str) for v in values):
        raise InvalidInput()
    return [str(v) for v in values]


def numbers(values: list[str]) -> list[int]:
    if not all(v.isascii() and v.isdigit() and len(v) <= 19 for v in values):
        raise InvalidInput()
    return [int(v) for v in values]


_PICK = r"(?P<event>\d{1,19}):(?P<section>\d{1,19}):(?P<quantity>\d{1,2})"


def _pick(match: re.Match[str]) -> Pick:
    row = match.groupdict().get("row") or ""
    return Pick(int(match["event"]), int(match["section"]), int(match["quantity"]), row)


def _id(kind: str, pick: Pick) -> str:
    return f"picket:{kind}:{pick.event_id}:{pick.section_id}:{pick.quantity}"


class _PickerItem:
    """What every picker item shares: it is rebuilt from its custom id alone, and says an error in the
    fan's words."""

    pick: Pick

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> Self:
        # Every picker item is made from its pick alone (the rest of its arguments have defaults).
        return cls(_pick(match))  # type: ignore[call-arg]

    async def act(self, interaction: discord.Interaction) -> None:
        raise NotImplementedError

    async def callback(self, interaction: discord.Interaction) -> None:
        try:
            await self.act(interaction)
        except Exception as error:
            await report(interaction, error)


async def _redraw_after(interaction: discord.Interaction, pick: Pick) -> None:
    """After "those seats are gone": the picker as the seats are now (counts, what Best available can
    still find, only free seats to choose), so the fan's next press can work."""
    try:
        start = await _seats_now(interaction, pick.event_id)
        embed, view = picker(start, replace(pick, row=""), interaction.locale, shown_picture(interaction))
        await interaction.edit_original_response(content=None, embed=embed, view=view)
    except Exception:
        # The refusal was said already; a picker that cannot be drawn again stays as it was.
        log.info("could not redraw the picker of event %s", pick.event_id, exc_info=True)


def _menu(
    custom_id: str, options: list[discord.SelectOption] | None, placeholder: str, row: int, n: int = 1
) -> discord.ui.Select[Any]:
    return discord.ui.Select(
        custom_id=custom_id,
        options=options or [],
        placeholder=placeholder[:150] or None,
        min_values=n,
        max_values=n,
        row=row,
    )


class SectionMenu(
    _PickerItem, discord.ui.DynamicItem[discord.ui.Select[Any]], template=rf"picket:sec:{_PICK}"
):
    def __init__(
        self, pick: Pick, options: list[discord.SelectOption] | None = None, placeholder: str = ""
    ) -> None:
        super().__init__(_menu(_id("sec", pick), options, placeholder, row=0))
        self.pick = pick

    async def act(self, interaction: discord.Interaction) -> None:
        [section] = numbers(chosen(interaction))
        await redraw(interaction, replace(self.pick, section_id=section))


class CountMenu(_PickerItem, discord.ui.DynamicItem[discord.ui.Select[Any]], template=rf"picket:qty:{_PICK}"):
    def __init__(
        self, pick: Pick, options: list[discord.SelectOption] | None = None, placeholder: str = ""
    ) -> None:
        super().__init__(_menu(_id("qty", pick), options, placeholder, row=1))
        self.pick = pick

    async def act(self, interaction: discord.Interaction) -> None:
        [quantity] = numbers(chosen(interaction))
        await redraw(interaction, replace(self.pick, quantity=quantity))


class BestButton(
    _PickerItem, discord.ui.DynamicItem[discord.ui.Button[Any]], template=rf"picket:best:{_PICK}"
):
    def __init__(self, pick: Pick, label: str = "Best available", disabled: bool = False) -> None:
        button = discord.ui.Button[Any](
            label=label[:80],
            style=discord.ButtonStyle.primary,
            custom_id=_id("best", pick),
            disabled=disabled,
            row=2,
        )
        super().__init__(button)
        self.pick = pick

    async def act(self, interaction: discord.Interaction) -> None:
        pick = self.pick
        section = pick.section_id or None
        command = HoldSeats(
            pick.event_id,
            caller_of(interaction),
            str(interaction.id),
            section_id=section,
            quantity=pick.quantity,
            queue=runtime_of(interaction.client).queue,
        )
        if isinstance(await show_cart(interaction, command), SeatUnavailable):
            await _redraw_after(interaction, pick)


class ChooseButton(
    _PickerItem, discord.ui.DynamicItem[discord.ui.Button[Any]], template=rf"picket:rows:{_PICK}"
):
    def __init__(self, pick: Pick, label: str = "Choose seats", disabled: bool = False) -> None:
        button = discord.ui.Button[Any](
            label=label[:80], custom_id=_id("rows", pick), disabled=disabled, row=2
        )
        super().__init__(button)
        self.pick = pick

    async def act(self, interaction: discord.Interaction) -> None:
        await redraw(interaction, self.pick, rows=True)


class RowMenu(_PickerItem, discord.ui.DynamicItem[discord.ui.Select[Any]], template=rf"picket:row:{_PICK}"):
    def __init__(
        self, pick: Pick, options: list[discord.SelectOption] | None = None, placeholder: str = ""
    ) -> None:
        super().__init__(_menu(_id("row", pick), options, placeholder, row=0))
        self.pick = pick

    async def act(self, interaction: discord.Interaction) -> None:
        [row] = chosen(interaction)
        if not (row.isascii() and row.isalpha() and len(row) <= 2):
            raise InvalidInput()
        await redraw(interaction, replace(self.pick, row=row.upper()), rows=True)


class SeatMenu(
    _PickerItem,
    discord.ui.DynamicItem[discord.ui.Select[Any]],
    template=rf"picket:seat:{_PICK}:(?P<row>[A-Za-z]{{1,2}})",
):
    def __init__(
        self, pick: Pick, options: list[discord.SelectOption] | None = None, placeholder: str = ""
    ) -> None:
        custom_id = f"{_id('seat', pick)}:{pick.row}"
        super().__init__(_menu(custom_id, options, placeholder, 1, pick.quantity))
        self.pick = pick

    async def act(self, interaction: discord.Interaction) -> None:
        seats = tuple(numbers(chosen(interaction)))
        command = HoldSeats(
            self.pick.event_id,
            caller_of(interaction),
            str(interaction.id),
            seat_ids=seats,
            queue=runtime_of(interaction.client).queue,
        )
        if isinstance(await show_cart(interaction, command), SeatUnavailable):
            # Back to the section's picker as it is now, rather than a seat list with a gone seat.
            await _redraw_after(interaction, self.pick)


class BackButton(
    _PickerItem, discord.ui.DynamicItem[discord.ui.Button[Any]], template=rf"picket:back:{_PICK}"
):
    def __init__(self, pick: Pick, label: str = "Back") -> None:
        button = discord.ui.Button[Any](label=label[:80], custom_id=_id("back", pick), row=2)
        super().__init__(button)
        self.pick = pick

    async def act(self, interaction: discord.Interaction) -> None:
        await redraw(interaction, replace(self.pick, row=""))


PICKER_ITEMS = (SectionMenu, CountMenu, BestButton, ChooseButton, RowMenu, SeatMenu, BackButton)
