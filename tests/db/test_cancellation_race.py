"""An organizer's cancellation, refunded by two job runners at the same moment, on the real database:
every ticket refunded once, every holder told once, the books balanced."""

from __future__ import annotations

import asyncio

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from core.clock import FrozenClock
from core.ledger import Account
from core.services.booking import ConfirmHold, HoldSeats, confirm_hold, hold_seats
from core.services.events import event_details
from core.services.organizer import cancel_event, refund_cancelled_events
from core.services.wallet import ledger_totals
from db.schema import ledger_entries, outbox
from db.uow import SqlUnitOfWork
from tests.support.builders import ORGANIZER, fan, fund, key, on_sale_event, organizer

BUYERS = 12
PRICE = 1000


async def test_two_runners_refund_each_ticket_once(engine: AsyncEngine, clock: FrozenClock) -> None:
    def new_uow() -> SqlUnitOfWork:
        return SqlUnitOfWork(engine)

    event = await on_sale_event(new_uow(), clock, layout=f"R:A-C x 1-10 @ {PRICE}", per_user_limit=2)
    section = (await event_details(event.id, fan(1), new_uow(), clock)).sections[0].section_id
    for user in range(1, BUYERS + 1):
        await fund(new_uow(), clock, user, 10_000)
        held = await hold_seats(
            HoldSeats(event.id, fan(user), key(), section_id=section, quantity=2), new_uow(), clock
        )
        await confirm_hold(ConfirmHold(held.hold.id, fan(user), key()), new_uow(), clock)
    await cancel_event(event.id, organizer(), new_uow(), clock)

    # Small batches, so the two runners meet on the same tickets many times over.
    runs = [refund_cancelled_events(new_uow, clock, batch=5) for _ in range(2)]
    while True:
        results = await asyncio.gather(*runs)
        if all(not progress for progress in results):
            break
        runs = [refund_cancelled_events(new_uow, clock, batch=5) for _ in range(2)]

    async with engine.connect() as conn:
        notes = await conn.scalar(select(func.count()).where(outbox.c.kind == "event_cancelled"))
        refunds = await conn.scalar(
            select(func.count()).where(ledger_entries.c.txn_key.like("refund:ticket:%"))
        )
    assert notes == BUYERS * 2
    assert refunds == BUYERS * 2 * 2  # two legs per refund
    async with new_uow() as uow:
        balances = [await uow.ledger.balance(Account.wallet(u)) for u in range(1, BUYERS + 1)]
        payable = await uow.ledger.balance(Account.payable(ORGANIZER))
        finished = await uow.events.get(event.id)
    assert balances == [10_000] * BUYERS and payable == 0
    assert finished is not None and finished.refunds_done_at is not None
    assert (await ledger_totals(new_uow())).balanced
