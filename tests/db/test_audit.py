"""The auditor on SQLite, MariaDB and the fake: a whole season of sales reads healthy, and each kind of
breach, made by writing to the tables behind Picket's back, is found and named."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import pytest
from sqlalchemy import insert, select, text, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from core.clock import FrozenClock
from core.ledger import Account, Transfer
from core.models import Event
from core.ports import UnitOfWork
from core.services.audit import CHECKS, audit
from core.services.gauges import read_gauges
from core.services.tickets import CancelTicket, cancel_ticket, ticket_cards
from core.services.waitlist import JoinWaitlist, join_waitlist
from core.services.waitlist_assign import serve_waitlists
from db.schema import accounts, ledger_entries, seats, tickets
from db.uow import SqlUnitOfWork
from tests.conftest import T0
from tests.db.test_waitlist import BUYER, CLOSE_HOURS, FIRST, SECOND, _sold_out
from tests.support.builders import fan, key


async def _season(uow: UnitOfWork, clock: FrozenClock) -> Event:
    """Sold out, two fans in line with money in escrow, one ticket returned and passed on."""
    event, _ = await _sold_out(uow, clock)
    await join_waitlist(JoinWaitlist(event.id, fan(FIRST), key(), quantity=2), uow, clock, CLOSE_HOURS)
    await join_waitlist(JoinWaitlist(event.id, fan(SECOND), key(), quantity=1), uow, clock, CLOSE_HOURS)
    returned = next(c.ticket.id for c in await ticket_cards(fan(BUYER), uow) if c.ticket.seat_label == "R B1")
    await cancel_ticket(CancelTicket(returned, fan(BUYER)), uow, clock)
    assert len(await serve_waitlists(lambda: uow, clock)) == 1
    return event


async def test_a_season_of_sales_breaks_no_invariant(any_uow: UnitOfWork, clock: FrozenClock) -> None:
    await _season(any_uow, clock)
    report = await audit(lambda: any_uow, second_look=0)
    assert report.breaches == {check: 0 for check in CHECKS}
    assert report.healthy


async def _second_ticket_on_a_sold_seat(conn: AsyncConnection) -> None:
    row = (await conn.execute(select(tickets).where(tickets.c.status == "active").limit(1))).mappings().one()
    copy = {**row, "live_seat_id": None, "secret": "forged"}
    del copy["id"]
    await conn.execute(insert(tickets).values(**copy))


async def _seat_marked_free(conn: AsyncConnection) -> None:
    sold = text("SELECT seat_id FROM tickets WHERE status = 'active' AND seat_id IS NOT NULL LIMIT 1")
    seat_id = (await conn.execute(sold)).scalar_one()
    await conn.execute(update(seats).where(seats.c.id == seat_id).values(status="available"))


async def _order_lost_its_tickets(conn: AsyncConnection) -> None:
    order_id = (await conn.execute(text("SELECT MIN(order_id) FROM tickets"))).scalar_one()
    await conn.execute(tickets.delete().where(tickets.c.order_id == order_id))


async def _money_from_nowhere(conn: AsyncConnection) -> None:
    await conn.execute(
        insert(ledger_entries).values(
            txn_key="forged", account_kind="payable", owner_id=1, amount=500, memo="", created_at=T0
        )
    )


async def _escrow_grew(conn: AsyncConnection) -> None:
    await conn.execute(
        update(accounts)
        .where(accounts.c.kind == "escrow", accounts.c.owner_id == FIRST)
        .values(balance=accounts.c.balance + 1)
    )


BREACHES: dict[str, tuple[Callable[[AsyncConnection], Awaitable[None]], set[str]]] = {
    # What was done behind Picket's back, and every check that must see it.
    "second_ticket": (_second_ticket_on_a_sold_seat, {"seats_sold_twice", "oversold_events"}),
    "seat_marked_free": (_seat_marked_free, {"tickets_on_unsold_seats"}),
    "order_lost_its_tickets": (_order_lost_its_tickets, {"orders_without_tickets"}),
    "money_from_nowhere": (_money_from_nowhere, {"ledger_unbalanced"}),
    "escrow_grew": (_escrow_grew, {"escrow_mismatched", "ledger_unbalanced"}),
}


@pytest.mark.parametrize("breach", sorted(BREACHES))
async def test_each_breach_is_found_and_named(uow: SqlUnitOfWork, clock: FrozenClock, breach: str) -> None:
    await _season(uow, clock)
    tamper, expected = BREACHES[breach]
    async with uow:
        await tamper(uow.connection)
        await uow.commit()

    report = await audit(lambda: uow, second_look=0)
    assert {check for check, count in report.breaches.items() if count} == expected
    assert not report.healthy


async def test_the_gauges_read_backlog_and_waiting_rooms(any_uow: UnitOfWork, clock: FrozenClock) -> None:
    await _season(any_uow, clock)
    gauges = await read_gauges(any_uow)
    async with any_uow.for_reading():
        backlog = await any_uow.outbox.backlog()
    assert gauges.outbox_backlog == backlog > 0, "the season's DMs are waiting to be sent"
    assert gauges.queue_waiting == 0
    # A single server (the test databases) is not a Galera cluster.
    assert gauges.cluster_size is None


async def test_payments_in_flight_are_never_read_as_a_breach(engine: AsyncEngine) -> None:
    """Eight writers moving money from wallets (running balances) to an organizer (summed entries)
    while the auditor reads: every reading must balance, on both databases."""
    fans = range(1, 51)
    async with SqlUnitOfWork(engine) as uow:
        for fan_id in fans:
            await uow.ledger.post(
                Transfer(f"top:{fan_id}", Account.provider(), Account.wallet(fan_id), 10**6, ""), T0
            )
        await uow.commit()
    readings_done = asyncio.Event()
    paid = 0

    async def pay(writer: int) -> None:
        nonlocal paid
        for n in range(2000):  # bounded; stops early once the readings are done
            if readings_done.is_set():
                return
            async with SqlUnitOfWork(engine) as uow:
                await uow.ledger.post(
                    Transfer(f"buy:{writer}:{n}", Account.wallet(1 + n % 50), Account.payable(9), 1, ""), T0
                )
                await uow.commit()
            paid += 1

    writers = [asyncio.create_task(pay(w)) for w in range(8)]
    try:
        reports = [await audit(lambda: SqlUnitOfWork(engine), second_look=0.01) for _ in range(20)]
    finally:
        readings_done.set()
        await asyncio.gather(*writers)
    assert paid > 0
    assert [r.breaches for r in reports if not r.healthy] == []
