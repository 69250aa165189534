"""A crowd of fans booking through Picket's own services while database nodes fail under them.

Each fan holds one or two best-available seats and pays, the way the bot's Book and Pay buttons do.
A fan told "busy" (the unit of work was refused through every retry) presses again with the same
client key, so an answer that was lost after the database had committed is recognised on the next
press instead of booking twice. What the crowd saw is kept, to be held against the database after."""

from __future__ import annotations

import asyncio
import random
import time
import traceback
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from itertools import count, pairwise
from typing import TypeVar, cast

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from core.clock import FrozenClock
from core.errors import Busy, DomainError, SeatUnavailable, SoldOut
from core.ledger import Account
from core.ports import UnitOfWork
from core.services.booking import ConfirmHold, HoldSeats, confirm_hold, hold_seats
from core.services.events import event_details
from core.services.wallet import ledger_totals
from db.engine import make_engine
from db.migrate import migrate
from db.schema import ledger_entries, orders, seats, tickets
from db.uow import SqlUnitOfWork
from tests.support.builders import fan, fund, on_sale_event

PRICE = 1000
START_BALANCE = 20_000
PER_FAN_LIMIT = 8
# 1,200 seats in two sections: more than the crowd can buy before the scenarios end.
LAYOUT = f"Floor:A-T x 1-30 @ {PRICE}; Balcony:A-T x 1-30 @ {PRICE}"
# How long a fan waits before pressing again after "busy".
PRESS_AGAIN_AFTER = 0.3
_keys = count(1)
T = TypeVar("T")


def _key(kind: str) -> str:
    # Keys unique across runs as well: each run migrates a fresh database, but a key is what a
    # retry is recognised by, so it must never be shared by two bookings.
    return f"{kind}-{time.time_ns()}-{next(_keys)}"


def unit(engine: AsyncEngine) -> UnitOfWork:
    # mypy reads SqlUnitOfWork's repositories as their concrete classes, which the protocol's
    # (mutable, hence invariant) attributes do not accept.
    return cast(UnitOfWork, SqlUnitOfWork(engine))


@dataclass(frozen=True)
class Booking:
    hold_id: int
    order_id: int
    user_id: int
    amount: int
    seat_ids: tuple[int, ...]
    at: float  # time.monotonic() when the fan saw it paid


@dataclass
class Stage:
    """A migrated database with an event on sale and funded fans, reached through ``url``."""

    url: str
    event_id: int
    section_ids: tuple[int, ...]
    fans: list[int]


async def set_stage(url: str, clock: FrozenClock, fans: int) -> Stage:
    engine = make_engine(url)
    try:
        await migrate(engine)
        event = await on_sale_event(unit(engine), clock, layout=LAYOUT, per_user_limit=PER_FAN_LIMIT)
        details = await event_details(event.id, fan(1), unit(engine), clock)
        users = list(range(30_000, 30_000 + fans))
        gate = asyncio.Semaphore(16)

        async def top_up(user: int) -> None:
            async with gate:
                await fund(unit(engine), clock, user, START_BALANCE)

        await asyncio.gather(*(top_up(u) for u in users))
    finally:
        await engine.dispose()
    return Stage(url, event.id, tuple(s.section_id for s in details.sections), users)


