"""The cancellation waitlist on SQLite, MariaDB and the fake alike: escrow at joining, returned seats to
the first fan in line they fit, charged exactly their price, refunds when the line closes."""

from __future__ import annotations

from datetime import timedelta

import pytest

from core.clock import FrozenClock
from core.errors import (
    AlreadyWaiting,
    InsufficientFunds,
    InvalidInput,
    LimitReached,
    NotSoldOut,
    NotWaiting,
    SeatUnavailable,
    SoldOut,
    WaitlistClosed,
)
from core.ledger import Account
from core.models import Event, SeatStatus, WaitlistStatus
from core.ports import UnitOfWork
from core.services.booking import ConfirmHold, HoldSeats, confirm_hold, hold_seats
from core.services.organizer import cancel_event
from core.services.tickets import CancelTicket, cancel_ticket, ticket_cards
from core.services.waitlist import (
    JoinWaitlist,
    close_waitlists,
    join_waitlist,
    leave_waitlist,
    waitlist_places,
)
from core.services.waitlist_assign import serve_waitlists
from core.services.wallet import ledger_totals
from tests.support.builders import ORGANIZER, fan, fund, key, on_sale_event, organizer

CLOSE_HOURS = 24
BUYER, FIRST, SECOND, LATE = 1, 2, 3, 4
VIP, R = 3000, 1000
LAYOUT = f"VIP:A x 1-2 @ {VIP}; R:B x 1-2 @ {R}"


async def _buy(
    uow: UnitOfWork, clock: FrozenClock, event: Event, user: int, seat_ids: tuple[int, ...]
) -> None:
    held = await hold_seats(HoldSeats(event.id, fan(user), key(), seat_ids=seat_ids), uow, clock)
    await confirm_hold(ConfirmHold(held.hold.id, fan(user), key()), uow, clock)


async def _sold_out(uow: UnitOfWork, clock: FrozenClock) -> tuple[Event, dict[str, int]]:
    """Four seats, all bought by BUYER; the others funded and waiting to join."""
    event = await on_sale_event(uow, clock, layout=LAYOUT, per_user_limit=4)
    async with uow.for_reading():
        seats = {s.label: s.id for s in await uow.seats.seat_map(event.id, clock.now())}
    for user in (BUYER, FIRST, SECOND, LATE):
        await fund(uow, clock, user, 20_000)
    await _buy(uow, clock, event, BUYER, tuple(seats.values()))
    return event, seats


def _join(event: Event, user: int, quantity: int = 1, **kw: object) -> JoinWaitlist:
    return JoinWaitlist(event.id, fan(user), key("wait"), quantity=quantity, **kw)  # type: ignore[arg-type]


async def _wallet(uow: UnitOfWork, user: int) -> int:
    async with uow.for_reading():
        return await uow.ledger.balance(Account.wallet(user))


async def _escrow(uow: UnitOfWork, user: int) -> int:
    async with uow.for_reading():
        return await uow.ledger.balance(Account.escrow(user))


async def _ticket_of(uow: UnitOfWork, user: int, label: str) -> int:
    cards = await ticket_cards(fan(user), uow)
    return next(c.ticket.id for c in cards if c.ticket.seat_label == label)


async def test_joining_moves_the_most_it_can_cost_into_escrow(
    any_uow: UnitOfWork, clock: FrozenClock
) -> None:
    event, _ = await _sold_out(any_uow, clock)
    first = await join_waitlist(_join(event, FIRST, 2), any_uow, clock, CLOSE_HOURS)
    assert (first.place, first.entry.escrow, first.entry.max_price) == (1, 2 * VIP, VIP)
    assert await _wallet(any_uow, FIRST) == 20_000 - 2 * VIP
    assert await _escrow(any_uow, FIRST) == 2 * VIP

    capped = await join_waitlist(_join(event, SECOND, max_price=R + 500), any_uow, clock, CLOSE_HOURS)
    assert (capped.place, capped.entry.escrow) == (2, R + 500)
    places = await waitlist_places(fan(SECOND), any_uow)
    assert [(p.place, p.entry.quantity) for p in places] == [(2, 1)]
    assert (await ledger_totals(any_uow)).balanced


