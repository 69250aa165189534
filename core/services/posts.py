"""An event's public post follows its sales: free seats per section, SOLD OUT, CANCELLED, and the
wording after an edit. A job compares what each post shows with what it last showed and queues an
edit through the outbox only when that changed, so a burst of sales costs one edit, not one per sale,
and two processes running the job queue it once."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta

from core.clock import Clock
from core.models import Event, Phase, SectionAvailability
from core.ports import UnitOfWork
from core.retry import retrying
from core.services.events import EventDetails
from core.services.showing import seen_now

# Posts of events that started this long ago are left as they are.
KEPT_AFTER_START = timedelta(days=1)


def post_state(event: Event, sections: Sequence[SectionAvailability], free: int, phase: Phase) -> str:
    """A fingerprint of what the post shows: the event's wording (its version), its phase and each
    section's free seats (a seat in a cart is not free, as the post says). A cancelled
    event can no longer change: its post is drawn once more and left."""
    if phase is Phase.CANCELLED:
        return phase.value
    parts = [str(event.version), phase.value]
    if event.ga_capacity is not None:
        parts.append(f"ga:{free}")
    else:
        parts.extend(f"{s.section_id}:{s.available}" for s in sections)
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:32]


@retrying
async def refresh_posts(new_uow: Callable[[], UnitOfWork], clock: Clock, *, limit: int = 200) -> int:
    """Queues an edit for every post that no longer shows its event as it is; returns how many."""
    now = clock.now()
    uow = new_uow()
    async with uow.for_reading():
        posts = await uow.events.posts(now - KEPT_AFTER_START, limit)
    queued = 0
    for event_id, shown in posts:
        seen = await seen_now(event_id, new_uow(), clock)
        if seen.event is None:
            continue
        state = post_state(seen.event, seen.sections, seen.free, seen.event.phase(now))
        if state == shown:
            continue
        async with new_uow() as uow:
            if await uow.events.post_shows(event_id, shown, state):
                await uow.outbox.add("post_changed", {"event_id": event_id}, now)
                await uow.commit()
                queued += 1
    return queued


@dataclass(frozen=True)
class PostEdit:
    """What an event's post should show now, and where it is."""

    details: EventDetails
    phase: Phase
    channel_id: int
    message_id: int
    locale: str


async def post_edit(event_id: int, new_uow: Callable[[], UnitOfWork], clock: Clock) -> PostEdit | None:
    seen = await seen_now(event_id, new_uow(), clock)
    if seen.event is None:
        return None
    uow = new_uow()
    async with uow.for_reading():
        where = await uow.events.announcement(event_id)
        config = await uow.guilds.get(seen.event.guild_id)
    if where is None:
        return None
    details = EventDetails(seen.event, seen.sections, seen.ga_taken, seen.seats, seen.stamp)
    locale = config.locale if config is not None else "en"
    return PostEdit(details, seen.event.phase(clock.now()), where[0], where[1], locale)
