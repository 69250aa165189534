"""Cancelling a ticket: the money goes back to the wallet and the seat back on sale, until the cut-off."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest

from core.clock import FrozenClock
from core.errors import RefundClosed, TicketNotFound
from core.ledger import Account
from core.models import Event, SeatStatus, Ticket, TicketStatus
from core.services.booking import ConfirmHold, HoldSeats, confirm_hold, hold_seats
from core.services.tickets import CancelTicket, Refunded, cancel_ticket, ticket_cards
from core.services.wallet import ledger_totals
from tests.support.builders import ORGANIZER, fan, fund, key, on_sale_event
from tests.unit.fakes import FakeUnitOfWork

FAN = 7
OTHER_FAN = 8


@pytest.fixture
async def uow() -> AsyncIterator[FakeUnitOfWork]:
    fake = FakeUnitOfWork()
    yield fake
    assert (await ledger_totals(fake)).balanced, "every scenario must leave the ledger balanced"


async def buy(
    uow: FakeUnitOfWork, clock: FrozenClock, event: Event, *labels: str, quantity: int = 0
) -> list[Ticket]:
    seat_ids = uow.seat_ids(event.id, *labels)
    held = await hold_seats(
        HoldSeats(event.id, fan(FAN), key(), seat_ids=seat_ids, quantity=quantity), uow, clock
    )
    return (await confirm_hold(ConfirmHold(held.hold.id, fan(FAN), key()), uow, clock)).tickets


async def test_cancelling_refunds_the_price_frees_the_seat_and_gives_back_the_place(
    uow: FakeUnitOfWork, clock: FrozenClock
) -> None:
    event = await on_sale_event(uow, clock, layout="VIP:A x 1-4 @ 3000; R:B x 1-4 @ 1000", per_user_limit=2)
    await fund(uow, clock, FAN, 10_000)
    vip, _ = await buy(uow, clock, event, "VIP A1", "R B1")
    assert uow.balance(Account.wallet(FAN)) == 6000

    refund = await cancel_ticket(CancelTicket(vip.id, fan(FAN)), uow, clock)

    assert refund == Refunded(3000, FAN)
    assert uow.balance(Account.wallet(FAN)) == 9000
    assert uow.balance(Account.payable(ORGANIZER)) == 1000
    assert uow.state.tickets[vip.id].status is TicketStatus.CANCELLED
    assert uow.seat_status(uow.seat_ids(event.id, "VIP A1")[0]) is SeatStatus.AVAILABLE
    assert uow.standing(event.id, FAN).bought == 1
    assert [c.ticket.seat_label for c in await ticket_cards(fan(FAN), uow)] == ["R B1"]
    message = uow.messages()[-1]
    assert message.kind == "ticket_cancelled"
    assert (message.payload["ticket_id"], message.payload["user_id"]) == (vip.id, FAN)
    # With the place given back, the fan may buy up to the limit again.
    [again] = await buy(uow, clock, event, "VIP A1")
    assert again.seat_label == "VIP A1"


async def test_cancelling_a_general_admission_ticket_gives_the_place_back(
    uow: FakeUnitOfWork, clock: FrozenClock
) -> None:
    event = await on_sale_event(uow, clock, layout=None, ga_capacity=5, ga_price=700)
    await fund(uow, clock, FAN, 5000)
    first, _ = await buy(uow, clock, event, quantity=2)

    assert (await cancel_ticket(CancelTicket(first.id, fan(FAN)), uow, clock)).amount == 700

    assert uow.ga_taken(event.id) == 1
    assert uow.balance(Account.wallet(FAN)) == 5000 - 700
    assert uow.standing(event.id, FAN).bought == 1


async def test_a_free_ticket_cancels_without_a_posting(uow: FakeUnitOfWork, clock: FrozenClock) -> None:
    event = await on_sale_event(uow, clock, layout="R:A x 1-4 @ 0")
    [ticket] = await buy(uow, clock, event, "R A1")

    assert (await cancel_ticket(CancelTicket(ticket.id, fan(FAN)), uow, clock)).amount == 0

    assert uow.state.entries == []
    assert uow.seat_status(uow.seat_ids(event.id, "R A1")[0]) is SeatStatus.AVAILABLE


async def test_refunds_close_at_the_cut_off(uow: FakeUnitOfWork, clock: FrozenClock) -> None:
    event = await on_sale_event(uow, clock)
    await fund(uow, clock, FAN, 5000)
    first, second = await buy(uow, clock, event, "R A1", "R A2")
    cut_off = event.starts_at - timedelta(hours=event.refund_cutoff_hours)

    clock.set(cut_off - timedelta(seconds=1))
    assert (await cancel_ticket(CancelTicket(first.id, fan(FAN)), uow, clock)).amount == 1000

    clock.set(cut_off)
    before = uow.snapshot()
    with pytest.raises(RefundClosed):
        await cancel_ticket(CancelTicket(second.id, fan(FAN)), uow, clock)
    assert uow.snapshot() == before
    assert uow.state.tickets[second.id].status is TicketStatus.ACTIVE
    assert second.seat_id is not None and uow.seat_status(second.seat_id) is SeatStatus.SOLD


async def test_a_ticket_is_refunded_once_and_only_to_its_holder(
    uow: FakeUnitOfWork, clock: FrozenClock
) -> None:
    event = await on_sale_event(uow, clock)
    await fund(uow, clock, FAN, 5000)
    first, second = await buy(uow, clock, event, "R A1", "R A2")
    await cancel_ticket(CancelTicket(first.id, fan(FAN)), uow, clock)
    before = uow.snapshot()

    with pytest.raises(TicketNotFound):
        await cancel_ticket(CancelTicket(first.id, fan(FAN)), uow, clock)
    with pytest.raises(TicketNotFound):
        await cancel_ticket(CancelTicket(second.id, fan(OTHER_FAN)), uow, clock)
    with pytest.raises(TicketNotFound):
        await cancel_ticket(CancelTicket(second.id + 100, fan(FAN)), uow, clock)

    assert uow.snapshot() == before
    assert uow.balance(Account.wallet(FAN)) == 4000
