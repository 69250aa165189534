"""/event (create, publish, edit, show) for organizers and fans, and /events to browse."""

from __future__ import annotations

import logging
from typing import Any
from zoneinfo import ZoneInfo

import discord
from discord import app_commands
from discord.app_commands import locale_str as _
from discord.ext import commands

from bot.i18n import t
from cogs.events._door import DoorCommands
from cogs.events._embeds import event_embed, list_embed
from cogs.events._organizer import OrganizerCommands
from cogs.events._post import post_message
from cogs.events._views import CreateEventForm, DetailsButton, EventPager, PreviewView
from cogs.shared.autocomplete import event_choices
from cogs.shared.caller import caller_of
from cogs.shared.choices import CATEGORY_CHOICES
from cogs.shared.seatmap import seat_map_file
from cogs.shared.text import plain
from cogs.shared.zones import zone_of
from core.models import EventQuery
from core.runtime import Runtime
from core.services.door import change_rules
from core.services.events import (
    CreateEvent,
    EditEvent,
    check_seating,
    create_event,
    edit_event,
    event_details,
    list_events,
    publish_event,
    record_announcement,
)
from core.services.guilds import check_organizer
from core.services.posts import post_state
from core.timeparse import parse_local, parse_local_until

log = logging.getLogger(__name__)

PAGE_SIZE = 5
DOOR_CHOICES = [
    app_commands.Choice(name=_("Live code only", key="choice.door.rotating"), value="rotating"),
    app_commands.Choice(name=_("Live code or the DM's QR code", key="choice.door.static"), value="static"),
]