@dataclass
class Crowd:
    """``workers`` fans' devices at once, ``rate`` bookings a second between them at most, ``cap``
    bookings in all; each device books for its own fans in turn. Ends when told, when sold out, at
    the cap, or at the deadline."""

    stage: Stage
    engine: AsyncEngine
    clock: FrozenClock
    workers: int = 16
    rate: float = 12.0
    cap: int = 550
    seconds: float = 150.0
    confirmed: list[Booking] = field(default_factory=list)
    # Holds whose payment the fan never saw answered: the database may or may not have taken it.
    unresolved: set[int] = field(default_factory=set)
    busy: int = 0
    # Errors other than Busy that reached a fan (the bot would apologise); the fan pressed again.
    apologies: list[BaseException] = field(default_factory=list)
    # Anything else: the crowd stops and the test fails.
    errors: list[BaseException] = field(default_factory=list)
    stop: asyncio.Event = field(default_factory=asyncio.Event)
    started_at: float = 0.0
    ended_at: float = 0.0
    deadline: float = 0.0
    _begun: int = 0
    _next_slot: float = 0.0

    async def run(self) -> None:
        self.started_at = time.monotonic()
        self.deadline = self.started_at + self.seconds
        shares = [self.stage.fans[i :: self.workers] for i in range(self.workers)]
        try:
            await asyncio.gather(*(self._device(i, share) for i, share in enumerate(shares)))
        finally:
            self.ended_at = time.monotonic()

    def since(self, moment: float) -> int:
        return sum(1 for b in self.confirmed if b.at > moment)

    async def wait_for(self, bookings: int, after: float, within: float) -> None:
        """Until ``bookings`` more were paid after ``after``; fails the test past ``within`` seconds."""
        limit = time.monotonic() + within
        while self.since(after) < bookings:
            if self.errors:
                first = "".join(traceback.format_exception(self.errors[0]))
                raise AssertionError(f"{len(self.errors)} bookings failed; the first:\n{first}")
            if self.stop.is_set() or time.monotonic() > limit:
                raise AssertionError(
                    f"only {self.since(after)} of {bookings} bookings in {within:.0f}s "
                    f"(paid {len(self.confirmed)}, busy {self.busy}, stopped {self.stop.is_set()})"
                )
            await asyncio.sleep(0.1)

    def longest_gap(self) -> float:
        """The longest time no booking was paid, from the start of the load to its end."""
        moments = [self.started_at, *sorted(b.at for b in self.confirmed), self.ended_at]
        return max(later - earlier for earlier, later in pairwise(moments))

    def outage_around(self, moment: float) -> float:
        """How long fans went without a paid booking across ``moment``: from the last one before
        it to the first one after it."""
        before = max((b.at for b in self.confirmed if b.at <= moment), default=self.started_at)
        after = min((b.at for b in self.confirmed if b.at > moment), default=self.ended_at)
        return after - before

    async def _pace(self) -> None:
        now = time.monotonic()
        slot = max(now, self._next_slot)
        self._next_slot = slot + 1 / self.rate
        await asyncio.sleep(slot - now)

    def _going(self) -> bool:
        return not self.stop.is_set() and time.monotonic() < self.deadline

    async def _device(self, index: int, users: list[int]) -> None:
        # One unit of work per task, as each interaction of the bot has its own.
        uow = unit(self.engine)
        rng = random.Random(index)
        sections = list(self.stage.section_ids)
        rng.shuffle(sections)
        try:
            for user in users:
                bought = 0
                while bought < PER_FAN_LIMIT and self._going() and self._begun < self.cap:
                    await self._pace()
                    if not self._going():
                        return
                    self._begun += 1
                    quantity = min(rng.choice((1, 2)), PER_FAN_LIMIT - bought)
                    outcome = await self._book(uow, user, quantity, sections)
                    if outcome is None:
                        break  # this fan's cart is left unresolved: the next fan takes over
                    bought += len(outcome.seat_ids)
        except SoldOut:
            self.stop.set()
        except Exception as exc:
            self.errors.append(exc)
            self.stop.set()

    async def _press(self, action: Callable[..., Awaitable[T]], *args: object) -> T | None:
        """One press of a button: the answer, or None when the fan should press again. Domain
        refusals (sold out, seats taken) are the caller's to handle."""
        try:
            return await action(*args)
        except DomainError as refused:
            if not isinstance(refused, Busy):
                raise
            self.busy += 1
        except Exception as exc:
            # The bot would log this and apologise; only Busy should ever reach a fan.
            self.apologies.append(exc)
        await asyncio.sleep(PRESS_AGAIN_AFTER)
        return None

    async def _book(self, uow: UnitOfWork, user: int, quantity: int, sections: list[int]) -> Booking | None:
        hold_key = _key("hold")
        held = None
        while held is None:
            if time.monotonic() > self.deadline:
                return None
            request = HoldSeats(
                self.stage.event_id, fan(user), hold_key, section_id=sections[0], quantity=quantity
            )
            try:
                held = await self._press(hold_seats, request, uow, self.clock)
            except SeatUnavailable as refused:
                if "reason" not in refused.params:
                    raise
                # This section has no room for the party: the fan picks the other one.
                sections.append(sections.pop(0))
        pay = ConfirmHold(held.hold.id, fan(user), _key("pay"))
        while time.monotonic() <= self.deadline:
            order = await self._press(confirm_hold, pay, uow, self.clock)
            if order is None:
                continue
            booking = Booking(
                held.hold.id,
                order.order.id,
                user,
                order.order.amount,
                tuple(t.seat_id for t in order.tickets if t.seat_id is not None),
                time.monotonic(),
            )
            self.confirmed.append(booking)
            return booking
        self.unresolved.add(held.hold.id)
        return None


