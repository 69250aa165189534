from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from core.clock import Clock
from core.errors import EventNotFound, InvalidEvent, NotAllowed
from core.layout import parse_layout
from core.models import Event, EventStatus, SectionAvailability
from core.ports import NewEvent, UnitOfWork
from core.retry import retrying

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


@dataclass(frozen=True)
class EventDetails:
    event: Event
    sections: list[SectionAvailability]
    ga_taken: int


def _validate(cmd: CreateEvent, now: datetime) -> None:
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
    if (cmd.layout is None) == (cmd.ga_capacity is None):
        raise InvalidEvent(reason="layout_or_capacity")
    if cmd.ga_capacity is not None:
        if not 1 <= cmd.ga_capacity <= MAX_GA_CAPACITY:
            raise InvalidEvent(reason="capacity", maximum=MAX_GA_CAPACITY)
        if cmd.ga_price is None or cmd.ga_price < 0:
            raise InvalidEvent(reason="price")


@retrying
async def create_event(cmd: CreateEvent, uow: UnitOfWork, clock: Clock) -> Event:
    now = clock.now()
    _validate(cmd, now)
    sections = parse_layout(cmd.layout) if cmd.layout is not None else []
    async with uow:
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
            )
        )
        if sections:
            await uow.seats.add_layout(event_id, sections)
        event = await uow.events.get(event_id)
        await uow.commit()
    assert event is not None
    return event


@retrying
async def publish_event(event_id: int, organizer_id: int, uow: UnitOfWork, clock: Clock) -> Event:
    async with uow:
        event = await uow.events.get(event_id)
        if event is None:
            raise EventNotFound(event_id=event_id)
        if event.organizer_id != organizer_id:
            raise NotAllowed(action="publish")
        if event.status is not EventStatus.DRAFT:
            return event
        if event.starts_at <= clock.now():
            raise InvalidEvent(reason="starts_in_past")
        await uow.events.set_status(event_id, EventStatus.PUBLISHED)
        published = await uow.events.get(event_id)
        await uow.commit()
    assert published is not None
    return published


@retrying
async def event_details(event_id: int, viewer_id: int, uow: UnitOfWork, clock: Clock) -> EventDetails:
    """Drafts are visible to their organizer only; to anyone else they do not exist."""
    async with uow:
        event = await uow.events.get(event_id)
        if event is None or (event.status is EventStatus.DRAFT and event.organizer_id != viewer_id):
            raise EventNotFound(event_id=event_id)
        sections = await uow.seats.availability(event_id, clock.now())
        taken = await uow.general_admission.taken(event_id) if event.is_general_admission else 0
    return EventDetails(event, sections, taken)