async def test_the_same_request_twice_is_one_place(any_uow: UnitOfWork, clock: FrozenClock) -> None:
    event, _ = await _sold_out(any_uow, clock)
    request = _join(event, FIRST)
    once = await join_waitlist(request, any_uow, clock, CLOSE_HOURS)
    again = await join_waitlist(request, any_uow, clock, CLOSE_HOURS)
    assert again.entry.id == once.entry.id
    assert await _escrow(any_uow, FIRST) == VIP
    with pytest.raises(AlreadyWaiting):
        await join_waitlist(_join(event, FIRST), any_uow, clock, CLOSE_HOURS)


async def test_refusals_leave_nothing_behind(any_uow: UnitOfWork, clock: FrozenClock) -> None:
    event, _ = await _sold_out(any_uow, clock)
    with pytest.raises(InsufficientFunds):
        await join_waitlist(_join(event, 99), any_uow, clock, CLOSE_HOURS)
    assert await waitlist_places(fan(99), any_uow) == []
    with pytest.raises(InvalidInput):
        await join_waitlist(_join(event, FIRST, max_price=R - 1), any_uow, clock, CLOSE_HOURS)
    with pytest.raises(LimitReached):
        # BUYER has all four tickets of a four-ticket limit.
        await join_waitlist(_join(event, BUYER), any_uow, clock, CLOSE_HOURS)
    clock.advance(timedelta(days=30) - timedelta(hours=CLOSE_HOURS))
    with pytest.raises(WaitlistClosed):
        await join_waitlist(_join(event, FIRST), any_uow, clock, CLOSE_HOURS)
    assert await _wallet(any_uow, FIRST) == 20_000
    assert await _escrow(any_uow, FIRST) == 0


async def test_an_event_with_seats_left_needs_no_waitlist(any_uow: UnitOfWork, clock: FrozenClock) -> None:
    event = await on_sale_event(any_uow, clock, layout=LAYOUT)
    await fund(any_uow, clock, FIRST, 20_000)
    with pytest.raises(NotSoldOut):
        await join_waitlist(_join(event, FIRST), any_uow, clock, CLOSE_HOURS)


async def test_waiting_places_count_against_the_per_fan_limit(
    any_uow: UnitOfWork, clock: FrozenClock
) -> None:
    event, seats = await _sold_out(any_uow, clock)
    await join_waitlist(_join(event, FIRST, 3), any_uow, clock, CLOSE_HOURS)
    async with any_uow.for_reading():
        standing = await any_uow.fans.standing(event.id, FIRST)
    assert standing.bought == 3
    await cancel_ticket(CancelTicket(await _ticket_of(any_uow, BUYER, "VIP A1"), fan(BUYER)), any_uow, clock)
    # The seat came back, but it is the line's: FIRST may not take a fourth and fifth place around it.
    with pytest.raises((SeatUnavailable, LimitReached)):
        await _buy(any_uow, clock, event, LATE, (seats["VIP A1"],))


