from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime, timedelta

from core import text
from core.availability import Availability
from core.caller import Caller, in_scope, valid_id
from core.clock import Clock
from core.errors import EventNotEditable, EventNotFound, InvalidEvent, InvalidLayout, NotYourEvent
from core.layout import MAX_PRICE, SectionSpec, parse_layout
from core.models import CATEGORIES, Event, EventQuery, EventStatus, Seat, SectionAvailability
from core.ports import NewEvent, UnitOfWork
from core.retry import retrying
from core.services.alerts import ALERT_KINDS
from core.services.guilds import require_organizer
from core.services.showing import changed, seen_now

MAX_PER_USER = 10
MAX_GA_CAPACITY = 100_000
MAX_REFUND_CUTOFF_HOURS = 24 * 30
# How far ahead an event may be, and how stale a sale opening may be typed; beyond both lies a typo.
MAX_AHEAD = timedelta(days=5 * 365)
SALE_PAST_GRACE = timedelta(days=1)
# Far past any listing a server could have; beyond it a page number is made up.
MAX_OFFSET = 100_000


@dataclass(frozen=True)
class CreateEvent:
    caller: Caller
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
    # None: a waiting room when the event holds at least ``queue_from`` people.
    use_queue: bool | None = False
    queue_from: int = 5000


@dataclass(frozen=True)
class EventDetails:
    event: Event
    sections: list[SectionAvailability]
    ga_taken: int
    seats: list[Seat]
    stamp: int = 0  # names the reading of the seats, for pictures drawn from it

    @property
    def free(self) -> int:
        if self.event.ga_capacity is not None:
            return self.event.ga_capacity - self.ga_taken
        return sum(s.available for s in self.sections)


@dataclass(frozen=True)
class EditEvent:
    """Changes to an event; None leaves a field as it is."""

    event_id: int
    caller: Caller
    title: str | None = None
    description: str | None = None
    venue: str | None = None
    category: str | None = None
    starts_at: datetime | None = None
    sale_opens_at: datetime | None = None
    per_user_limit: int | None = None


@dataclass(frozen=True)
class Offer:
    """What a fan can buy of an event at a glance: its price range and free seats."""

    low: int
    high: int
    free: int


def offer_of(seen: Availability) -> Offer | None:
    event = seen.event
    if event is None:
        return None
    if event.ga_capacity is not None:
        price = event.ga_price or 0
        return Offer(price, price, seen.free)
    prices = [s.price for s in seen.sections] or [0]
    return Offer(min(prices), max(prices), seen.free)


@dataclass(frozen=True)
class EventPage:
    events: list[Event]
    total: int
    query: EventQuery
    offers: dict[int, Offer] = field(default_factory=dict)

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
    if ga_price is not None and not 0 <= ga_price <= MAX_PRICE:
        raise InvalidEvent(reason="price")
    if ga_capacity is not None:
        if not 1 <= ga_capacity <= MAX_GA_CAPACITY:
            raise InvalidEvent(reason="capacity", maximum=MAX_GA_CAPACITY)
        if ga_price is None:
            raise InvalidEvent(reason="price")
    if layout is None:
        return []
    too_long = InvalidLayout(part=0, text=layout[:40], reason="too_long", maximum=text.LAYOUT)
    return parse_layout(text.clean(layout, text.LAYOUT, too_long))


@dataclass(frozen=True)
class Wording:
    title: str
    description: str
    venue: str


def _wording(title: str, description: str, venue: str) -> Wording:
    title = text.clean(title, text.TITLE, InvalidEvent(reason="title"))
    if not title:
        raise InvalidEvent(reason="title")
    return Wording(
        title,
        text.clean(description, text.DESCRIPTION, InvalidEvent(reason="description"), multiline=True),
        text.clean(venue, text.VENUE, InvalidEvent(reason="venue")),
    )


def _check_times(starts_at: datetime, sale_opens_at: datetime, now: datetime) -> None:
    if starts_at <= now:
        raise InvalidEvent(reason="starts_in_past")
    if starts_at > now + MAX_AHEAD:
        raise InvalidEvent(reason="too_far")
    if sale_opens_at < now - SALE_PAST_GRACE:
        raise InvalidEvent(reason="sale_in_past")


def _validate(cmd: CreateEvent, now: datetime) -> list[SectionSpec]:
    _check_times(cmd.starts_at, cmd.sale_opens_at, now)
    if cmd.sale_opens_at >= cmd.starts_at:
        raise InvalidEvent(reason="sale_after_start")
    if not 1 <= cmd.per_user_limit <= MAX_PER_USER:
        raise InvalidEvent(reason="per_user_limit", maximum=MAX_PER_USER)
    if not 1 <= cmd.hold_minutes <= 30:
        raise InvalidEvent(reason="hold_minutes")
    if cmd.category not in CATEGORIES:
        raise InvalidEvent(reason="category")
    if not 0 <= cmd.refund_cutoff_hours <= MAX_REFUND_CUTOFF_HOURS:
        raise InvalidEvent(reason="refund_cutoff")
    return check_seating(cmd.layout, cmd.ga_capacity, cmd.ga_price)