class EventCog(
    OrganizerCommands,
    DoorCommands,
    commands.GroupCog,
    group_name="event",
    group_description="Post and look at events",
):
    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self._refunding = {}
        super().__init__()

    @app_commands.command(name="create", description=_("Post a new event (organizers)"))
    @app_commands.describe(
        layout=_("Seat layout, e.g. VIP:A-B x 1-10 @ 99000; R:C-J x 1-20 @ 77000"),
        capacity=_("General admission: how many people (instead of a layout)"),
        price=_("General admission ticket price"),
        category=_("What kind of event"),
        sale_opens=_("When ticket sales open, e.g. 2026-12-01 20:00 (default: on publishing)"),
        limit=_("Tickets one fan may buy"),
        queue=_("A waiting room when sales open (default: on for big events)"),
    )
    @app_commands.choices(category=CATEGORY_CHOICES)
    @app_commands.guild_only()
    async def create(
        self,
        interaction: discord.Interaction,
        category: app_commands.Choice[str],
        layout: str | None = None,
        capacity: app_commands.Range[int, 1, 100_000] | None = None,
        price: app_commands.Range[int, 0, 10_000_000] | None = None,
        sale_opens: str | None = None,
        limit: app_commands.Range[int, 1, 10] | None = None,
        queue: bool | None = None,
    ) -> None:
        # Everything that can be refused without the form is refused before it, so no typing is lost;
        # who may post comes first, so a member who may not is not asked to fix their layout.
        config = await check_organizer(caller_of(interaction), self.runtime.uow())
        zone = ZoneInfo(config.zone_name)
        ga_price = price if capacity is not None else None
        check_seating(layout, capacity, ga_price)
        opens_at = parse_local(sale_opens, zone) if sale_opens else None
        options: dict[str, Any] = {
            "category": category.value,
            "layout": layout,
            "ga_capacity": capacity,
            "ga_price": ga_price,
            "sale_opens_at": opens_at,
            "per_user_limit": limit or self.runtime.max_tickets_per_fan,
            "use_queue": queue,
            "queue_from": self.runtime.queue_from,
        }

        async def submitted(modal_interaction: discord.Interaction, values: dict[str, Any]) -> None:
            await self._create(modal_interaction, options | values)

        await interaction.response.send_modal(CreateEventForm(interaction.locale, zone, submitted))

    async def _create(self, interaction: discord.Interaction, values: dict[str, Any]) -> None:
        now = self.runtime.clock.now()
        opens_at = values.pop("sale_opens_at") or now
        caller = caller_of(interaction)
        event = await create_event(
            CreateEvent(
                caller=caller, sale_opens_at=opens_at, hold_minutes=self.runtime.hold_minutes, **values
            ),
            self.runtime.uow(),
            self.runtime.clock,
        )
        details = await event_details(event.id, caller, self.runtime.uow(), self.runtime.clock)

        async def publish(click: discord.Interaction) -> None:
            await self._publish(click, event.id, edit=True)

        picture = await seat_map_file(
            interaction.client, details.event, details.seats, details.stamp, interaction.locale
        )
        await interaction.followup.send(
            content=t("create.preview", interaction.locale),
            embed=event_embed(details, interaction.locale, event.phase(now)),
            view=PreviewView(interaction.user.id, interaction.locale, publish),
            ephemeral=True,
            **({"file": picture} if picture else {}),
        )

    @app_commands.command(name="publish", description=_("Publish your draft event and announce it"))
    @app_commands.describe(event=_("The event"))
    @app_commands.autocomplete(event=event_choices)
    @app_commands.guild_only()
    async def publish(self, interaction: discord.Interaction, event: int) -> None:
        await self._publish(interaction, event, edit=False)

    async def _publish(self, interaction: discord.Interaction, event_id: int, *, edit: bool) -> None:
        await interaction.response.defer(ephemeral=True, thinking=not edit)
        caller = caller_of(interaction)
        result = await publish_event(event_id, caller, self.runtime.uow(), self.runtime.clock)
        where = await self._announce(interaction, result.event.id, result.announce_channel_id, result.newly)
        text = t(
            "publish.done" if result.newly else "publish.already",
            interaction.locale,
            title=plain(result.event.title),
        )
        if where:
            text += "\n" + t("publish.announced", interaction.locale, channel=where)
        if edit:
            # The preview under the button said "draft"; it now shows the event as fans see it.
            details = await event_details(result.event.id, caller, self.runtime.uow(), self.runtime.clock)
            phase = details.event.phase(self.runtime.clock.now())
            await interaction.edit_original_response(
                content=text, embed=event_embed(details, interaction.locale, phase), view=None
            )
        else:
            await interaction.followup.send(text, ephemeral=True)

    async def _announce(
        self, interaction: discord.Interaction, event_id: int, channel_id: int | None, newly: bool
    ) -> str | None:
        """Posts the public card once, after the commit that published the event."""
        if channel_id is None or not newly or interaction.guild is None:
            return None
        channel = interaction.guild.get_channel(channel_id)
        if not isinstance(channel, discord.TextChannel):
            return None
        details = await event_details(
            event_id, caller_of(interaction), self.runtime.uow(), self.runtime.clock
        )
        locale = interaction.guild_locale or interaction.locale
        phase = details.event.phase(self.runtime.clock.now())
        try:
            post = await channel.send(**await post_message(interaction.client, details, phase, locale))
        except discord.HTTPException:
            log.warning("could not announce event %s in channel %s", event_id, channel_id)
            return None
        shown = post_state(details.event, details.sections, details.free, phase)
        await record_announcement(event_id, channel.id, post.id, self.runtime.uow(), shown)
        return channel.mention

    @app_commands.command(name="edit", description=_("Change your event"))
    @app_commands.describe(
        event=_("The event"),
        title=_("New title"),
        description=_("New description"),
        venue=_("New venue"),
        starts=_("New start, e.g. 2026-12-24 19:30"),
        sale_opens=_("New sale opening, e.g. 2026-12-01 20:00"),
        limit=_("New per-fan ticket limit"),
        door=_("Which codes the door takes"),
    )
    @app_commands.choices(door=DOOR_CHOICES)
    @app_commands.autocomplete(event=event_choices)
    @app_commands.guild_only()
    async def edit(
        self,
        interaction: discord.Interaction,
        event: int,
        title: app_commands.Range[str, 1, 100] | None = None,
        description: app_commands.Range[str, 0, 1000] | None = None,
        venue: app_commands.Range[str, 0, 100] | None = None,
        starts: str | None = None,
        sale_opens: str | None = None,
        limit: app_commands.Range[int, 1, 10] | None = None,
        door: app_commands.Choice[str] | None = None,
    ) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        caller, uow = caller_of(interaction), self.runtime.uow
        zone = await zone_of(interaction)
        content = None
        if door is not None:
            await change_rules(event, caller, uow(), static_codes=door.value == "static")
        if door is None or any(v is not None for v in (title, description, venue, starts, sale_opens, limit)):
            updated = await edit_event(
                EditEvent(
                    event_id=event,
                    caller=caller,
                    title=title,
                    description=description,
                    venue=venue,
                    starts_at=parse_local(starts, zone) if starts else None,
                    sale_opens_at=parse_local(sale_opens, zone) if sale_opens else None,
                    per_user_limit=limit,
                ),
                uow(),
                self.runtime.clock,
            )
            content = t("edit.done", interaction.locale, title=plain(updated.title))
        details = await event_details(event, caller, uow(), self.runtime.clock)
        updated = details.event
        if door is not None:
            rule = t(f"door.rule.{door.value}", interaction.locale)
            said = t("door.rules_saved", interaction.locale, title=plain(updated.title), rule=rule)
            content = f"{content}\n{said}" if content else said
        # The card shows its seat map as an attachment, so the picture goes with it.
        picture = await seat_map_file(
            interaction.client, details.event, details.seats, details.stamp, interaction.locale
        )
        await interaction.followup.send(
            content=content,
            embed=event_embed(details, interaction.locale, updated.phase(self.runtime.clock.now())),
            ephemeral=True,
            **({"file": picture} if picture else {}),
        )

    @app_commands.command(name="show", description=_("See an event, its prices and seat map"))
    @app_commands.describe(event=_("The event"))
    @app_commands.autocomplete(event=event_choices)
    @app_commands.guild_only()
    async def show(self, interaction: discord.Interaction, event: int) -> None:
        await DetailsButton(event).callback(interaction)


