from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from datetime import datetime

from core.clock import Clock
from core.errors import EventNotEditable, EventNotFound, InvalidEvent, NotYourEvent
from core.layout import SectionSpec, parse_layout
from core.models import CATEGORIES, Event, EventQuery, EventStatus, Seat, SectionAvailability
from core.ports import NewEvent, UnitOfWork
from core.retry import retrying
from core.services.guilds import require_organizer

MAX_PER_USER = 10
MAX_GA_CAPACITY = 100_000


@dataclass(frozen=True)
class CreateEvent:
    guild_id: int
    organizer_id: int
    title: str
    starts_at: datetime
    sale_opens_at: datetime
    layout: str | None = None
    ga_capacity: int | None = None
    ga_price: int | None = None
    description: str = ""
    venue: str = ""
    category: str = "concert"
    per_user_limit: int = 4
    hold_minutes: int = 10
    currency: str = "KRW"
    refund_cutoff_hours: int = 24
    use_queue: bool = False
    # The member's roles, checked against the server's organizer role. None is a trusted caller
    # inside Picket (seeding the sandbox, tests), never a Discord member.
    actor_role_ids: frozenset[int] | None = None


@dataclass(frozen=True)
class EventDetails:
    event: Event
    sections: list[SectionAvailability]
    ga_taken: int
    seats: list[Seat]

    @property
    def free(self) -> int:
        if self.event.ga_capacity is not None:
            return self.event.ga_capacity - self.ga_taken
        return sum(s.available for s in self.sections)


@dataclass(frozen=True)
class EditEvent:
    """Changes to an event; None leaves a field as it is."""

    event_id: int
    organizer_id: int
    title: str | None = None
    description: str | None = None
    venue: str | None = None
    category: str | None = None
    starts_at: datetime | None = None
    sale_opens_at: datetime | None = None
    per_user_limit: int | None = None


@dataclass(frozen=True)
class EventPage:
    events: list[Event]
    total: int
    query: EventQuery

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.query.limit))

    @property
    def page(self) -> int:
        return self.query.offset // self.query.limit + 1


def check_seating(layout: str | None, ga_capacity: int | None, ga_price: int | None) -> list[SectionSpec]:
    """The seating an event is created with: a layout, or a general-admission capacity and price.

    It needs nothing but the organizer's options, so /event create asks it before showing the form.
    """
    if (layout is None) == (ga_capacity is None):
        raise InvalidEvent(reason="layout_or_capacity")
    if ga_capacity is not None:
        if not 1 <= ga_capacity <= MAX_GA_CAPACITY:
            raise InvalidEvent(reason="capacity", maximum=MAX_GA_CAPACITY)
        if ga_price is None or ga_price < 0:
            raise InvalidEvent(reason="price")
    return parse_layout(layout) if layout is not None else []


def _validate(cmd: CreateEvent, now: datetime) -> list[SectionSpec]:
    if not cmd.title.strip() or len(cmd.title) > 100:
        raise InvalidEvent(reason="title")
    if cmd.starts_at <= now:
        raise InvalidEvent(reason="starts_in_past")
    if cmd.sale_opens_at >= cmd.starts_at:
        raise InvalidEvent(reason="sale_after_start")
    if not 1 <= cmd.per_user_limit <= MAX_PER_USER:
        raise InvalidEvent(reason="per_user_limit", maximum=MAX_PER_USER)
    if not 1 <= cmd.hold_minutes <= 30:
        raise InvalidEvent(reason="hold_minutes")
    if cmd.category not in CATEGORIES:
        raise InvalidEvent(reason="category")
    return check_seating(cmd.layout, cmd.ga_capacity, cmd.ga_price)


@retrying
async def create_event(cmd: CreateEvent, uow: UnitOfWork, clock: Clock) -> Event:
    now = clock.now()
    sections = _validate(cmd, now)
    async with uow:
        if cmd.actor_role_ids is not None:
            await require_organizer(uow, cmd.guild_id, cmd.actor_role_ids)
        event_id = await uow.events.add(
            NewEvent(
                guild_id=cmd.guild_id,
                organizer_id=cmd.organizer_id,
                title=cmd.title.strip(),
                description=cmd.description.strip(),
                venue=cmd.venue.strip(),
                category=cmd.category,
                starts_at=cmd.starts_at,
                sale_opens_at=cmd.sale_opens_at,
                per_user_limit=cmd.per_user_limit,
                hold_minutes=cmd.hold_minutes,
                currency=cmd.currency,
                ga_capacity=cmd.ga_capacity,
                ga_price=cmd.ga_price,
                refund_cutoff_hours=cmd.refund_cutoff_hours,
                created_at=now,
                use_queue=cmd.use_queue,
            )
        )
        if sections:
            await uow.seats.add_layout(event_id, sections)
        event = await uow.events.get(event_id)
        await uow.commit()
    assert event is not None
    return event


@dataclass(frozen=True)
class Published:
    event: Event
    announce_channel_id: int | None
    newly: bool