@retrying
async def create_event(cmd: CreateEvent, uow: UnitOfWork, clock: Clock) -> Event:
    now = clock.now()
    async with uow:
        # Who may post comes first, so a member who may not is not asked to fix their layout.
        await require_organizer(uow, cmd.caller)
        words = _wording(cmd.title, cmd.description, cmd.venue)
        sections = _validate(cmd, now)
        event_id = await uow.events.add(
            NewEvent(
                guild_id=cmd.caller.require_guild(),
                organizer_id=cmd.caller.user_id,
                title=words.title,
                description=words.description,
                venue=words.venue,
                category=cmd.category,
                starts_at=cmd.starts_at,
                sale_opens_at=cmd.sale_opens_at,
                per_user_limit=cmd.per_user_limit,
                hold_minutes=cmd.hold_minutes,
                currency=cmd.currency,
                ga_capacity=cmd.ga_capacity,
                # Seated events price their sections; a general-admission price beside them means nothing.
                ga_price=cmd.ga_price if cmd.ga_capacity is not None else None,
                refund_cutoff_hours=cmd.refund_cutoff_hours,
                created_at=now,
                use_queue=_waiting_room(cmd, sections),
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
async def publish_event(event_id: int, caller: Caller, uow: UnitOfWork, clock: Clock) -> Published:
    """A member who lost the organizer role publishes no more."""
    async with uow:
        event = await owned_event(uow, event_id, caller)
        config = await uow.guilds.get(event.guild_id)
        channel = config.announce_channel_id if config else None
        if event.status is not EventStatus.DRAFT:
            return Published(event, channel, newly=False)
        await require_organizer(uow, caller)
        if event.starts_at <= clock.now():
            raise InvalidEvent(reason="starts_in_past")
        # Only the request that moves the draft announces it, however many clicks arrive together.
        if not await uow.events.set_status(event_id, EventStatus.PUBLISHED, only_from=EventStatus.DRAFT):
            return Published(replace(event, status=EventStatus.PUBLISHED), channel, newly=False)
        # The alerts go out from a job, however many members follow; their moments come from the
        # event's times as they stand when each is due, so an edit moves them too.
        await uow.alerts.schedule(event_id, ALERT_KINDS, clock.now())
        await uow.commit()
    changed(uow, event_id)
    return Published(replace(event, status=EventStatus.PUBLISHED), channel, newly=True)


def _waiting_room(cmd: CreateEvent, sections: Sequence[SectionSpec]) -> bool:
    if cmd.use_queue is not None:
        return cmd.use_queue
    size = cmd.ga_capacity if cmd.ga_capacity is not None else sum(s.seat_count for s in sections)
    return size >= cmd.queue_from


@retrying
async def event_details(event_id: int, caller: Caller, uow: UnitOfWork, clock: Clock) -> EventDetails:
    """Events of the caller's server only; drafts to their organizer only. Anything else does not exist.

    The seats are those every fan looking around now is shown (one shared reading)."""
    if not valid_id(event_id):
        raise EventNotFound(event_id=event_id)
    seen = await seen_now(event_id, uow, clock)
    event = in_scope(seen.event, caller, event_id)
    if event.status is EventStatus.DRAFT and event.organizer_id != caller.user_id:
        raise EventNotFound(event_id=event_id)
    return EventDetails(event, seen.sections, seen.ga_taken, seen.seats, seen.stamp)


async def scoped_event(uow: UnitOfWork, event_id: int, caller: Caller) -> Event:
    """Inside an open unit of work: the event, if it belongs to the caller's server."""
    event = await uow.events.get(event_id) if valid_id(event_id) else None
    return in_scope(event, caller, event_id)


async def visible_event(uow: UnitOfWork, event_id: int, caller: Caller) -> Event:
    event = await scoped_event(uow, event_id, caller)
    if event.status is EventStatus.DRAFT and event.organizer_id != caller.user_id:
        raise EventNotFound(event_id=event_id)
    return event


async def owned_event(uow: UnitOfWork, event_id: int, caller: Caller) -> Event:
    # Someone else's draft does not exist for this member: refusing it by title would reveal it.
    event = await visible_event(uow, event_id, caller)
    if event.organizer_id != caller.user_id:
        raise NotYourEvent(event=event.title)
    return event


# Once a ticket is sold, fans bought on these terms: only the wording may still change.
ALWAYS_EDITABLE = frozenset({"title", "description", "venue", "category"})


@retrying
async def edit_event(cmd: EditEvent, uow: UnitOfWork, clock: Clock) -> Event:
    now = clock.now()
    changes = {k: v for k, v in asdict(cmd).items() if v is not None and k not in ("event_id", "caller")}
    if not changes:
        raise InvalidEvent(reason="nothing_to_change")
    async with uow:
        event = await owned_event(uow, cmd.event_id, cmd.caller)
        await require_organizer(uow, cmd.caller)
        if event.status is EventStatus.CANCELLED:
            raise EventNotEditable(event=event.title, fields=tuple(sorted(changes)), reason="cancelled")
        locked = set(changes) - ALWAYS_EDITABLE
        if locked and await uow.events.tickets_sold(event.id) > 0:
            raise EventNotEditable(event=event.title, fields=tuple(sorted(locked)))
        words = _wording(
            changes.get("title", event.title),
            changes.get("description", event.description),
            changes.get("venue", event.venue),
        )
        changes.update({k: getattr(words, k) for k in ("title", "description", "venue") if k in changes})
        merged = replace(event, **changes)
        _check_edit(merged, changes, now)
        await uow.events.update(event.id, changes)
        updated = await uow.events.get(event.id)
        await uow.commit()
    changed(uow, event.id)
    assert updated is not None
    return updated


def _check_edit(event: Event, changes: dict[str, object], now: datetime) -> None:
    if "category" in changes and event.category not in CATEGORIES:
        raise InvalidEvent(reason="category")
    if "starts_at" in changes or "sale_opens_at" in changes:
        _check_times(event.starts_at, event.sale_opens_at if "sale_opens_at" in changes else now, now)
    if event.sale_opens_at >= event.starts_at:
        raise InvalidEvent(reason="sale_after_start")
    if not 1 <= event.per_user_limit <= MAX_PER_USER:
        raise InvalidEvent(reason="per_user_limit", maximum=MAX_PER_USER)


@retrying
async def list_events(query: EventQuery, uow: UnitOfWork, clock: Clock) -> EventPage:
    if query.keyword is not None:
        keyword = text.clean(query.keyword, text.KEYWORD, InvalidEvent(reason="keyword"))
        query = replace(query, keyword=keyword or None)
    if not 0 <= query.offset <= MAX_OFFSET or not 1 <= query.limit <= 25:
        raise InvalidEvent(reason="page")
    # The range's end is exclusive, so an end at its start leaves nothing to find.
    if query.starts_from and query.starts_to and query.starts_to <= query.starts_from:
        raise InvalidEvent(reason="date_range")
    async with uow.for_reading():
        events, total = await uow.events.upcoming(query, clock.now())
    # Each from the reading every fan looking at the event shares: a page costs no query of its own.
    seen = [await seen_now(event.id, uow, clock) for event in events]
    offers = {event.id: offer for event, s in zip(events, seen, strict=True) if (offer := offer_of(s))}
    return EventPage(events, total, query, offers)


@retrying
async def search_events(
    caller: Caller, typed: str, uow: UnitOfWork, clock: Clock, limit: int = 25
) -> list[Event]:
    """Autocomplete: the caller's server's events whose title holds what they typed."""
    if caller.guild_id is None:
        return []
    # Autocomplete never refuses: what cannot be searched for finds nothing rather than an error.
    typed = text.name(typed)[: text.KEYWORD]
    now = clock.now()
    async with uow.for_reading():
        found = await uow.events.search(caller.guild_id, caller.user_id, typed, now, limit)
        # /events lists events by number (`#12`), so a fan may type the number instead of the title.
        number = typed.removeprefix("#")
        if number.isascii() and number.isdigit() and len(number) <= 18:
            event = await uow.events.get(int(number))
            if (
                event is not None
                and event.guild_id == caller.guild_id
                and _listed(event, caller.user_id, now)
                and all(e.id != event.id for e in found)
            ):
                found = [event, *found][:limit]
    return found


def _listed(event: Event, viewer_id: int, now: datetime) -> bool:
    if event.status is EventStatus.DRAFT:
        return event.organizer_id == viewer_id
    return event.status is EventStatus.PUBLISHED and event.starts_at > now


@retrying
async def record_announcement(
    event_id: int, channel_id: int, message_id: int, uow: UnitOfWork, shown: str | None = None
) -> None:
    """Where the event's public post is, so DMs about it can lead fans there, and what it shows."""
    async with uow:
        await uow.events.announced(event_id, channel_id, message_id, shown)
        await uow.commit()
