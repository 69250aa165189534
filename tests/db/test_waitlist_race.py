"""The waitlist job on the real databases: two runners at once, and a crash between the charge and the
commit, still give each returned seat to one fan and charge each entry once."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Self

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from core.clock import FrozenClock
from core.ledger import Transfer
from core.services.booking import ConfirmHold, HoldSeats, confirm_hold, hold_seats
from core.services.tickets import CancelTicket, cancel_ticket, ticket_cards
from core.services.waitlist import JoinWaitlist, join_waitlist
from core.services.waitlist_assign import serve_waitlists
from core.services.wallet import ledger_totals
from db.schema import ledger_entries, tickets, waitlist_entries
from db.uow import SqlUnitOfWork
from tests.support.builders import fan, fund, key, on_sale_event

SEATS, WAITING, RETURNED = 8, 10, 6
BUYER = 1


async def _line_with_returned_seats(engine: AsyncEngine, clock: FrozenClock) -> None:
    def new_uow() -> SqlUnitOfWork:
        return SqlUnitOfWork(engine)

    event = await on_sale_event(new_uow(), clock, layout=f"R:A x 1-{SEATS} @ 1000", per_user_limit=SEATS)
    async with new_uow().for_reading() as uow:
        seat_ids = tuple(s.id for s in await uow.seats.seat_map(event.id, clock.now()))
    await fund(new_uow(), clock, BUYER, 100_000)
    held = await hold_seats(HoldSeats(event.id, fan(BUYER), key(), seat_ids=seat_ids), new_uow(), clock)
    await confirm_hold(ConfirmHold(held.hold.id, fan(BUYER), key()), new_uow(), clock)
    for user in range(10, 10 + WAITING):
        await fund(new_uow(), clock, user, 5_000)
        await join_waitlist(JoinWaitlist(event.id, fan(user), key("w")), new_uow(), clock, close_hours=24)
    for card in (await ticket_cards(fan(BUYER), new_uow()))[:RETURNED]:
        await cancel_ticket(CancelTicket(card.ticket.id, fan(BUYER)), new_uow(), clock)


async def _counts(engine: AsyncEngine) -> tuple[int, int, list[int]]:
    async with engine.connect() as conn:
        live = await conn.scalar(select(func.count()).where(tickets.c.status == "active"))
        charges = await conn.scalar(
            select(func.count()).where(ledger_entries.c.txn_key.like("waitlist:%:charge"))
        )
        served = await conn.execute(
            select(waitlist_entries.c.user_id).where(waitlist_entries.c.status == "assigned")
        )
        return int(live or 0), int(charges or 0), sorted(int(r[0]) for r in served)


async def test_two_runners_give_each_seat_once_in_line_order(engine: AsyncEngine, clock: FrozenClock) -> None:
    await _line_with_returned_seats(engine, clock)
    runs = await asyncio.gather(*(serve_waitlists(lambda: SqlUnitOfWork(engine), clock) for _ in range(2)))
    runs.append(await serve_waitlists(lambda: SqlUnitOfWork(engine), clock))
    assigned = [a.user_id for run in runs for a in run]
    assert sorted(assigned) == list(range(10, 10 + RETURNED))
    live, charges, served = await _counts(engine)
    assert (live, charges, served) == (SEATS, 2 * RETURNED, list(range(10, 10 + RETURNED)))
    assert (await ledger_totals(SqlUnitOfWork(engine))).balanced


class CrashAfterCharge(SqlUnitOfWork):
    """Fails between charging the escrow and committing, as a process killed there would."""

    async def __aenter__(self) -> Self:
        await super().__aenter__()
        post = self.ledger.post

        async def post_then_crash(transfer: Transfer, now: datetime) -> None:
            await post(transfer, now)
            if transfer.txn_key.endswith(":charge"):
                raise RuntimeError("the process died here")

        self.ledger.post = post_then_crash  # type: ignore[method-assign]
        return self


async def test_a_crash_after_the_charge_charges_once(engine: AsyncEngine, clock: FrozenClock) -> None:
    await _line_with_returned_seats(engine, clock)
    with pytest.raises(RuntimeError):
        await serve_waitlists(lambda: CrashAfterCharge(engine), clock)
    assert await _counts(engine) == (SEATS - RETURNED, 0, [])
    assigned = await serve_waitlists(lambda: SqlUnitOfWork(engine), clock)
    assert len(assigned) == RETURNED
    assert await _counts(engine) == (SEATS, 2 * RETURNED, list(range(10, 10 + RETURNED)))
    assert (await ledger_totals(SqlUnitOfWork(engine))).balanced
