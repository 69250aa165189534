"""Holding seats and paying for them: the rules of core.services.booking on the in-memory store."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest

from core.clock import FrozenClock
from core.errors import (
    CartExists,
    EventNotFound,
    HoldNotFound,
    InsufficientFunds,
    InvalidQuantity,
    LimitReached,
    SaleClosed,
    SaleNotOpen,
    SeatUnavailable,
    SoldOut,
)
from core.ledger import Account
from core.models import Event, HoldStatus, SeatStatus, TicketStatus
from core.services.booking import ConfirmHold, HoldSeats, HoldView, confirm_hold, hold_seats
from core.services.events import event_details
from core.services.wallet import history, ledger_totals
from tests.support.builders import ORGANIZER, fan, fund, key, on_sale_event
from tests.unit.fakes import FakeUnitOfWork

FAN = 7
OTHER_FAN = 8


@pytest.fixture
async def uow() -> AsyncIterator[FakeUnitOfWork]:
    fake = FakeUnitOfWork()
    yield fake
    assert (await ledger_totals(fake)).balanced, "every scenario must leave the ledger balanced"


async def section_of(event: Event, uow: FakeUnitOfWork, clock: FrozenClock) -> int:
    return (await event_details(event.id, fan(ORGANIZER), uow, clock)).sections[0].section_id


async def hold_named(
    uow: FakeUnitOfWork, clock: FrozenClock, event: Event, *labels: str, user_id: int = FAN
) -> HoldView:
    seat_ids = uow.seat_ids(event.id, *labels)
    return await hold_seats(HoldSeats(event.id, fan(user_id), key("hold"), seat_ids=seat_ids), uow, clock)


def labels(view: HoldView) -> list[str]:
    return [s.label for s in view.seats]


# Holding


async def test_a_hold_on_named_seats_holds_exactly_those_and_charges_nothing(
    uow: FakeUnitOfWork, clock: FrozenClock
) -> None:
    event = await on_sale_event(uow, clock)
    await fund(uow, clock, FAN, 5000)

    view = await hold_named(uow, clock, event, "R C3", "R C4")

    assert labels(view) == ["R C3", "R C4"]
    assert (view.hold.status, view.hold.quantity, view.hold.amount) == (HoldStatus.ACTIVE, 2, 2000)
    assert view.hold.expires_at == clock.now() + timedelta(minutes=10)
    assert [uow.seat_status(s) for s in view.hold.seat_ids] == [SeatStatus.HELD] * 2
    assert uow.seat_status(uow.seat_ids(event.id, "R C5")[0]) is SeatStatus.AVAILABLE
    standing = uow.standing(event.id, FAN)
    assert (standing.hold_id, standing.held, standing.bought) == (view.hold.id, 2, 0)
    assert uow.balance(Account.wallet(FAN)) == 5000


async def test_best_available_takes_adjacent_seats_in_the_front_row_centre(
    uow: FakeUnitOfWork, clock: FrozenClock
) -> None:
    event = await on_sale_event(uow, clock, layout="R:A-C x 1-10 @ 1000")
    section_id = await section_of(event, uow, clock)
    for member in (FAN, OTHER_FAN):
        await fund(uow, clock, member, 5000)

    first = await hold_seats(
        HoldSeats(event.id, fan(FAN), key(), section_id=section_id, quantity=2), uow, clock
    )
    second = await hold_seats(
        HoldSeats(event.id, fan(OTHER_FAN), key(), section_id=section_id, quantity=3), uow, clock
    )

    assert labels(first) == ["R A5", "R A6"]
    assert {s.row for s in second.seats} == {"A"}, "row A still has a run of three"
    numbers = [s.number for s in second.seats]
    assert numbers == list(range(numbers[0], numbers[0] + 3))
    assert not set(first.hold.seat_ids) & set(second.hold.seat_ids)


async def test_general_admission_holds_places_until_capacity_runs_out(
    uow: FakeUnitOfWork, clock: FrozenClock
) -> None:
    event = await on_sale_event(uow, clock, layout=None, ga_capacity=3, ga_price=500)
    for member in (FAN, OTHER_FAN):
        await fund(uow, clock, member, 5000)

    view = await hold_seats(HoldSeats(event.id, fan(FAN), key(), quantity=2), uow, clock)
    assert (view.seats, view.hold.seat_ids, view.hold.amount) == ([], (), 1000)
    assert uow.ga_taken(event.id) == 2

    before = uow.snapshot()
    with pytest.raises(SoldOut):
        await hold_seats(HoldSeats(event.id, fan(OTHER_FAN), key(), quantity=2), uow, clock)
    assert uow.snapshot() == before
    assert uow.holds_of(OTHER_FAN) == []


async def test_a_hold_reusing_its_client_key_returns_the_same_hold(
    uow: FakeUnitOfWork, clock: FrozenClock
) -> None:
    event = await on_sale_event(uow, clock)
    await fund(uow, clock, FAN, 5000)
    request = HoldSeats(event.id, fan(FAN), "click-1", seat_ids=uow.seat_ids(event.id, "R B1", "R B2"))

    first = await hold_seats(request, uow, clock)
    after_first = uow.snapshot()
    again = await hold_seats(request, uow, clock)

    assert again.hold == first.hold and labels(again) == ["R B1", "R B2"]
    assert uow.snapshot() == after_first, "a repeated request must not hold anything more"


async def test_a_retried_best_available_hold_returns_the_seats_first_chosen(
    uow: FakeUnitOfWork, clock: FrozenClock
) -> None:
    event = await on_sale_event(uow, clock)
    await fund(uow, clock, FAN, 5000)
    request = HoldSeats(
        event.id, fan(FAN), "click-1", section_id=await section_of(event, uow, clock), quantity=2
    )

    first = await hold_seats(request, uow, clock)
    after_first = uow.snapshot()
    # Choosing again would land on the next best pair; the retry must answer with the first.
    again = await hold_seats(request, uow, clock)

    assert again.hold == first.hold and labels(again) == labels(first)
    assert uow.snapshot() == after_first


async def test_a_retried_best_available_hold_that_took_the_last_seats_returns_that_hold(
    uow: FakeUnitOfWork, clock: FrozenClock
) -> None:
    event = await on_sale_event(uow, clock, layout="R:A x 1-2 @ 1000")
    section_id = await section_of(event, uow, clock)
    await fund(uow, clock, FAN, 5000)
    request = HoldSeats(event.id, fan(FAN), "click-1", section_id=section_id, quantity=2)

    first = await hold_seats(request, uow, clock)
    again = await hold_seats(request, uow, clock)

    assert again.hold == first.hold


# Confirming


async def test_confirming_issues_tickets_and_moves_the_money_once(
    uow: FakeUnitOfWork, clock: FrozenClock
) -> None:
    event = await on_sale_event(uow, clock, layout="VIP:A x 1-4 @ 3000; R:B-C x 1-4 @ 1000")
    await fund(uow, clock, FAN, 10_000)
    held = await hold_named(uow, clock, event, "VIP A2", "R B2")

    order = await confirm_hold(ConfirmHold(held.hold.id, fan(FAN), key("pay")), uow, clock)

    assert (order.order.hold_id, order.order.user_id, order.order.amount) == (held.hold.id, FAN, 4000)
    assert [(t.seat_label, t.price, t.holder_id, t.status) for t in order.tickets] == [
        ("VIP A2", 3000, FAN, TicketStatus.ACTIVE),
        ("R B2", 1000, FAN, TicketStatus.ACTIVE),
    ]
    assert len({t.secret for t in order.tickets}) == 2
    assert [uow.seat_status(s) for s in held.hold.seat_ids] == [SeatStatus.SOLD] * 2
    assert uow.balance(Account.wallet(FAN)) == 6000
    assert uow.balance(Account.payable(ORGANIZER)) == 4000
    debits = [e for e in await history(FAN, uow) if e.amount < 0]
    assert [(e.txn_key, e.amount) for e in debits] == [(f"order:{order.order.id}", -4000)]
    [message] = uow.messages()
    assert message.kind == "tickets_issued"
    assert (message.payload["order_id"], message.payload["user_id"]) == (order.order.id, FAN)
    assert order.notice_id == message.id
    standing = uow.standing(event.id, FAN)
    assert (standing.hold_id, standing.held, standing.bought) == (None, 0, 2)


async def test_a_retried_confirm_returns_the_same_order_and_charges_once(
    uow: FakeUnitOfWork, clock: FrozenClock
) -> None:
    event = await on_sale_event(uow, clock)
    await fund(uow, clock, FAN, 5000)
    held = await hold_named(uow, clock, event, "R A1", "R A2")

    first = await confirm_hold(ConfirmHold(held.hold.id, fan(FAN), "pay-1"), uow, clock)
    after_first = uow.snapshot()
    same_key = await confirm_hold(ConfirmHold(held.hold.id, fan(FAN), "pay-1"), uow, clock)
    new_key = await confirm_hold(ConfirmHold(held.hold.id, fan(FAN), "pay-2"), uow, clock)

    assert (same_key.order, same_key.tickets) == (first.order, first.tickets)
    assert (new_key.order, new_key.tickets) == (first.order, first.tickets)
    assert uow.snapshot() == after_first
    assert uow.balance(Account.wallet(FAN)) == 3000
    assert len(uow.messages()) == 1


async def test_a_confirm_the_wallet_can_no_longer_cover_changes_nothing(
    uow: FakeUnitOfWork, clock: FrozenClock
) -> None:
    event = await on_sale_event(uow, clock)
    await fund(uow, clock, FAN, 1500)
    # Each hold alone is affordable; paying for the first leaves too little for the second.
    first = await hold_named(uow, clock, event, "R A1")
    other_event = await on_sale_event(uow, clock)
    second = await hold_named(uow, clock, other_event, "R A1")
    await confirm_hold(ConfirmHold(first.hold.id, fan(FAN), key()), uow, clock)
    before = uow.snapshot()

    with pytest.raises(InsufficientFunds):
        await confirm_hold(ConfirmHold(second.hold.id, fan(FAN), key()), uow, clock)

    assert uow.snapshot() == before
    assert uow.state.holds[second.hold.id].status is HoldStatus.ACTIVE
    assert uow.seat_status(second.hold.seat_ids[0]) is SeatStatus.HELD
    assert uow.balance(Account.wallet(FAN)) == 500


async def test_a_fan_cannot_confirm_someone_elses_hold(uow: FakeUnitOfWork, clock: FrozenClock) -> None:
    event = await on_sale_event(uow, clock)
    await fund(uow, clock, FAN, 5000)
    await fund(uow, clock, OTHER_FAN, 5000)
    held = await hold_named(uow, clock, event, "R A1")
    before = uow.snapshot()

    with pytest.raises(HoldNotFound):
        await confirm_hold(ConfirmHold(held.hold.id, fan(OTHER_FAN), key()), uow, clock)
    with pytest.raises(HoldNotFound):
        await confirm_hold(ConfirmHold(held.hold.id + 100, fan(FAN), key()), uow, clock)

    assert uow.snapshot() == before


# The per-fan limit and the one open cart


async def test_the_per_fan_limit_counts_tickets_from_earlier_orders(
    uow: FakeUnitOfWork, clock: FrozenClock
) -> None:
    event = await on_sale_event(uow, clock, per_user_limit=4)
    await fund(uow, clock, FAN, 10_000)
    held = await hold_named(uow, clock, event, "R A1", "R A2", "R A3")
    await confirm_hold(ConfirmHold(held.hold.id, fan(FAN), key()), uow, clock)
    before = uow.snapshot()

    with pytest.raises(LimitReached) as refused:
        await hold_named(uow, clock, event, "R B1", "R B2")

    assert refused.value.params == {"limit": 4, "bought": 3}
    assert uow.snapshot() == before
    last = await hold_named(uow, clock, event, "R B1")
    assert last.hold.quantity == 1


async def test_a_second_cart_on_the_same_event_is_refused_while_the_first_is_open(
    uow: FakeUnitOfWork, clock: FrozenClock
) -> None:
    event = await on_sale_event(uow, clock)
    other_event = await on_sale_event(uow, clock)
    await fund(uow, clock, FAN, 10_000)
    first = await hold_named(uow, clock, event, "R A1")
    before = uow.snapshot()

    with pytest.raises(CartExists) as refused:
        await hold_named(uow, clock, event, "R A2")

    assert refused.value.params == {"hold_id": first.hold.id}
    assert uow.snapshot() == before
    # Carts are per event: another event is fine.
    assert labels(await hold_named(uow, clock, other_event, "R A2")) == ["R A2"]


# Requests that are refused and leave no trace


@pytest.mark.parametrize("quantity", [0, -1])
async def test_a_hold_for_no_seats_is_refused(uow: FakeUnitOfWork, clock: FrozenClock, quantity: int) -> None:
    event = await on_sale_event(uow, clock)
    section_id = await section_of(event, uow, clock)
    await fund(uow, clock, FAN, 5000)
    before = uow.snapshot()

    with pytest.raises(InvalidQuantity):
        await hold_seats(
            HoldSeats(event.id, fan(FAN), key(), section_id=section_id, quantity=quantity), uow, clock
        )

    assert uow.snapshot() == before


async def test_naming_a_seat_twice_is_refused(uow: FakeUnitOfWork, clock: FrozenClock) -> None:
    event = await on_sale_event(uow, clock)
    await fund(uow, clock, FAN, 5000)
    before = uow.snapshot()
    seat_id = uow.seat_ids(event.id, "R A1")[0]

    with pytest.raises(InvalidQuantity):
        await hold_seats(HoldSeats(event.id, fan(FAN), key(), seat_ids=(seat_id, seat_id)), uow, clock)

    assert uow.snapshot() == before


async def test_a_hold_on_an_unknown_event_is_refused(uow: FakeUnitOfWork, clock: FrozenClock) -> None:
    event = await on_sale_event(uow, clock)
    await fund(uow, clock, FAN, 5000)
    before = uow.snapshot()

    with pytest.raises(EventNotFound):
        await hold_seats(HoldSeats(event.id + 1, fan(FAN), key(), section_id=1, quantity=1), uow, clock)

    assert uow.snapshot() == before


async def test_more_seats_than_the_per_fan_limit_is_refused(uow: FakeUnitOfWork, clock: FrozenClock) -> None:
    event = await on_sale_event(uow, clock, per_user_limit=4)
    section_id = await section_of(event, uow, clock)
    await fund(uow, clock, FAN, 50_000)
    before = uow.snapshot()

    with pytest.raises(LimitReached):
        await hold_seats(HoldSeats(event.id, fan(FAN), key(), section_id=section_id, quantity=5), uow, clock)

    assert uow.snapshot() == before


async def test_a_hold_the_wallet_cannot_cover_is_refused_and_holds_nothing(
    uow: FakeUnitOfWork, clock: FrozenClock
) -> None:
    event = await on_sale_event(uow, clock)
    await fund(uow, clock, FAN, 1999)
    before = uow.snapshot()

    with pytest.raises(InsufficientFunds):
        await hold_named(uow, clock, event, "R A1", "R A2")

    assert uow.snapshot() == before
    assert uow.holds_of(FAN) == []
    assert [uow.seat_status(s) for s in uow.seat_ids(event.id, "R A1", "R A2")] == [SeatStatus.AVAILABLE] * 2
    assert uow.balance(Account.wallet(FAN)) == 1999


async def test_a_hold_before_the_sale_opens_is_refused(uow: FakeUnitOfWork, clock: FrozenClock) -> None:
    event = await on_sale_event(uow, clock)
    await fund(uow, clock, FAN, 5000)
    before = uow.snapshot()
    clock.set(event.sale_opens_at - timedelta(seconds=1))

    with pytest.raises(SaleNotOpen):
        await hold_named(uow, clock, event, "R A1")

    assert uow.snapshot() == before


async def test_a_hold_once_the_event_has_started_is_refused(uow: FakeUnitOfWork, clock: FrozenClock) -> None:
    event = await on_sale_event(uow, clock)
    await fund(uow, clock, FAN, 5000)
    before = uow.snapshot()
    clock.set(event.starts_at)

    with pytest.raises(SaleClosed):
        await hold_named(uow, clock, event, "R A1")

    assert uow.snapshot() == before


async def test_a_hold_on_a_taken_seat_is_refused(uow: FakeUnitOfWork, clock: FrozenClock) -> None:
    event = await on_sale_event(uow, clock)
    other_event = await on_sale_event(uow, clock)
    await fund(uow, clock, FAN, 5000)
    await fund(uow, clock, OTHER_FAN, 5000)
    await hold_named(uow, clock, event, "R A2")
    before = uow.snapshot()
    foreign_seat = uow.seat_ids(other_event.id, "R A3")[0]

    with pytest.raises(SeatUnavailable):
        await hold_named(uow, clock, event, "R A1", "R A2", user_id=OTHER_FAN)
    with pytest.raises(SeatUnavailable):
        await hold_seats(HoldSeats(event.id, fan(OTHER_FAN), key(), seat_ids=(foreign_seat,)), uow, clock)

    assert uow.snapshot() == before
    assert uow.seat_status(uow.seat_ids(event.id, "R A1")[0]) is SeatStatus.AVAILABLE


async def test_best_available_without_a_block_left_is_refused(
    uow: FakeUnitOfWork, clock: FrozenClock
) -> None:
    event = await on_sale_event(uow, clock, layout="R:A x 1-3 @ 1000")
    section_id = await section_of(event, uow, clock)
    for member in (FAN, OTHER_FAN):
        await fund(uow, clock, member, 5000)
    await hold_named(uow, clock, event, "R A2")
    before = uow.snapshot()

    # Two seats are left, but not side by side.
    with pytest.raises(SeatUnavailable):
        await hold_seats(
            HoldSeats(event.id, fan(OTHER_FAN), key(), section_id=section_id, quantity=2), uow, clock
        )
    assert uow.snapshot() == before

    await hold_named(uow, clock, event, "R A1", "R A3", user_id=OTHER_FAN)
    before = uow.snapshot()
    with pytest.raises(SoldOut):
        await hold_seats(HoldSeats(event.id, fan(FAN), key(), section_id=section_id, quantity=1), uow, clock)
    assert uow.snapshot() == before
