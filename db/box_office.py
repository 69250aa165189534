"""Box offices: on MariaDB each step of a sale is one stored-procedure call on a pooled connection; on
SQLite (and in the tests' fake) the same guarded writes run one by one inside one unit of work.

tests/db/test_box_office.py runs one contract against both and the fake."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any
from weakref import WeakKeyDictionary

from sqlalchemy.engine import Engine
from sqlalchemy.ext.asyncio import AsyncEngine

from core.box_office import (
    BoxOffice,
    ConfirmPlan,
    ConfirmRefusal,
    ConfirmResult,
    HoldPlan,
    HoldRefusal,
    HoldResult,
    Look,
    SeatQuery,
    SeatsInFlight,
)
from core.errors import DuplicateKey, InsufficientFunds, Retryable
from core.ledger import Account, Transfer
from core.models import (
    Event,
    EventStatus,
    HoldStatus,
    Order,
    Phase,
    Seat,
    SeatStatus,
    Ticket,
    TicketStatus,
)
from core.ports import NewHold, NewTicket, UnitOfWork
from db.errors import is_retryable_driver_error


class GenericBoxOffice:
    """The sale's guarded writes one statement at a time, in one unit of work that commits on success."""

    def __init__(self, new_uow: Callable[[], UnitOfWork]) -> None:
        self._new_uow = new_uow
        self.in_flight = SeatsInFlight()

    async def look(self, event_id: int, query: SeatQuery, now: datetime) -> Look:
        async with self._new_uow().for_reading() as uow:
            event = await uow.events.get(event_id)
            if event is None:
                return Look(None, [])
            if query.section_id is None:
                return Look(event, await uow.seats.seats(event_id, query.seat_ids))
            page = await uow.seats.free_page(event_id, query.section_id, now, query.after, query.limit)
        return Look(event, page.seats, page.row_span)

    async def hold(self, plan: HoldPlan) -> HoldResult:
        async with self._new_uow() as uow:
            event = await uow.events.get(plan.event_id)
            if event is None or event.phase(plan.now) is not Phase.ON_SALE:
                return HoldResult(None, HoldRefusal.CLOSED)
            if plan.amount > await uow.ledger.balance(Account.wallet(plan.user_id)):
                return HoldResult(None, HoldRefusal.FUNDS)
            new = NewHold(
                plan.event_id,
                plan.user_id,
                plan.quantity,
                plan.amount,
                plan.seat_ids,
                plan.expires_at,
                plan.client_key,
                plan.now,
            )
            try:
                hold_id = await uow.holds.add(new)
            except DuplicateKey:
                return HoldResult(None, HoldRefusal.REPEAT)
            if not await uow.fans.reserve(
                plan.event_id, plan.user_id, hold_id, plan.quantity, plan.limit, plan.now, plan.expires_at
            ):
                standing = await uow.fans.standing(plan.event_id, plan.user_id)
                if standing.has_open_cart(plan.now):
                    return HoldResult(None, HoldRefusal.CART, open_cart=standing.hold_id)
                return HoldResult(None, HoldRefusal.LIMIT, bought=standing.bought)
            if plan.seat_ids:
                claimed = await uow.seats.claim(
                    plan.event_id, plan.seat_ids, hold_id, plan.expires_at, plan.now
                )
                if claimed != len(plan.seat_ids):
                    return HoldResult(None, HoldRefusal.TAKEN)
            elif not await uow.general_admission.claim(plan.event_id, plan.quantity):
                return HoldResult(None, HoldRefusal.SOLD_OUT)
            await uow.commit()
        return HoldResult(hold_id)

    async def confirm(self, plan: ConfirmPlan) -> ConfirmResult:
        async with self._new_uow() as uow:
            hold = await uow.holds.get(plan.hold_id)
            event = await uow.events.get(hold.event_id) if hold is not None else None
            if (
                hold is None
                or event is None
                or hold.user_id != plan.user_id
                or event.guild_id != plan.guild_id
            ):
                return ConfirmResult(ConfirmRefusal.NOT_FOUND)
            if hold.status is HoldStatus.CONFIRMED:
                return ConfirmResult(ConfirmRefusal.CONFIRMED, event, amount=hold.amount)
            if event.status is EventStatus.CANCELLED:
                return ConfirmResult(ConfirmRefusal.CLOSED, event, amount=hold.amount)
            if not await uow.holds.finish(hold.id, HoldStatus.CONFIRMED, plan.now, only_if_live=True):
                again = await uow.holds.get(hold.id)
                confirmed = again is not None and again.status is HoldStatus.CONFIRMED
                refusal = ConfirmRefusal.CONFIRMED if confirmed else ConfirmRefusal.EXPIRED
                return ConfirmResult(refusal, event, amount=hold.amount)
            seats: list[Seat] = []
            if hold.seat_ids:
                if await uow.seats.sell_held(hold.id, hold.seat_ids) != len(hold.seat_ids):
                    return ConfirmResult(ConfirmRefusal.EXPIRED, event, amount=hold.amount)
                seats = await uow.seats.seats(event.id, hold.seat_ids)
            try:
                order_id = await uow.orders.add(hold, plan.client_key, plan.now)
            except DuplicateKey:
                return ConfirmResult(ConfirmRefusal.REPEAT, event, amount=hold.amount)
            new = _new_tickets(hold.quantity, event, seats, plan.secrets)
            issued = await uow.tickets.add_many(
                order_id, event.id, hold.user_id, plan.holder_name, new, plan.now
            )
            if hold.amount > 0:
                payment = Transfer(
                    txn_key=f"order:{order_id}",
                    source=Account.wallet(hold.user_id),
                    target=Account.payable(event.organizer_id),
                    amount=hold.amount,
                    memo=f"event:{event.id}",
                )
                try:
                    await uow.ledger.post(payment, plan.now)
                except InsufficientFunds:
                    return ConfirmResult(ConfirmRefusal.FUNDS, event, amount=hold.amount)
            await uow.fans.close_cart(event.id, hold.user_id, hold.id, bought=hold.quantity)
            payload = {"order_id": order_id, "user_id": hold.user_id, "locale": plan.locale}
            notice = await uow.outbox.add("tickets_issued", payload, plan.now)
            await uow.commit()
        order = Order(order_id, event.id, hold.user_id, hold.id, hold.amount, plan.now)
        return ConfirmResult(None, event, order, tuple(issued), notice, hold.amount)


