"""The waitlist job's main work: returned seats go to the first fan in line they fit, paid from the
escrow, the difference back in the wallet, the tickets issued and the DM queued, all in one
transaction. The line is locked while it is served, so two runners never hand out the same seat or
charge an entry twice, and the line keeps its order."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from core.clock import Clock
from core.errors import Retryable
from core.ledger import Account, Transfer
from core.models import Event, HoldStatus, Phase, Seat, WaitlistEntry, WaitlistStatus
from core.ports import NewHold, NewTicket, UnitOfWork
from core.retry import retrying
from core.services.booking import expire_due_holds
from core.services.showing import changed
from core.services.waitlist import LINE_WINDOW, SEATS_WINDOW
from core.waitlist import seats_for

# Assignments per event per run: the rest wait for the next run, so one event cannot starve the others.
ASSIGNMENTS_PER_RUN = 100


@dataclass(frozen=True)
class Assigned:
    entry_id: int
    user_id: int
    order_id: int
    charged: int
    returned: int  # escrow given back to the wallet: the difference to the most it could have cost


async def serve_waitlists(
    new_uow: Callable[[], UnitOfWork], clock: Clock, *, lines: int = 20
) -> list[Assigned]:
    """The job: for each event with fans waiting, returned seats go to the line, then the seats
    nobody in line can take go on general sale."""
    async with new_uow().for_reading() as uow:
        events = await uow.waitlist.lines_to_serve(lines)
    assigned: list[Assigned] = []
    for event_id in events:
        # Carts that lapsed give their seats back now, to the line, rather than to whoever clicks first.
        await expire_due_holds(new_uow(), clock, batch=500, event_id=event_id)
        for _ in range(ASSIGNMENTS_PER_RUN):
            done = await assign_next(event_id, new_uow(), clock)
            if done is None:
                break
            assigned.append(done)
    return assigned


@retrying
async def assign_next(event_id: int, uow: UnitOfWork, clock: Clock) -> Assigned | None:
    """One assignment: the first entry in line that the free seats fit. When none fits, the returned
    seats go on general sale (in the same transaction, so none is missed) and the answer is None."""
    now = clock.now()
    async with uow:
        event = await uow.events.get(event_id)
        # A cancelled event's line is closed and refunded by its own job, never served.
        if (
            event is None
            or event.phase(now) is not Phase.ON_SALE
            or not await uow.waitlist.take_line(event_id)
        ):
            return None
        # What has come back first: a sold-out event with nothing returned costs no read of its line.
        places = await uow.general_admission.for_waitlist(event_id) if event.is_general_admission else 0
        free = [] if event.is_general_admission else await uow.seats.for_waitlist(event_id, SEATS_WINDOW)
        if places <= 0 and not free:
            return None
        line = await uow.waitlist.in_line(event_id, LINE_WINDOW)
        match: tuple[WaitlistEntry, list[Seat]] | None
        if event.is_general_admission:
            match = next(((e, list[Seat]()) for e in line if e.quantity <= places), None)
        else:
            match = next(((e, seats) for e in line if (seats := seats_for(e, free)) is not None), None)
        if match is None:
            reopened = await _reopen(uow, event)
            await uow.commit()
            if reopened:
                changed(uow, event_id)
            return None
        entry, seats = match
        done = await _assign(uow, event, entry, seats, now)
        await uow.commit()
    changed(uow, event_id)
    return done


async def _reopen(uow: UnitOfWork, event: Event) -> int:
    if event.is_general_admission:
        return await uow.general_admission.reopen_returned(event.id)
    return await uow.seats.reopen_returned(event.id)


async def _assign(
    uow: UnitOfWork, event: Event, entry: WaitlistEntry, seats: list[Seat], now: datetime
) -> Assigned:
    key = f"waitlist:{entry.id}"
    amount = sum(s.price for s in seats) if seats else entry.quantity * (event.ga_price or 0)
    new_hold = NewHold(
        event_id=event.id,
        user_id=entry.user_id,
        quantity=entry.quantity,
        amount=amount,
        seat_ids=tuple(s.id for s in seats),
        expires_at=now,
        client_key=key,
        created_at=now,
    )
    hold_id = await uow.holds.add(new_hold)
    await uow.holds.finish(hold_id, HoldStatus.CONFIRMED, now, only_if_live=False)
    if seats:
        got = await uow.seats.give(event.id, new_hold.seat_ids, hold_id)
    else:
        got = entry.quantity if await uow.general_admission.give(event.id, entry.quantity) else 0
    if got != entry.quantity:
        # A fan booking at this very moment took one of the seats: look again from the start.
        raise Retryable("a waitlist seat was taken while it was being given", "conflict")
    hold = await uow.holds.get(hold_id)
    assert hold is not None
    order_id = await uow.orders.add(hold, key, now)
    tickets = [NewTicket(s.id, s.label, s.price, secrets.token_hex(8)) for s in seats] or [
        NewTicket(None, None, event.ga_price or 0, secrets.token_hex(8)) for _ in range(entry.quantity)
    ]
    await uow.tickets.add_many(order_id, event.id, entry.user_id, entry.holder_name, tickets, now)
    if not await uow.waitlist.finish(entry.id, WaitlistStatus.ASSIGNED, now, order_id=order_id):
        raise Retryable("the waitlist entry ended while its seats were being given", "conflict")
    change = entry.escrow - amount
    escrow = Account.escrow(entry.user_id)
    memo = f"waitlist:event:{event.id}"
    if amount > 0:
        await uow.ledger.post(
            Transfer(f"{key}:charge", escrow, Account.payable(event.organizer_id), amount, memo), now
        )
    if change > 0:
        await uow.ledger.post(
            Transfer(f"{key}:change", escrow, Account.wallet(entry.user_id), change, memo), now
        )
    payload = {
        "order_id": order_id,
        "user_id": entry.user_id,
        "locale": entry.locale,
        "waitlist": True,
        "charged": amount,
        "returned": change,
    }
    await uow.outbox.add("tickets_issued", payload, now)
    return Assigned(entry.id, entry.user_id, order_id, amount, change)
