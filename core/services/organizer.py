"""What organizers do with a live event: cancel it (refunding everyone), see its sales, list attendees."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from zoneinfo import ZoneInfo

from core.caller import Caller
from core.clock import Clock
from core.models import Attendee, Event, EventStatus, HoldStatus, SectionAvailability, TicketStatus
from core.ports import UnitOfWork
from core.retry import retrying
from core.services.events import owned_event
from core.services.interests import member_locale
from core.services.showing import changed
from core.services.tickets import give_back

REFUND_BATCH = 200


@dataclass(frozen=True)
class CancelStarted:
    event: Event
    to_refund: int  # live tickets left to refund when the command answered
    newly: bool


@retrying
async def cancel_event(event_id: int, caller: Caller, uow: UnitOfWork, clock: Clock) -> CancelStarted:
    """Stops sales at once and leaves the refunds to ``refund_cancelled_events``, which a job runs until
    every ticket is refunded, so a crash half-way only delays them."""
    now = clock.now()
    async with uow:
        event = await owned_event(uow, event_id, caller)
        newly = event.status is not EventStatus.CANCELLED
        if newly:
            await uow.events.set_status(event.id, EventStatus.CANCELLED)
            await uow.events.update(event.id, {"cancelled_at": now})
        left = await uow.events.tickets_sold(event.id)
        await uow.commit()
    changed(uow, event.id)
    return CancelStarted(event, left, newly)


@dataclass(frozen=True)
class RefundProgress:
    event_id: int
    refunded: int  # by this run
    amount: int
    left: int
    done: bool


async def refund_cancelled_events(
    new_uow: Callable[[], UnitOfWork], clock: Clock, batch: int = REFUND_BATCH
) -> list[RefundProgress]:
    """The job: one batch of refunds for each cancelled event that still has some to do."""
    async with new_uow().for_reading() as uow:
        pending = await uow.events.awaiting_refunds(limit=20)
    return [await refund_cancelled_event(event_id, new_uow, clock, batch) for event_id in pending]


async def refund_cancelled_event(
    event_id: int, new_uow: Callable[[], UnitOfWork], clock: Clock, batch: int = REFUND_BATCH
) -> RefundProgress:
    """Releases open carts and refunds up to ``batch`` tickets, each in its own transaction. Every
    refund is keyed by its ticket and every holder told in the transaction that cancels the ticket,
    so running this in two processes at once, or again after a crash, pays and tells each once."""
    uow = new_uow()
    async with uow.for_reading():
        event = await uow.events.get(event_id)
        guild = await uow.guilds.get(event.guild_id) if event is not None else None
        tickets = await uow.tickets.live_for_event(event_id, batch)
        holds = await uow.holds.live_for_event(event_id)
    if event is None or event.status is not EventStatus.CANCELLED:
        return RefundProgress(event_id, 0, 0, 0, done=True)
    # Nobody asked for these DMs in an interaction: each speaks its member's language, else the server's.
    locale = guild.locale if guild is not None else "en"
    for hold_id in holds:
        await _release_hold(hold_id, new_uow(), clock)
    refunded = amount = 0
    for ticket in tickets:
        paid = await _refund_ticket(ticket.id, new_uow(), clock, locale)
        if paid is not None:
            refunded, amount = refunded + 1, amount + paid
    return await _progress(event_id, refunded, amount, new_uow(), clock)


@retrying
async def _progress(
    event_id: int, refunded: int, amount: int, uow: UnitOfWork, clock: Clock
) -> RefundProgress:
    async with uow:
        left = await uow.events.tickets_sold(event_id)
        # A cart paid for just before its release turns into tickets that the next round refunds.
        done = left == 0 and not await uow.holds.live_for_event(event_id)
        if done:
            await uow.events.update(event_id, {"refunds_done_at": clock.now()})
            await uow.commit()
    return RefundProgress(event_id, refunded, amount, left, done)


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
    changed(uow, hold.event_id)


@retrying
async def _refund_ticket(ticket_id: int, uow: UnitOfWork, clock: Clock, locale: str) -> int | None:
    """The refunded price, or None when another run got to this ticket first."""
    now = clock.now()
    async with uow:
        ticket = await uow.tickets.get(ticket_id)
        if ticket is None or ticket.status is not TicketStatus.ACTIVE:
            return None
        event = await uow.events.get(ticket.event_id)
        assert event is not None
        if not await uow.tickets.cancel(ticket.id, now):
            return None
        # The seat goes back with its ticket, so the event's seat counts agree with its tickets.
        if not await give_back(uow, ticket, event, now, memo=f"event_cancelled:{event.id}"):
            return None
        payload = {
            "ticket_id": ticket.id,
            "user_id": ticket.holder_id,
            "buyer_id": ticket.buyer_id,
            "event_id": event.id,
            "amount": ticket.price,
            "locale": await member_locale(uow, ticket.holder_id, locale),
        }
        await uow.outbox.add("event_cancelled", payload, now)
        await uow.commit()
    changed(uow, ticket.event_id)
    return ticket.price


@dataclass(frozen=True)
class EventStats:
    event: Event
    sections: list[SectionAvailability]
    ga_taken: int
    tickets_sold: int
    revenue: int
    sales_by_day: list[tuple[date, int]]
    # Fans on the waitlist per section asked for (None: any section).
    waiting: dict[int | None, int] = field(default_factory=dict)
    # Tickets checked in at the door per section name ("" for general admission).
    checked_in: dict[str, int] = field(default_factory=dict)


@retrying
async def event_stats(
    event_id: int, caller: Caller, uow: UnitOfWork, clock: Clock, zone: ZoneInfo
) -> EventStats:
    async with uow.for_reading():
        event = await owned_event(uow, event_id, caller)
        sections = await uow.seats.availability(event.id, clock.now())
        taken = await uow.general_admission.taken(event.id) if event.is_general_admission else 0
        attendees = await uow.tickets.attendees(event.id)
        waiting = await uow.waitlist.lengths(event.id)
    live = [a for a in attendees if a.status is TicketStatus.ACTIVE]
    days = Counter(_local_date(a, zone) for a in live)
    revenue = sum(a.price for a in live)
    # A seat's label is its section's name, then its row and number.
    door = Counter((a.seat_label or "").rsplit(" ", 1)[0] for a in live if a.checked_in_at is not None)
    return EventStats(event, sections, taken, len(live), revenue, sorted(days.items()), waiting, dict(door))


def _local_date(attendee: Attendee, zone: ZoneInfo) -> date:
    return attendee.bought_at.replace(tzinfo=ZoneInfo("UTC")).astimezone(zone).date()


@retrying
async def event_attendees(event_id: int, caller: Caller, uow: UnitOfWork) -> tuple[Event, list[Attendee]]:
    async with uow.for_reading():
        event = await owned_event(uow, event_id, caller)
        return event, await uow.tickets.attendees(event.id)