class EventsListCog(commands.Cog):
    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime

    @app_commands.command(name="events", description=_("Browse upcoming events in this server"))
    @app_commands.describe(
        category=_("Only this kind of event"),
        starts_from=_("From this date, e.g. 2026-12-01"),
        starts_to=_("Up to this date, e.g. 2026-12-31"),
        keyword=_("A word in the title or venue"),
    )
    @app_commands.choices(category=CATEGORY_CHOICES)
    @app_commands.guild_only()
    async def events(
        self,
        interaction: discord.Interaction,
        category: app_commands.Choice[str] | None = None,
        starts_from: str | None = None,
        starts_to: str | None = None,
        keyword: app_commands.Range[str, 1, 100] | None = None,
    ) -> None:
        assert interaction.guild_id is not None
        await interaction.response.defer(ephemeral=True, thinking=True)
        zone = await zone_of(interaction)
        query = EventQuery(
            guild_id=interaction.guild_id,
            category=category.value if category else None,
            starts_from=parse_local(starts_from, zone) if starts_from else None,
            starts_to=parse_local_until(starts_to, zone) if starts_to else None,
            keyword=keyword,
            limit=PAGE_SIZE,
        )
        page = await list_events(query, self.runtime.uow(), self.runtime.clock)
        # A menu to open any listed event; page buttons only when there is somewhere to go.
        extra: dict[str, Any] = {}
        if page.events:
            extra["view"] = EventPager(self.runtime, page, interaction.user.id, interaction.locale)
        await interaction.followup.send(embed=list_embed(page, interaction.locale), ephemeral=True, **extra)