@dataclass(frozen=True)
class Audit:
    sold_seats: int
    active_tickets: int
    seats_sold_twice: list[int]
    orders_by_hold: dict[int, int]
    debits_per_order: Counter[str]
    balances: dict[int, int]
    spent: dict[int, int]
    ledger_balanced: bool


async def audit(url: str, stage: Stage) -> Audit:
    """Everything the checks compare, read in one transaction."""
    engine = make_engine(url)
    try:
        uow = SqlUnitOfWork(engine)
        async with uow.for_reading():
            conn = uow.connection
            event = stage.event_id
            sold_seat = (seats.c.event_id == event) & (seats.c.status == "sold")
            sold = (await conn.execute(select(func.count()).where(sold_seat))).scalar_one()
            active = tickets.c.status == "active"
            live_ticket = (tickets.c.event_id == event) & active
            live = (await conn.execute(select(func.count()).where(live_ticket))).scalar_one()
            twice = await conn.execute(
                select(tickets.c.seat_id)
                .where(tickets.c.event_id == event, active, tickets.c.seat_id.is_not(None))
                .group_by(tickets.c.seat_id)
                .having(func.count() > 1)
            )
            order_rows = await conn.execute(
                select(orders.c.hold_id, orders.c.id, orders.c.user_id, orders.c.amount).where(
                    orders.c.event_id == event
                )
            )
            by_hold: dict[int, int] = {}
            spent: Counter[int] = Counter()
            for hold_id, order_id, user_id, amount in order_rows:
                by_hold[hold_id] = order_id
                spent[user_id] += amount
            debits = await conn.execute(
                select(ledger_entries.c.txn_key).where(
                    ledger_entries.c.account_kind == "wallet", ledger_entries.c.amount < 0
                )
            )
            per_order = Counter(str(k) for (k,) in debits)
            balances = {u: await uow.ledger.balance(Account.wallet(u)) for u in stage.fans}
        totals = await ledger_totals(unit(engine))
    finally:
        await engine.dispose()
    return Audit(
        sold, live, [r[0] for r in twice], by_hold, per_order, balances, dict(spent), totals.balanced
    )


def check(seen: Audit, crowd: Crowd) -> list[str]:
    """Every way the database and what the fans were told disagree; empty when all is well."""
    problems: list[str] = []
    if seen.seats_sold_twice:
        problems.append(f"seats sold twice: {seen.seats_sold_twice[:10]}")
    if seen.sold_seats != seen.active_tickets:
        problems.append(f"{seen.sold_seats} seats sold but {seen.active_tickets} active tickets")
    missing = [b for b in crowd.confirmed if seen.orders_by_hold.get(b.hold_id) != b.order_id]
    if missing:
        problems.append(f"{len(missing)} paid bookings missing, e.g. {missing[:3]}")
    told = {b.hold_id for b in crowd.confirmed} | crowd.unresolved
    unknown = sorted(set(seen.orders_by_hold) - told)
    if unknown:
        problems.append(f"orders no fan paid for: holds {unknown[:10]}")
    doubled = {k: n for k, n in seen.debits_per_order.items() if n != 1}
    if doubled:
        problems.append(f"orders debited more than once: {list(doubled.items())[:5]}")
    if len(seen.debits_per_order) != len(seen.orders_by_hold):
        problems.append(f"{len(seen.orders_by_hold)} orders but {len(seen.debits_per_order)} wallet debits")
    wrong = {u: b for u, b in seen.balances.items() if b != START_BALANCE - seen.spent.get(u, 0) or b < 0}
    if wrong:
        problems.append(f"wallets that do not match their orders: {list(wrong.items())[:5]}")
    if not seen.ledger_balanced:
        problems.append("the ledger does not balance")
    return problems


def describe(errors: list[BaseException]) -> str:
    """How many of each error, and the first one's way out of Picket's own code."""
    kinds = Counter(f"{type(e).__name__}: {e}" for e in errors)
    if not errors:
        return "{}"
    ours = [f for f in traceback.extract_tb(errors[0].__traceback__) if "site-packages" not in f.filename]
    where = "".join(traceback.format_list(ours[-4:]))
    return f"{dict(kinds)}\nthe first, from:\n{where}"
