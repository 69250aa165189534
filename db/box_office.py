"""MariaDB's box office: each step of a sale is one stored-procedure call on a pooled connection.

tests/db/test_box_office.py holds it, SQLite's (db/sqlite_box_office.py) and the fake to one contract."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any
from weakref import WeakKeyDictionary

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.util import greenlet_spawn

from core.availability import AvailabilityCache
from core.batching import Batcher
from core.box_office import (
    MAX_TICKETS_PER_HOLD,
    BoxOffice,
    ConfirmPlan,
    ConfirmRefusal,
    ConfirmResult,
    FanFacts,
    HoldPlan,
    HoldRefusal,
    HoldResult,
    Look,
    SeatQuery,
    SeatsInFlight,
)
from core.errors import Busy, Retryable
from core.models import (
    Event,
    Order,
    Seat,
    SeatStatus,
    Ticket,
    TicketStatus,
)
from core.rules import RulesCache
from db.errors import is_retryable, is_retryable_driver_error, retry_reason
from db.repositories.events import event_from
from db.sqlite_box_office import SqliteBoxOffice


class ProcedureBoxOffice:
    """MariaDB: one call per step, on a connection straight from the engine's pool. Each procedure
    commits or rolls back itself and answers with one JSON document: a sale is three round trips.

    Events are kept here by version; a call sends the version it has and gets the event back only
    when the row has changed since, so the hot path does not rebuild and parse it every time."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self.in_flight = SeatsInFlight()
        self.availability = AvailabilityCache()
        self.rules = RulesCache()
        self.joins: Batcher[int, Any, Any] = Batcher()
        self._events: dict[int, Event] = {}
        # Which event each hold made here is for, so paying for it can send the version known.
        self._hold_events: dict[int, int] = {}

    async def _call(self, procedure: str, args: Sequence[Any]) -> dict[str, Any]:
        try:
            raw = await self._engine.raw_connection()
        except PoolTimeout:
            raise Busy() from None
        except Exception as exc:
            # A new connection refused or cut during its handshake (a node that just died): the run
            # is tried again, through HAProxy, on the node that takes over.
            if is_retryable(exc) or is_retryable_driver_error(exc):
                raise Retryable(str(exc), retry_reason(exc)) from exc
            raise
        try:
            return await _answer(raw.driver_connection, procedure, args)
        except BaseException as exc:
            # A connection that failed mid-call may hold half a conversation: never hand it out again.
            await greenlet_spawn(raw.invalidate)
            if isinstance(exc, Exception) and is_retryable_driver_error(exc):
                raise Retryable(str(exc), retry_reason(exc)) from exc
            raise
        finally:
            # Handing a connection back may close it (past the pool's size), which awaits the driver.
            await greenlet_spawn(raw.close)

    def _known(self, event_id: int | None) -> Event | None:
        return self._events.get(event_id) if event_id is not None else None

    def _event_of(self, answer: dict[str, Any], known: Event | None) -> Event | None:
        """The event as the answer has it: sent whole when it changed since the copy ``known`` (the
        one whose version went with the call; another call may have kept a newer one meanwhile)."""
        if answer.get("event") is not None:
            event = event_from(answer["event"])
            if len(self._events) >= EVENTS_KEPT:
                self._events.clear()
            self._events[event.id] = event
            return event
        if known is not None and known.version == answer.get("version"):
            return known
        return None

    async def look(self, event_id: int, query: SeatQuery, now: datetime) -> Look:
        ids = json.dumps(list(query.seat_ids)) if query.section_id is None else None
        row, number = query.after
        known = self._known(event_id)
        version = known.version if known is not None else 0
        args = (event_id, version, query.section_id, row, number, query.limit, now, ids)
        answer = await self._call("picket_look", args)
        event = self._event_of(answer, known)
        if event is None:
            return Look(None, [])
        sections = {int(k): v for k, v in (answer["sections"] or {}).items()}
        seats = [_seat(item, sections) for item in answer["seats"] or ()]
        span = None
        if query.section_id is not None and seats:
            _name, _price, first, last = sections[query.section_id]
            span = (first, last)
        return Look(event, seats, span)

    async def fan(self, event_id: int, user_id: int) -> FanFacts:
        answer = await self._call("picket_fan", (event_id, user_id))
        return FanFacts(answer["bought"], answer["balance"])

    async def hold(self, plan: HoldPlan) -> HoldResult:
        seats = list(plan.seat_ids) + [None] * (MAX_TICKETS_PER_HOLD - len(plan.seat_ids))
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
            *seats,
        )
        answer = await self._call("picket_hold", args)
        refusal = None if answer["code"] == "ok" else HoldRefusal(answer["code"])
        hold_id = answer.get("hold_id")
        if hold_id is not None:
            if len(self._hold_events) >= EVENTS_KEPT:
                self._hold_events.clear()
            self._hold_events[hold_id] = plan.event_id
        return HoldResult(
            hold_id, refusal, answer.get("open_cart"), answer.get("bought") or 0, answer.get("balance")
        )

    async def confirm(self, plan: ConfirmPlan) -> ConfirmResult:
        known = self._known(self._hold_events.pop(plan.hold_id, None))
        args = (
            plan.hold_id,
            plan.user_id,
            plan.guild_id,
            plan.client_key,
            plan.now,
            plan.holder_name,
            plan.locale,
            plan.seed,
            known.version if known is not None else 0,
        )
        answer = await self._call("picket_confirm", args)
        event = self._event_of(
            answer, known if known is not None and known.id == answer.get("event_id") else None
        )
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
        return ConfirmResult(None, event, order, tickets, answer["notice_id"], amount, answer.get("balance"))


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


def _seat(item: list[Any], sections: dict[int, list[Any]]) -> Seat:
    seat_id, section_id, row, number, status = item
    name, price, _first, _last = sections[section_id]
    return Seat(seat_id, section_id, name, row, number, price, SeatStatus(status))


# Events kept by a box office at most; a busy deployment sells far fewer at once.
EVENTS_KEPT = 10_000
# The hold procedure takes seat ids as separate parameters (p_s1 to p_s10): an IN list the index
# serves directly.
assert MAX_TICKETS_PER_HOLD == 10, "picket_hold takes ten seat parameters"

_OFFICES: WeakKeyDictionary[Engine, BoxOffice] = WeakKeyDictionary()


def box_office_for(engine: AsyncEngine) -> BoxOffice:
    """One box office per engine, so every request of a process shares its seats in flight."""
    office = _OFFICES.get(engine.sync_engine)
    if office is None:
        if engine.dialect.name == "mysql":
            office = ProcedureBoxOffice(engine)
        else:
            sqlite = SqliteBoxOffice(Path(engine.url.database or ""))
            event.listen(engine.sync_engine, "engine_disposed", lambda _engine: sqlite.close())
            office = sqlite
        _OFFICES[engine.sync_engine] = office
    return office
