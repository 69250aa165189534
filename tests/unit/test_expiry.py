"""Holds that run out or are let go: seats go back to sale and a late confirm charges nothing."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest

from core.clock import FrozenClock
from core.errors import HoldExpired, HoldNotFound
from core.ledger import Account
from core.models import Event, HoldStatus, SeatStatus
from core.services.booking import (
    ConfirmHold,
    HoldSeats,
    HoldView,
    confirm_hold,
    expire_due_holds,
    hold_seats,
    release_hold,
)
from core.services.wallet import ledger_totals
from tests.support.builders import fan, fund, key, on_sale_event
from tests.unit.fakes import FakeUnitOfWork

FAN = 7
OTHER_FAN = 8
HOLD_TIME = timedelta(minutes=10)


@pytest.fixture
async def uow() -> AsyncIterator[FakeUnitOfWork]:
    fake = FakeUnitOfWork()
    yield fake
    assert (await ledger_totals(fake)).balanced, "every scenario must leave the ledger balanced"


@pytest.fixture
async def event(uow: FakeUnitOfWork, clock: FrozenClock) -> Event:
    event = await on_sale_event(uow, clock, hold_minutes=10)
    for member in (FAN, OTHER_FAN):
        await fund(uow, clock, member, 5000)
    return event


async def hold(
    uow: FakeUnitOfWork, clock: FrozenClock, event: Event, *labels: str, user_id: int = FAN
) -> HoldView:
    seat_ids = uow.seat_ids(event.id, *labels)
    return await hold_seats(HoldSeats(event.id, fan(user_id), key("hold"), seat_ids=seat_ids), uow, clock)


def statuses(uow: FakeUnitOfWork, view: HoldView) -> list[SeatStatus]:
    return [uow.seat_status(s) for s in view.hold.seat_ids]


async def test_the_sweep_expires_holds_that_ran_out_and_frees_their_seats(
    uow: FakeUnitOfWork, clock: FrozenClock, event: Event
) -> None:
    old = await hold(uow, clock, event, "R A1", "R A2")
    clock.advance(timedelta(minutes=5))
    young = await hold(uow, clock, event, "R B1", user_id=OTHER_FAN)

    clock.advance(HOLD_TIME - timedelta(minutes=5))
    swept = await expire_due_holds(uow, clock)

    assert swept == 1
    assert uow.state.holds[old.hold.id].status is HoldStatus.EXPIRED
    assert statuses(uow, old) == [SeatStatus.AVAILABLE] * 2
    assert uow.standing(event.id, FAN).hold_id is None
    assert uow.state.holds[young.hold.id].status is HoldStatus.ACTIVE
    assert statuses(uow, young) == [SeatStatus.HELD]
    # Nothing left to do: a second sweep changes nothing.
    before = uow.snapshot()
    assert await expire_due_holds(uow, clock) == 0
    assert uow.snapshot() == before


async def test_a_hold_is_not_swept_a_second_before_it_runs_out(
    uow: FakeUnitOfWork, clock: FrozenClock, event: Event
) -> None:
    view = await hold(uow, clock, event, "R A1")
    clock.advance(HOLD_TIME - timedelta(seconds=1))

    assert await expire_due_holds(uow, clock) == 0
    assert statuses(uow, view) == [SeatStatus.HELD]


async def test_seats_of_a_lapsed_hold_go_to_the_next_buyer_before_any_sweep(
    uow: FakeUnitOfWork, clock: FrozenClock, event: Event
) -> None:
    lapsed = await hold(uow, clock, event, "R A1", "R A2")
    clock.advance(HOLD_TIME)

    taken = await hold(uow, clock, event, "R A1", "R A2", user_id=OTHER_FAN)
    assert statuses(uow, taken) == [SeatStatus.HELD] * 2

    # The late sweep tidies the old hold without freeing what now belongs to someone else.
    assert await expire_due_holds(uow, clock) == 1
    assert uow.state.holds[lapsed.hold.id].status is HoldStatus.EXPIRED
    assert statuses(uow, taken) == [SeatStatus.HELD] * 2
    order = await confirm_hold(ConfirmHold(taken.hold.id, fan(OTHER_FAN), key()), uow, clock)
    assert [t.seat_id for t in order.tickets] == list(taken.hold.seat_ids)


async def test_a_fan_whose_cart_ran_out_may_open_another(
    uow: FakeUnitOfWork, clock: FrozenClock, event: Event
) -> None:
    await hold(uow, clock, event, "R A1")
    clock.advance(HOLD_TIME)

    again = await hold(uow, clock, event, "R C1")

    assert uow.standing(event.id, FAN).hold_id == again.hold.id


async def test_a_confirm_after_the_hold_ran_out_is_refused_and_charges_nothing(
    uow: FakeUnitOfWork, clock: FrozenClock, event: Event
) -> None:
    view = await hold(uow, clock, event, "R A1", "R A2")
    clock.advance(HOLD_TIME)
    before = uow.snapshot()

    with pytest.raises(HoldExpired):
        await confirm_hold(ConfirmHold(view.hold.id, fan(FAN), key()), uow, clock)

    assert uow.snapshot() == before
    assert uow.balance(Account.wallet(FAN)) == 5000
    assert uow.state.orders == {} and uow.state.tickets == {}


async def test_a_confirm_after_the_seats_went_to_someone_else_is_refused(
    uow: FakeUnitOfWork, clock: FrozenClock, event: Event
) -> None:
    view = await hold(uow, clock, event, "R A1")
    clock.advance(HOLD_TIME)
    await hold(uow, clock, event, "R A1", user_id=OTHER_FAN)
    await expire_due_holds(uow, clock)
    before = uow.snapshot()

    with pytest.raises(HoldExpired):
        await confirm_hold(ConfirmHold(view.hold.id, fan(FAN), key()), uow, clock)

    assert uow.snapshot() == before
    assert uow.balance(Account.wallet(FAN)) == 5000


async def test_releasing_a_hold_frees_its_seats_and_closes_the_cart(
    uow: FakeUnitOfWork, clock: FrozenClock, event: Event
) -> None:
    view = await hold(uow, clock, event, "R A1", "R A2")

    await release_hold(view.hold.id, fan(FAN), uow, clock)

    assert uow.state.holds[view.hold.id].status is HoldStatus.RELEASED
    assert statuses(uow, view) == [SeatStatus.AVAILABLE] * 2
    assert uow.standing(event.id, FAN).hold_id is None
    with pytest.raises(HoldExpired):
        await confirm_hold(ConfirmHold(view.hold.id, fan(FAN), key()), uow, clock)
    # A second release, or a sweep, finds nothing to do.
    before = uow.snapshot()
    await release_hold(view.hold.id, fan(FAN), uow, clock)
    clock.advance(HOLD_TIME)
    assert await expire_due_holds(uow, clock) == 0
    assert uow.snapshot() == before


async def test_releasing_a_confirmed_hold_keeps_the_tickets(
    uow: FakeUnitOfWork, clock: FrozenClock, event: Event
) -> None:
    view = await hold(uow, clock, event, "R A1")
    await confirm_hold(ConfirmHold(view.hold.id, fan(FAN), key()), uow, clock)
    before = uow.snapshot()

    await release_hold(view.hold.id, fan(FAN), uow, clock)

    assert uow.snapshot() == before
    assert statuses(uow, view) == [SeatStatus.SOLD]


async def test_only_the_fan_who_holds_may_release(
    uow: FakeUnitOfWork, clock: FrozenClock, event: Event
) -> None:
    view = await hold(uow, clock, event, "R A1")
    before = uow.snapshot()

    with pytest.raises(HoldNotFound):
        await release_hold(view.hold.id, fan(OTHER_FAN), uow, clock)

    assert uow.snapshot() == before


async def test_the_sweep_gives_general_admission_places_back(uow: FakeUnitOfWork, clock: FrozenClock) -> None:
    event = await on_sale_event(uow, clock, layout=None, ga_capacity=2, ga_price=500)
    await fund(uow, clock, FAN, 5000)
    await fund(uow, clock, OTHER_FAN, 5000)
    await hold_seats(HoldSeats(event.id, fan(FAN), key(), quantity=2), uow, clock)
    clock.advance(HOLD_TIME)

    assert await expire_due_holds(uow, clock) == 1

    assert uow.ga_taken(event.id) == 0
    view = await hold_seats(HoldSeats(event.id, fan(OTHER_FAN), key(), quantity=2), uow, clock)
    assert view.hold.quantity == 2


async def test_places_of_a_lapsed_general_admission_hold_go_to_the_next_buyer_before_any_sweep(
    uow: FakeUnitOfWork, clock: FrozenClock
) -> None:
    event = await on_sale_event(uow, clock, layout=None, ga_capacity=2, ga_price=500)
    await fund(uow, clock, FAN, 5000)
    await fund(uow, clock, OTHER_FAN, 5000)
    await hold_seats(HoldSeats(event.id, fan(FAN), key(), quantity=2), uow, clock)
    clock.advance(HOLD_TIME)

    view = await hold_seats(HoldSeats(event.id, fan(OTHER_FAN), key(), quantity=2), uow, clock)

    assert view.hold.quantity == 2
