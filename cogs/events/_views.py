"""Forms and buttons for events: the create form, the organizer's preview, the pager, the Details button."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Any
from zoneinfo import ZoneInfo

import discord

from bot.i18n import t
from cogs.booking._views import BookButton
from cogs.events._embeds import event_embed, list_embed
from cogs.shared.caller import caller_of
from cogs.shared.errors import report
from cogs.shared.runtime import runtime_of
from cogs.shared.seatmap import seat_map, send_with_map
from cogs.shared.views import PicketModal, PicketView
from core.models import EventQuery, Phase
from core.runtime import Runtime
from core.services.events import EventPage, event_details, list_events
from core.timeparse import parse_local


class CreateEventForm(PicketModal):
    """The part of /event create that is free text; the rest came as command options."""

    def __init__(
        self,
        locale: object,
        zone: ZoneInfo,
        on_submit: Callable[[discord.Interaction, dict[str, Any]], Awaitable[None]],
    ):
        super().__init__(title=t("create.form_title", locale)[:45])
        self._on_submit = on_submit
        self.zone = zone
        self.name = discord.ui.TextInput(label=t("create.field.title", locale)[:45], max_length=100)
        self.starts = discord.ui.TextInput(
            label=t("create.field.starts", locale, zone=zone.key)[:45],
            placeholder="2026-12-24 19:30",
            max_length=20,
        )
        self.venue = discord.ui.TextInput(
            label=t("create.field.venue", locale)[:45], max_length=100, required=False
        )
        self.details = discord.ui.TextInput(
            label=t("create.field.description", locale)[:45],
            style=discord.TextStyle.paragraph,
            max_length=1000,
            required=False,
        )
        for item in (self.name, self.starts, self.venue, self.details):
            self.add_item(item)

    async def on_submit(self, interaction: discord.Interaction) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        values = {
            "title": self.name.value,
            "starts_at": parse_local(self.starts.value, self.zone),
            "venue": self.venue.value,
            "description": self.details.value,
        }
        await self._on_submit(interaction, values)


class PreviewView(PicketView):
    """Shown to the organizer under a draft's preview."""

    def __init__(
        self,
        owner_id: int,
        locale: object,
        publish: Callable[[discord.Interaction], Awaitable[None]],
    ) -> None:
        super().__init__(owner_id)
        self._publish = publish
        button: discord.ui.Button[PreviewView] = discord.ui.Button(
            label=t("create.publish", locale)[:80],
            style=discord.ButtonStyle.success,
            custom_id="picket:preview:publish",
        )
        button.callback = self._clicked  # type: ignore[method-assign]
        self.add_item(button)

    async def _clicked(self, interaction: discord.Interaction) -> None:
        await self._publish(interaction)


class EventPager(PicketView):
    """Previous / next buttons under /events; each page is asked of the database again."""

    def __init__(self, runtime: Runtime, page: EventPage, owner_id: int, locale: object) -> None:
        super().__init__(owner_id)
        self.runtime = runtime
        self.page = page
        self.locale = locale
        self.previous: discord.ui.Button[EventPager] = discord.ui.Button(
            label=t("events.previous", locale)[:80], custom_id="picket:events:prev", row=1
        )
        self.next: discord.ui.Button[EventPager] = discord.ui.Button(
            label=t("events.next", locale)[:80], custom_id="picket:events:next", row=1
        )
        self.previous.callback = self._go_previous  # type: ignore[method-assign]
        self.next.callback = self._go_next  # type: ignore[method-assign]
        self.menu = EventMenu(page, locale)
        self.add_item(self.menu)
        if page.pages > 1:
            self.add_item(self.previous)
            self.add_item(self.next)
        self._enable_turns()

    def _enable_turns(self) -> None:
        self.previous.disabled = self.page.page <= 1
        self.next.disabled = self.page.page >= self.page.pages
        self.remove_item(self.menu)
        self.menu = EventMenu(self.page, self.locale)
        self.add_item(self.menu)

    async def _go_previous(self, interaction: discord.Interaction) -> None:
        await self._turn(interaction, -1)

    async def _go_next(self, interaction: discord.Interaction) -> None:
        await self._turn(interaction, +1)

    async def _turn(self, interaction: discord.Interaction, step: int) -> None:
        query: EventQuery = self.page.query
        offset = max(0, query.offset + step * query.limit)
        self.page = await list_events(replace(query, offset=offset), self.runtime.uow(), self.runtime.clock)
        self._enable_turns()
        await interaction.response.edit_message(embed=list_embed(self.page, self.locale), view=self)


class DetailsButton(
    discord.ui.DynamicItem[discord.ui.Button[discord.ui.View]], template=r"picket:show:(?P<id>\d+)"
):
    """On public announcements: shows the event card and seat map to whoever clicks, even after a restart."""

    def __init__(self, event_id: int, label: str = "Details") -> None:
        super().__init__(
            discord.ui.Button(
                label=label[:80], style=discord.ButtonStyle.secondary, custom_id=f"picket:show:{event_id}"
            )
        )
        self.event_id = event_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> DetailsButton:
        return cls(int(match["id"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        await show_event(interaction, self.event_id)


async def show_event(interaction: discord.Interaction, event_id: int) -> None:
    """The event's card and seat map, with a Book button while it can be booked; events of another
    server (a forged id) are not found."""
    try:
        await interaction.response.defer(ephemeral=True, thinking=True)
        runtime = runtime_of(interaction.client)
        caller = caller_of(interaction)
        details = await event_details(event_id, caller, runtime.uow(), runtime.clock)
        phase = details.event.phase(runtime.clock.now())
        picture = await seat_map(
            interaction.client, details.event, details.seats, details.stamp, interaction.locale
        )
        embed = event_embed(details, interaction.locale, phase, picture.url if picture else None)
        extra: dict[str, Any] = {}
        if phase in (Phase.ON_SALE, Phase.SCHEDULED):
            view = discord.ui.View(timeout=None)
            view.add_item(BookButton(event_id, t("event.book_button", interaction.locale)))
            extra["view"] = view
        await send_with_map(interaction, picture, embed=embed, **extra)
    except Exception as error:
        await report(interaction, error)


class EventMenu(discord.ui.DynamicItem[discord.ui.Select[Any]], template=r"picket:events:open"):
    """Under /events: opens one of the listed events (its card, seat map and Book button). The
    events are in the menu's options, so it works after a restart as well."""

    def __init__(self, page: EventPage | None = None, locale: object = None) -> None:
        options = [
            discord.SelectOption(label=f"#{e.id} {e.title}"[:100], value=str(e.id))
            for e in (page.events if page is not None else [])
        ] or [discord.SelectOption(label="-", value="0")]
        select = discord.ui.Select[Any](
            custom_id="picket:events:open",
            placeholder=t("events.open", locale)[:150],
            options=options,
            row=0,
        )
        super().__init__(select)

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> EventMenu:
        return cls()

    async def callback(self, interaction: discord.Interaction) -> None:
        values = (interaction.data or {}).get("values") or []
        value = values[0] if len(values) == 1 and isinstance(values[0], str) else ""
        # Whatever the id says, the card is only shown for an event of this server.
        await show_event(
            interaction, int(value) if value.isascii() and value.isdigit() and len(value) <= 19 else 0
        )
