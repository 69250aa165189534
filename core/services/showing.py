"""What fans are shown of an event: one reading of its seats shared by everyone looking around the same
moment (core/availability.py), and the word that it changed after a commit that changed it."""

from __future__ import annotations

from core.availability import Availability
from core.clock import Clock
from core.models import Event, Seat, SectionAvailability
from core.ports import UnitOfWork


async def seen_now(event_id: int, uow: UnitOfWork, clock: Clock) -> Availability:
    """The event and its seats as fans see them now, read once for every fan asking around now."""

    now = clock.now()

    async def load() -> tuple[Event | None, list[SectionAvailability], list[Seat], int]:
        async with uow.for_reading():
            event = await uow.events.get(event_id)
            if event is None:
                return None, [], [], 0
            if event.is_general_admission:
                return event, [], [], await uow.general_admission.taken(event_id)
            return (
                event,
                await uow.seats.availability(event_id, now),
                await uow.seats.seat_map(event_id, now),
                0,
            )

    return await uow.box_office.availability.get(event_id, now, load)


def changed(uow: UnitOfWork, event_id: int) -> None:
    """After a commit that changed an event or its seats: fans looking next see it at once."""
    uow.box_office.availability.changed(event_id)