async def test_a_returned_seat_goes_to_the_first_fan_it_fits(any_uow: UnitOfWork, clock: FrozenClock) -> None:
    event, seats = await _sold_out(any_uow, clock)
    await join_waitlist(_join(event, FIRST, 2), any_uow, clock, CLOSE_HOURS)
    await join_waitlist(_join(event, SECOND, 1), any_uow, clock, CLOSE_HOURS)
    await cancel_ticket(CancelTicket(await _ticket_of(any_uow, BUYER, "R B1"), fan(BUYER)), any_uow, clock)

    async with any_uow.for_reading():
        shown = {s.label: s.status for s in await any_uow.seats.seat_map(event.id, clock.now())}
    assert shown["R B1"] is SeatStatus.HELD  # kept for the line: nobody else may book it
    with pytest.raises(SeatUnavailable):
        await _buy(any_uow, clock, event, LATE, (seats["R B1"],))

    assigned = await serve_waitlists(lambda: any_uow, clock)
    # FIRST wants two together and keeps their place; SECOND's one ticket fits and costs R, not VIP.
    assert [(a.user_id, a.charged, a.returned) for a in assigned] == [(SECOND, R, VIP - R)]
    assert [c.ticket.seat_label for c in await ticket_cards(fan(SECOND), any_uow)] == ["R B1"]
    assert await _wallet(any_uow, SECOND) == 20_000 - R
    assert await _escrow(any_uow, SECOND) == 0
    assert [p.place for p in await waitlist_places(fan(FIRST), any_uow)] == [1]
    async with any_uow.for_reading():
        notices = [
            n for n in await any_uow.outbox.claim(clock.now(), clock.now(), 50) if n.kind == "tickets_issued"
        ]
        payable = await any_uow.ledger.balance(Account.payable(ORGANIZER))
    assert [n.payload["user_id"] for n in notices][-1] == SECOND
    # B1's price went back to BUYER and came in again from SECOND's escrow.
    assert payable == 2 * VIP + 2 * R
    assert (await ledger_totals(any_uow)).balanced

    # Two more seats side by side come back: FIRST, still first, gets them both.
    for label in ("VIP A1", "VIP A2"):
        await cancel_ticket(CancelTicket(await _ticket_of(any_uow, BUYER, label), fan(BUYER)), any_uow, clock)
    assigned = await serve_waitlists(lambda: any_uow, clock)
    assert [(a.user_id, a.charged, a.returned) for a in assigned] == [(FIRST, 2 * VIP, 0)]
    assert await waitlist_places(fan(FIRST), any_uow) == []
    assert (await ledger_totals(any_uow)).balanced


async def test_seats_nobody_in_line_fits_go_on_sale(any_uow: UnitOfWork, clock: FrozenClock) -> None:
    event, seats = await _sold_out(any_uow, clock)
    await join_waitlist(_join(event, FIRST, 1, max_price=R), any_uow, clock, CLOSE_HOURS)
    await cancel_ticket(CancelTicket(await _ticket_of(any_uow, BUYER, "VIP A1"), fan(BUYER)), any_uow, clock)
    assert await serve_waitlists(lambda: any_uow, clock) == []
    await _buy(any_uow, clock, event, LATE, (seats["VIP A1"],))
    assert [p.place for p in await waitlist_places(fan(FIRST), any_uow)] == [1]


async def test_leaving_gives_the_escrow_back(any_uow: UnitOfWork, clock: FrozenClock) -> None:
    event, _ = await _sold_out(any_uow, clock)
    await join_waitlist(_join(event, FIRST, 2), any_uow, clock, CLOSE_HOURS)
    second = await join_waitlist(_join(event, SECOND), any_uow, clock, CLOSE_HOURS)
    assert second.place == 2
    left = await leave_waitlist(event.id, fan(FIRST), any_uow, clock)
    assert left.refunded == 2 * VIP
    assert await _wallet(any_uow, FIRST) == 20_000
    assert [p.place for p in await waitlist_places(fan(SECOND), any_uow)] == [1]
    with pytest.raises(NotWaiting):
        await leave_waitlist(event.id, fan(FIRST), any_uow, clock)
    # Back in line at the end, with the limit counted afresh.
    again = await join_waitlist(_join(event, FIRST, 4), any_uow, clock, CLOSE_HOURS)
    assert again.place == 2
    assert (await ledger_totals(any_uow)).balanced


async def test_the_deadline_refunds_and_tells_everyone_waiting(
    any_uow: UnitOfWork, clock: FrozenClock
) -> None:
    event, _ = await _sold_out(any_uow, clock)
    await join_waitlist(_join(event, FIRST, 2), any_uow, clock, CLOSE_HOURS)
    await join_waitlist(_join(event, SECOND), any_uow, clock, CLOSE_HOURS)
    assert await close_waitlists(lambda: any_uow, clock) == []
    clock.advance(timedelta(days=30) - timedelta(hours=CLOSE_HOURS))
    closed = await close_waitlists(lambda: any_uow, clock)
    assert [(c.entries, c.refunded) for c in closed] == [(2, 3 * VIP)]
    assert await _wallet(any_uow, FIRST) == 20_000 and await _wallet(any_uow, SECOND) == 20_000
    assert await close_waitlists(lambda: any_uow, clock) == []
    async with any_uow.for_reading():
        told = [
            n.payload["user_id"]
            for n in await any_uow.outbox.claim(clock.now(), clock.now(), 50)
            if n.kind == "waitlist_closed"
        ]
    assert sorted(told) == [FIRST, SECOND]
    assert (await ledger_totals(any_uow)).balanced


