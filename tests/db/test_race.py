"""Hundreds of concurrent buyers against fifty seats, on the real database and its connection pool."""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from core.clock import FrozenClock
from core.errors import DomainError, SeatUnavailable, SoldOut
from core.ledger import Account
from core.services.booking import ConfirmHold, HoldSeats, confirm_hold, hold_seats
from core.services.events import event_details
from db.engine import make_engine
from db.schema import seats, tickets
from db.uow import SqlUnitOfWork
from tests.support.builders import fan, fund, key, on_sale_event

BUYERS = 300
PRICE = 1000
START_BALANCE = 10_000
LAYOUT = f"R:A-E x 1-10 @ {PRICE}"  # 50 seats


@dataclass
class Outcome:
    user_id: int
    quantity: int = 0
    refused: str | None = None


async def _buy(
    engine: AsyncEngine,
    clock: FrozenClock,
    event_id: int,
    section_id: int,
    user_id: int,
    plan: str,
    seat_ids: list[int],
) -> Outcome:
    uow = SqlUnitOfWork(engine)
    rng = random.Random(user_id)
    if plan == "pick":
        # A fan who clicks one seat, or a pair, on the map; many fans click the same ones.
        first = rng.randrange(0, len(seat_ids) - 1)
        wanted = tuple(seat_ids[first : first + rng.choice((1, 2))])
        try:
            held = await hold_seats(HoldSeats(event_id, fan(user_id), key(), seat_ids=wanted), uow, clock)
        except SeatUnavailable as exc:
            return Outcome(user_id, refused=exc.key)
    else:
        quantity = 2 if plan == "pair" else 1
        # Best-available fans try again when someone beats them, until told the section is sold out.
        for _attempt in range(80 if quantity == 1 else 6):
            try:
                held = await hold_seats(
                    HoldSeats(event_id, fan(user_id), key(), section_id=section_id, quantity=quantity),
                    uow,
                    clock,
                )
                break
            except SoldOut as exc:
                return Outcome(user_id, refused=exc.key)
            except SeatUnavailable:
                continue
        else:
            return Outcome(user_id, refused="gave_up")
    order = await confirm_hold(ConfirmHold(held.hold.id, fan(user_id), key()), uow, clock)
    return Outcome(user_id, quantity=len(order.tickets))


async def test_three_hundred_buyers_fifty_seats(engine: AsyncEngine, clock: FrozenClock) -> None:
    uow = SqlUnitOfWork(engine)
    event = await on_sale_event(uow, clock, layout=LAYOUT)
    section = (await event_details(event.id, fan(1), uow, clock)).sections[0]
    async with uow:
        seat_ids = [r[0] for r in await uow.connection.execute(select(seats.c.id).order_by(seats.c.id))]
    users = list(range(10_000, 10_000 + BUYERS))
    await asyncio.gather(*(fund(SqlUnitOfWork(engine), clock, u, START_BALANCE) for u in users))

    plans = ["pair", "single", "pick"]
    outcomes = await asyncio.gather(
        *(
            _buy(engine, clock, event.id, section.section_id, u, plans[i % 3], seat_ids)
            for i, u in enumerate(users)
        ),
        return_exceptions=True,
    )
    unexpected = [o for o in outcomes if isinstance(o, BaseException) and not isinstance(o, DomainError)]
    assert not unexpected, unexpected[:3]
    results = [o for o in outcomes if isinstance(o, Outcome)]
    winners = {o.user_id: o.quantity for o in results if o.quantity}
    assert any(o.refused == SoldOut.key for o in results), "some best-available fan should see it sold out"

    async with uow:
        conn = uow.connection
        sold = (await conn.execute(select(func.count()).where(seats.c.status == "sold"))).scalar()
        ticket_seats = [r[0] for r in await conn.execute(select(tickets.c.seat_id))]
        holders = Counter(r[0] for r in await conn.execute(select(tickets.c.holder_id)))
        balances = {u: await uow.ledger.balance(Account.wallet(u)) for u in users}
        debits: Counter[int] = Counter()
        for user in users:
            entries = await uow.ledger.entries(Account.wallet(user), 10)
            debits[user] = sum(1 for entry in entries if entry.amount < 0)
        totals = await uow.ledger.totals()

    assert sold == 50
    assert len(ticket_seats) == 50 and len(set(ticket_seats)) == 50, "a seat was sold twice"
    assert sum(winners.values()) == 50
    assert dict(holders) == winners
    for user in users:
        bought = winners.get(user, 0)
        assert balances[user] == START_BALANCE - bought * PRICE
        assert debits.get(user, 0) == (1 if bought else 0), f"user {user} debited {debits.get(user, 0)} times"
    assert totals.balanced, totals


async def test_fans_pressing_best_available_at_once_each_get_seats_while_there_is_room(
    engine: AsyncEngine, clock: FrozenClock
) -> None:
    """Fifty fans press Best available once, at the same moment, through two bot processes (two
    engines, each with its own box office): every one gets a pair, none is told a seat was taken."""
    other = make_engine(engine.url.render_as_string(hide_password=False))
    try:
        event = await on_sale_event(SqlUnitOfWork(engine), clock, layout="R:A-J x 1-20 @ 1000")
        section = (await event_details(event.id, fan(1), SqlUnitOfWork(engine), clock)).sections[0]
        users = list(range(20_000, 20_050))
        await asyncio.gather(*(fund(SqlUnitOfWork(engine), clock, u, START_BALANCE) for u in users))

        async def press(user_id: int, process: AsyncEngine) -> tuple[int, ...]:
            wanted = HoldSeats(event.id, fan(user_id), key(), section_id=section.section_id, quantity=2)
            held = await hold_seats(wanted, SqlUnitOfWork(process), clock)
            return held.hold.seat_ids

        holds = await asyncio.gather(
            *(press(u, engine if i % 2 else other) for i, u in enumerate(users)), return_exceptions=True
        )
    finally:
        await other.dispose()

    refused = [h for h in holds if isinstance(h, BaseException)]
    assert not refused, refused[:3]
    held_seats = [seat for h in holds if not isinstance(h, BaseException) for seat in h]
    assert len(held_seats) == 100 and len(set(held_seats)) == 100