@retrying
async def publish_event(
    event_id: int,
    organizer_id: int,
    uow: UnitOfWork,
    clock: Clock,
    actor_role_ids: frozenset[int] | None = None,
) -> Published:
    """``actor_role_ids`` as in CreateEvent: a member who lost the organizer role publishes no more."""
    async with uow:
        event = await owned_event(uow, event_id, organizer_id)
        config = await uow.guilds.get(event.guild_id)
        channel = config.announce_channel_id if config else None
        if event.status is not EventStatus.DRAFT:
            return Published(event, channel, newly=False)
        if actor_role_ids is not None:
            await require_organizer(uow, event.guild_id, actor_role_ids)
        if event.starts_at <= clock.now():
            raise InvalidEvent(reason="starts_in_past")
        # Only the request that moves the draft announces it, however many clicks arrive together.
        if not await uow.events.set_status(event_id, EventStatus.PUBLISHED, only_from=EventStatus.DRAFT):
            return Published(replace(event, status=EventStatus.PUBLISHED), channel, newly=False)
        await uow.commit()
    return Published(replace(event, status=EventStatus.PUBLISHED), channel, newly=True)


@retrying
async def event_details(event_id: int, viewer_id: int, uow: UnitOfWork, clock: Clock) -> EventDetails:
    """Drafts are visible to their organizer only; to anyone else they do not exist."""
    now = clock.now()
    async with uow:
        event = await _visible(uow, event_id, viewer_id)
        if event.is_general_admission:
            return EventDetails(event, [], await uow.general_admission.taken(event_id), [])
        sections = await uow.seats.availability(event_id, now)
        seats = await uow.seats.seat_map(event_id, now)
    return EventDetails(event, sections, 0, seats)


async def _visible(uow: UnitOfWork, event_id: int, viewer_id: int) -> Event:
    event = await uow.events.get(event_id)
    if event is None or (event.status is EventStatus.DRAFT and event.organizer_id != viewer_id):
        raise EventNotFound(event_id=event_id)
    return event


async def owned_event(uow: UnitOfWork, event_id: int, organizer_id: int) -> Event:
    # Someone else's draft does not exist for this member: refusing it by title would reveal it.
    event = await _visible(uow, event_id, organizer_id)
    if event.organizer_id != organizer_id:
        raise NotYourEvent(event=event.title)
    return event


# Once a ticket is sold, fans bought on these terms: only the wording may still change.
ALWAYS_EDITABLE = frozenset({"title", "description", "venue", "category"})


@retrying
async def edit_event(cmd: EditEvent, uow: UnitOfWork, clock: Clock) -> Event:
    now = clock.now()
    changes = {
        k: v for k, v in asdict(cmd).items() if v is not None and k not in ("event_id", "organizer_id")
    }
    if not changes:
        raise InvalidEvent(reason="nothing_to_change")
    async with uow:
        event = await owned_event(uow, cmd.event_id, cmd.organizer_id)
        if event.status is EventStatus.CANCELLED:
            raise EventNotEditable(event=event.title, fields=tuple(sorted(changes)), reason="cancelled")
        locked = set(changes) - ALWAYS_EDITABLE
        if locked and await uow.events.tickets_sold(event.id) > 0:
            raise EventNotEditable(event=event.title, fields=tuple(sorted(locked)))
        merged = replace(event, **changes)
        _check_edit(merged, changes, now)
        if "title" in changes:
            changes["title"] = changes["title"].strip()
        await uow.events.update(event.id, changes)
        updated = await uow.events.get(event.id)
        await uow.commit()
    assert updated is not None
    return updated


def _check_edit(event: Event, changes: dict[str, object], now: datetime) -> None:
    if "title" in changes and (not event.title.strip() or len(event.title) > 100):
        raise InvalidEvent(reason="title")
    if "category" in changes and event.category not in CATEGORIES:
        raise InvalidEvent(reason="category")
    if "starts_at" in changes and event.starts_at <= now:
        raise InvalidEvent(reason="starts_in_past")
    if event.sale_opens_at >= event.starts_at:
        raise InvalidEvent(reason="sale_after_start")
    if not 1 <= event.per_user_limit <= MAX_PER_USER:
        raise InvalidEvent(reason="per_user_limit", maximum=MAX_PER_USER)


@retrying
async def list_events(query: EventQuery, uow: UnitOfWork, clock: Clock) -> EventPage:
    if query.keyword is not None and len(query.keyword) > 100:
        raise InvalidEvent(reason="keyword")
    # The range's end is exclusive, so an end at its start leaves nothing to find.
    if query.starts_from and query.starts_to and query.starts_to <= query.starts_from:
        raise InvalidEvent(reason="date_range")
    async with uow:
        events, total = await uow.events.upcoming(query, clock.now())
    return EventPage(events, total, query)


@retrying
async def search_events(
    guild_id: int, viewer_id: int, text: str, uow: UnitOfWork, clock: Clock, limit: int = 25
) -> list[Event]:
    text = text.strip()[:100]
    now = clock.now()
    async with uow:
        found = await uow.events.search(guild_id, viewer_id, text, now, limit)
        # /events lists events by number (`#12`), so a fan may type the number instead of the title.
        number = text.removeprefix("#")
        if number.isascii() and number.isdigit() and len(number) <= 18:
            event = await uow.events.get(int(number))
            if (
                event is not None
                and event.guild_id == guild_id
                and _listed(event, viewer_id, now)
                and all(e.id != event.id for e in found)
            ):
                found = [event, *found][:limit]
    return found


def _listed(event: Event, viewer_id: int, now: datetime) -> bool:
    if event.status is EventStatus.DRAFT:
        return event.organizer_id == viewer_id
    return event.status is EventStatus.PUBLISHED and event.starts_at > now