async def test_a_cancelled_event_refunds_every_escrow(any_uow: UnitOfWork, clock: FrozenClock) -> None:
    event, _ = await _sold_out(any_uow, clock)
    first = await join_waitlist(_join(event, FIRST, 2), any_uow, clock, CLOSE_HOURS)
    await cancel_event(event.id, organizer(), any_uow, clock)
    closed = await close_waitlists(lambda: any_uow, clock)
    assert [c.refunded for c in closed] == [2 * VIP]
    async with any_uow.for_reading():
        ended = await any_uow.waitlist.get(first.entry.id)
    assert ended is not None and ended.status is WaitlistStatus.CLOSED
    assert await _escrow(any_uow, FIRST) == 0


async def test_general_admission_places_come_back_to_the_line(
    any_uow: UnitOfWork, clock: FrozenClock
) -> None:
    event = await on_sale_event(any_uow, clock, layout=None, ga_capacity=2, ga_price=500)
    for user in (BUYER, FIRST, LATE):
        await fund(any_uow, clock, user, 5_000)
    held = await hold_seats(HoldSeats(event.id, fan(BUYER), key(), quantity=2), any_uow, clock)
    await confirm_hold(ConfirmHold(held.hold.id, fan(BUYER), key()), any_uow, clock)
    await join_waitlist(_join(event, FIRST), any_uow, clock, CLOSE_HOURS)
    ticket = (await ticket_cards(fan(BUYER), any_uow))[0].ticket
    await cancel_ticket(CancelTicket(ticket.id, fan(BUYER)), any_uow, clock)
    with pytest.raises(SoldOut):
        held = await hold_seats(HoldSeats(event.id, fan(LATE), key(), quantity=1), any_uow, clock)
    assigned = await serve_waitlists(lambda: any_uow, clock)
    assert [(a.user_id, a.charged) for a in assigned] == [(FIRST, 500)]
    async with any_uow.for_reading():
        assert await any_uow.general_admission.taken(event.id) == 2
    assert (await ledger_totals(any_uow)).balanced


async def test_a_lapsed_cart_gives_its_seats_to_the_line_not_to_the_quickest(
    any_uow: UnitOfWork, clock: FrozenClock
) -> None:
    event = await on_sale_event(any_uow, clock, layout=LAYOUT, per_user_limit=4)
    async with any_uow.for_reading():
        seats = {s.label: s.id for s in await any_uow.seats.seat_map(event.id, clock.now())}
    for user in (BUYER, FIRST, SECOND, LATE):
        await fund(any_uow, clock, user, 20_000)
    await _buy(any_uow, clock, event, BUYER, (seats["VIP A1"], seats["VIP A2"], seats["R B1"]))
    await hold_seats(HoldSeats(event.id, fan(FIRST), key(), seat_ids=(seats["R B2"],)), any_uow, clock)
    await join_waitlist(_join(event, SECOND), any_uow, clock, CLOSE_HOURS)

    clock.advance(timedelta(minutes=11))  # FIRST's cart lapses; no sweeper has run
    async with any_uow.for_reading():
        shown = {s.label: s.status for s in await any_uow.seats.seat_map(event.id, clock.now())}
        sections = await any_uow.seats.availability(event.id, clock.now())
    assert (shown["R B2"], sum(s.available for s in sections)) == (SeatStatus.HELD, 0)
    r_section = next(s.section_id for s in sections if s.name == "R")
    with pytest.raises(SeatUnavailable):
        await _buy(any_uow, clock, event, LATE, (seats["R B2"],))
    with pytest.raises((SeatUnavailable, SoldOut)):
        await hold_seats(
            HoldSeats(event.id, fan(LATE), key(), section_id=r_section, quantity=1), any_uow, clock
        )

    assigned = await serve_waitlists(lambda: any_uow, clock)
    assert [(a.user_id, a.charged) for a in assigned] == [(SECOND, R)]
    assert [c.ticket.seat_label for c in await ticket_cards(fan(SECOND), any_uow)] == ["R B2"]
    assert (await ledger_totals(any_uow)).balanced
