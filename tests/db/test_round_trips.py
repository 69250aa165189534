"""A booking's cost in round trips to the database, counted where the driver sends them: three (a look,
a hold, a payment) on both databases, once a sale is under way. A change that adds one makes this fail."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncEngine

from core.clock import FrozenClock
from core.services.booking import ConfirmHold, HoldSeats, confirm_hold, hold_seats
from core.services.events import event_details
from db.roundtrips import count_round_trips
from db.uow import SqlUnitOfWork
from tests.support.builders import fan, fund, key, on_sale_event

BOOKING_ROUND_TRIPS = 3


async def test_a_whole_booking_costs_three_round_trips(engine: AsyncEngine, clock: FrozenClock) -> None:
    trips = count_round_trips(engine)
    event = await on_sale_event(SqlUnitOfWork(engine), clock)
    section = (await event_details(event.id, fan(7), SqlUnitOfWork(engine), clock)).sections[0]
    await fund(SqlUnitOfWork(engine), clock, 7, 10_000)
    # Mid-sale: another fan's booking has already brought the event's buying rules, which this process
    # reads once every few seconds for everyone, not once per booking.
    await fund(SqlUnitOfWork(engine), clock, 8, 10_000)
    await hold_seats(
        HoldSeats(event.id, fan(8), key(), section_id=section.section_id, quantity=1),
        SqlUnitOfWork(engine),
        clock,
    )

    before = trips.count
    held = await hold_seats(
        HoldSeats(event.id, fan(7), key(), section_id=section.section_id, quantity=2),
        SqlUnitOfWork(engine),
        clock,
    )
    order = await confirm_hold(ConfirmHold(held.hold.id, fan(7), key()), SqlUnitOfWork(engine), clock)

    assert len(order.tickets) == 2
    assert trips.count - before == BOOKING_ROUND_TRIPS
