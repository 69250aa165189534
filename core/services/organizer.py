"""What organizers do with a live event: cancel it (refunding everyone), see its sales, list attendees."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from zoneinfo import ZoneInfo

from core.clock import Clock
from core.models import Attendee, Event, EventStatus, HoldStatus, SectionAvailability, TicketStatus
from core.ports import UnitOfWork
from core.retry import retrying
from core.services.events import owned_event
from core.services.tickets import give_back


@dataclass(frozen=True)
class Cancelled:
    event: Event
    refunded: int
    amount: int


@retrying
async def _mark_cancelled(event_id: int, organizer_id: int, uow: UnitOfWork) -> Event:
    async with uow:
        event = await owned_event(uow, event_id, organizer_id)
        if event.status is not EventStatus.CANCELLED:
            await uow.events.set_status(event.id, EventStatus.CANCELLED)
            await uow.commit()
    return event


async def cancel_event(
    event_id: int, organizer_id: int, new_uow: Callable[[], UnitOfWork], clock: Clock, locale: str = "ko"
) -> Cancelled:
    """Stops sales at once, then refunds ticket by ticket, each in its own transaction.

    If the process stops half-way, cancelling again finishes the rest: every refund is keyed by
    its ticket, so none is paid twice."""
    event = await _mark_cancelled(event_id, organizer_id, new_uow())
    refunded, amount = await refund_cancelled_event(event.id, new_uow, clock, locale=locale)
    return Cancelled(event, refunded, amount)


async def refund_cancelled_event(
    event_id: int, new_uow: Callable[[], UnitOfWork], clock: Clock, batch: int = 200, locale: str = "ko"
) -> tuple[int, int]:
    """Refunds what is left of a cancelled event; ``locale`` is the language of the refund DMs."""
    refunded = amount = 0
    while True:
        async with new_uow() as uow:
            tickets = await uow.tickets.live_for_event(event_id, batch)
            holds = await uow.holds.live_for_event(event_id)
        for hold_id in holds:
            await _release_hold(hold_id, new_uow(), clock)
        # A cart paid for just before its release turns into tickets that the next round refunds.
        if not tickets and not holds:
            return refunded, amount
        for ticket in tickets:
            amount += await _refund_ticket(ticket.id, new_uow(), clock, locale)
            refunded += 1


@retrying
async def _release_hold(hold_id: int, uow: UnitOfWork, clock: Clock) -> None:
    async with uow:
        hold = await uow.holds.get(hold_id)
        if hold is None or not await uow.holds.finish(
            hold_id, HoldStatus.RELEASED, clock.now(), only_if_live=False
        ):
            return
        if hold.seat_ids:
            await uow.seats.release_held(hold.id)
        else:
            await uow.general_admission.release(hold.event_id, hold.quantity)
        await uow.fans.close_cart(hold.event_id, hold.user_id, hold.id, bought=0)
        await uow.commit()


@retrying
async def _refund_ticket(ticket_id: int, uow: UnitOfWork, clock: Clock, locale: str) -> int:
    now = clock.now()
    async with uow:
        ticket = await uow.tickets.get(ticket_id)
        if ticket is None or ticket.status is not TicketStatus.ACTIVE:
            return 0
        event = await uow.events.get(ticket.event_id)
        assert event is not None
        if not await uow.tickets.cancel(ticket.id, now):
            return 0
        # The seat goes back with its ticket, so the event's seat counts agree with its tickets.
        if not await give_back(uow, ticket, event, now, memo=f"event_cancelled:{event.id}"):
            return 0
        payload = {
            "ticket_id": ticket.id,
            "user_id": ticket.holder_id,
            "event_id": event.id,
            "amount": ticket.price,
            "locale": locale,
        }
        await uow.outbox.add("event_cancelled", payload, now)
        await uow.commit()
    return ticket.price


@dataclass(frozen=True)
class EventStats:
    event: Event
    sections: list[SectionAvailability]
    ga_taken: int
    tickets_sold: int
    revenue: int
    sales_by_day: list[tuple[date, int]]


@retrying
async def event_stats(
    event_id: int, organizer_id: int, uow: UnitOfWork, clock: Clock, zone: ZoneInfo
) -> EventStats:
    async with uow:
        event = await owned_event(uow, event_id, organizer_id)
        sections = await uow.seats.availability(event.id, clock.now())
        taken = await uow.general_admission.taken(event.id) if event.is_general_admission else 0
        attendees = await uow.tickets.attendees(event.id)
    live = [a for a in attendees if a.status is TicketStatus.ACTIVE]
    days = Counter(_local_date(a, zone) for a in live)
    return EventStats(event, sections, taken, len(live), sum(a.price for a in live), sorted(days.items()))


def _local_date(attendee: Attendee, zone: ZoneInfo) -> date:
    return attendee.bought_at.replace(tzinfo=ZoneInfo("UTC")).astimezone(zone).date()


@retrying
async def event_attendees(event_id: int, organizer_id: int, uow: UnitOfWork) -> tuple[Event, list[Attendee]]:
    async with uow:
        event = await owned_event(uow, event_id, organizer_id)
        return event, await uow.tickets.attendees(event.id)