def _new_tickets(
    quantity: int, event: Event, seats: Sequence[Seat], secrets: Sequence[str]
) -> list[NewTicket]:
    if seats:
        return [NewTicket(s.id, s.label, s.price, secret) for s, secret in zip(seats, secrets, strict=False)]
    return [NewTicket(None, None, event.ga_price or 0, secret) for secret in secrets[:quantity]]


class ProcedureBoxOffice:
    """MariaDB: one call per step, on a connection straight from the engine's pool. Each procedure
    commits or rolls back itself and answers with one JSON document: a sale is three round trips."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self.in_flight = SeatsInFlight()

    async def _call(self, procedure: str, args: Sequence[Any]) -> dict[str, Any]:
        raw = await self._engine.raw_connection()
        try:
            return await _answer(raw.driver_connection, procedure, args)
        except BaseException as exc:
            # A connection that failed mid-call may hold half a conversation: never hand it out again.
            raw.invalidate()
            if isinstance(exc, Exception) and is_retryable_driver_error(exc):
                raise Retryable(str(exc)) from exc
            raise
        finally:
            raw.close()

    async def look(self, event_id: int, query: SeatQuery, now: datetime) -> Look:
        ids = json.dumps(list(query.seat_ids)) if query.section_id is None else None
        row, number = query.after
        answer = await self._call(
            "picket_look", (event_id, query.section_id, row, number, query.limit, now, ids)
        )
        if answer["event"] is None:
            return Look(None, [])
        sections = {int(k): v for k, v in (answer["sections"] or {}).items()}
        seats = [_seat(item, sections) for item in answer["seats"] or ()]
        span = None
        if query.section_id is not None and seats:
            _name, _price, first, last = sections[query.section_id]
            span = (first, last)
        return Look(_event(answer["event"]), seats, span)

    async def hold(self, plan: HoldPlan) -> HoldResult:
        seats = json.dumps(list(plan.seat_ids)) if plan.seat_ids else None
        args = (
            plan.event_id,
            plan.user_id,
            plan.client_key,
            plan.quantity,
            plan.amount,
            plan.limit,
            plan.now,
            plan.expires_at,
            ",".join(str(s) for s in plan.seat_ids),
            seats,
        )
        answer = await self._call("picket_hold", args)
        refusal = None if answer["code"] == "ok" else HoldRefusal(answer["code"])
        return HoldResult(answer.get("hold_id"), refusal, answer.get("open_cart"), answer.get("bought") or 0)

    async def confirm(self, plan: ConfirmPlan) -> ConfirmResult:
        args = (
            plan.hold_id,
            plan.user_id,
            plan.guild_id,
            plan.client_key,
            plan.now,
            plan.holder_name,
            plan.locale,
            json.dumps(list(plan.secrets)),
        )
        answer = await self._call("picket_confirm", args)
        event = _event(answer["event"]) if answer.get("event") else None
        amount = answer.get("amount") or 0
        if answer["code"] != "ok":
            return ConfirmResult(ConfirmRefusal(answer["code"]), event, amount=amount)
        assert event is not None
        order = Order(answer["order_id"], event.id, plan.user_id, plan.hold_id, amount, plan.now)
        tickets = tuple(
            Ticket(
                ticket_id,
                order.id,
                event.id,
                plan.user_id,
                seat_id,
                label,
                price,
                TicketStatus.ACTIVE,
                secret,
                1,
                plan.user_id,
                plan.holder_name,
            )
            for ticket_id, seat_id, label, price, secret in answer["tickets"]
        )
        return ConfirmResult(None, event, order, tickets, answer["notice_id"], amount)


async def _answer(driver: Any, procedure: str, args: Sequence[Any]) -> dict[str, Any]:
    """The procedure's one JSON answer, once the call's last packet (after its COMMIT) has come."""
    async with driver.cursor() as cursor:
        # A plain CALL: the driver's callproc would first SET every argument, a round trip more.
        await cursor.execute(f"CALL {procedure}({', '.join(['%s'] * len(args))})", args)
        [(document,)] = await cursor.fetchall()
        while await cursor.nextset():
            pass
    answer: dict[str, Any] = json.loads(document)
    return answer


_TIMES = ("starts_at", "sale_opens_at", "created_at", "cancelled_at", "refunds_done_at")


def _event(document: dict[str, Any]) -> Event:
    values = dict(document)
    for name in _TIMES:
        if values[name] is not None:
            values[name] = datetime.fromisoformat(values[name])
    values["status"] = EventStatus(values["status"])
    values["use_queue"] = bool(values["use_queue"])
    return Event(**values)


def _seat(item: list[Any], sections: dict[int, list[Any]]) -> Seat:
    seat_id, section_id, row, number, status = item
    name, price, _first, _last = sections[section_id]
    return Seat(seat_id, section_id, name, row, number, price, SeatStatus(status))


_OFFICES: WeakKeyDictionary[Engine, BoxOffice] = WeakKeyDictionary()


def box_office_for(engine: AsyncEngine, new_uow: Callable[[], UnitOfWork]) -> BoxOffice:
    """One box office per engine, so every request of a process shares its seats in flight."""
    office = _OFFICES.get(engine.sync_engine)
    if office is None:
        mariadb = engine.dialect.name == "mysql"
        office = ProcedureBoxOffice(engine) if mariadb else GenericBoxOffice(new_uow)
        _OFFICES[engine.sync_engine] = office
    return office
