"""SQLite's box office: each step of a sale runs whole on a worker thread with a connection of its own,
so a hold or a payment is one hand-off from the event loop instead of one per statement.

The statements are those of MariaDB's stored procedures (db/migrations/versions/0005_box_office.py)
written for SQLite; tests/db/test_box_office.py holds both to the same contract."""

from __future__ import annotations

import asyncio
import json
import sqlite3
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

from core.availability import AvailabilityCache
from core.batching import Batcher
from core.box_office import (
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
    page_size,
    ticket_secret,
)
from core.errors import Retryable
from core.models import Event, Order, Seat, SeatStatus, Ticket, TicketStatus
from core.rules import RulesCache
from db.engine import SQLITE_BUSY_TIMEOUT_MS, SQLITE_PRAGMAS
from db.repositories.events import event_from

T = TypeVar("T")
# SQLite has one writer at a time: a few threads keep readers going beside it.
WORKERS = 4
_EVENT_COLUMNS = tuple(Event.__dataclass_fields__)


FAN = """
SELECT COALESCE((SELECT bought FROM fan_events WHERE event_id = ? AND user_id = ?), 0),
       COALESCE((SELECT balance FROM accounts WHERE kind = 'wallet' AND owner_id = ?), 0)
"""


def stored(moment: datetime) -> str:
    """A time as SQLAlchemy stores it in SQLite, so that comparisons in SQL agree with its rows."""
    return moment.strftime("%Y-%m-%d %H:%M:%S.%f")


class SqliteBoxOffice:
    def __init__(self, path: Path) -> None:
        self._path = path
        self._local = threading.local()
        self._threads = ThreadPoolExecutor(WORKERS, thread_name_prefix="picket-box-office")
        self._opened: list[sqlite3.Connection] = []
        self.in_flight = SeatsInFlight()
        self.availability = AvailabilityCache()
        self.rules = RulesCache()
        self.joins: Batcher[int, Any, Any] = Batcher()

    def _connection(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(
                self._path,
                isolation_level=None,
                timeout=SQLITE_BUSY_TIMEOUT_MS / 1000,
                check_same_thread=False,  # only so that close() may end them from another thread
            )
            for pragma in SQLITE_PRAGMAS:
                conn.execute(pragma)
            self._local.conn = conn
            self._opened.append(conn)
        return conn

    def close(self) -> None:
        """Ends the worker threads and their connections (when the engine is disposed)."""
        self._threads.shutdown(wait=True)
        for conn in self._opened:
            conn.close()
        self._opened.clear()

    async def _run(self, step: Callable[[sqlite3.Connection], T]) -> T:
        def in_thread() -> T:
            conn = self._connection()
            try:
                return step(conn)
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise

        try:
            return await asyncio.get_running_loop().run_in_executor(self._threads, in_thread)
        except sqlite3.OperationalError as exc:
            if "locked" in str(exc) or "busy" in str(exc):
                raise Retryable(str(exc), "conflict") from exc
            raise

    async def look(self, event_id: int, query: SeatQuery, now: datetime) -> Look:
        return await self._run(lambda conn: _look(conn, event_id, query, stored(now)))

    async def fan(self, event_id: int, user_id: int) -> FanFacts:
        return await self._run(
            lambda conn: FanFacts(*conn.execute(FAN, (event_id, user_id, user_id)).fetchone())
        )

    async def hold(self, plan: HoldPlan) -> HoldResult:
        return await self._run(lambda conn: _hold(conn, plan))

    async def confirm(self, plan: ConfirmPlan) -> ConfirmResult:
        return await self._run(lambda conn: _confirm(conn, plan))


def _event(conn: sqlite3.Connection, event_id: int | None) -> Event | None:
    if event_id is None:
        return None
    columns = ", ".join(_EVENT_COLUMNS)
    row = conn.execute(f"SELECT {columns} FROM events WHERE id = ?", (event_id,)).fetchone()
    if row is None:
        return None
    return event_from(dict(zip(_EVENT_COLUMNS, row, strict=True)))


_SEAT = "s.id, s.section_id, sec.name, s.row_label, s.number, sec.price"
# Free, or held by a lapsed hold while nobody waits for the event (then it is the waitlist's).
# Parameters: now, the event id.
_CLAIMABLE = (
    "({seat}status = 'available' OR ({seat}status = 'held' AND {seat}held_until <= ?"
    " AND NOT EXISTS (SELECT 1 FROM waitlist_lines w WHERE w.event_id = ? AND w.waiting > 0)))"
)


def _look(conn: sqlite3.Connection, event_id: int, query: SeatQuery, now: str) -> Look:
    conn.execute("BEGIN")
    try:
        event = _event(conn, event_id)
        if event is None:
            return Look(None, [])
        if query.section_id is None:
            marks = ", ".join("?" * len(query.seat_ids))
            rows = conn.execute(
                f"SELECT {_SEAT}, s.status FROM seats s JOIN sections sec ON sec.id = s.section_id"
                f" WHERE s.event_id = ? AND s.id IN ({marks}) ORDER BY sec.position, s.row_label, s.number",
                (event_id, *query.seat_ids),
            ).fetchall()
            return Look(event, [_seat(row, SeatStatus(row[6])) for row in rows])
        row, number = query.after
        span = conn.execute(
            "SELECT last_number - first_number + 1 FROM sections WHERE id = ? AND event_id = ?",
            (query.section_id, event_id),
        ).fetchone()
        size = page_size(query.limit, span[0] if span else 0)
        rows = conn.execute(
            f"SELECT {_SEAT}, sec.first_number, sec.last_number"
            " FROM seats s JOIN sections sec ON sec.id = s.section_id"
            " WHERE s.section_id = ? AND s.event_id = ?"
            f"   AND {_CLAIMABLE.format(seat='s.')}"
            "   AND (s.row_label > ? OR (s.row_label = ? AND s.number > ?))"
            " ORDER BY s.row_label, s.number LIMIT ?",
            (query.section_id, event_id, now, event_id, row, row, number, size),
        ).fetchall()
    finally:
        conn.execute("COMMIT")
    seats = [_seat(r, SeatStatus.AVAILABLE) for r in rows]
    return Look(event, seats, (rows[0][6], rows[0][7]) if rows else None)


def _seat(row: Any, status: SeatStatus) -> Seat:
    return Seat(row[0], row[1], row[2], row[3], row[4], row[5], status)


def _hold(conn: sqlite3.Connection, plan: HoldPlan) -> HoldResult:
    now, expires = stored(plan.now), stored(plan.expires_at)
    conn.execute("BEGIN IMMEDIATE")
    on_sale, balance = conn.execute(
        "SELECT (SELECT COUNT(*) FROM events WHERE id = ? AND status = 'published'"
        "        AND sale_opens_at <= ? AND starts_at > ?),"
        " (SELECT COALESCE(MAX(balance), 0) FROM accounts WHERE kind = 'wallet' AND owner_id = ?)",
        (plan.event_id, now, now, plan.user_id),
    ).fetchone()
    refusal = _refused_before(on_sale, balance, plan)
    if refusal is not None:
        conn.execute("ROLLBACK")
        return HoldResult(None, refusal)
    try:
        hold_id = conn.execute(
            "INSERT INTO holds (event_id, user_id, quantity, amount, seat_ids, status, expires_at,"
            " client_key, created_at) VALUES (?, ?, ?, ?, ?, 'active', ?, ?, ?)",
            (
                plan.event_id,
                plan.user_id,
                plan.quantity,
                plan.amount,
                ",".join(str(s) for s in plan.seat_ids),
                expires,
                plan.client_key,
                now,
            ),
        ).lastrowid
    except sqlite3.IntegrityError:
        conn.execute("ROLLBACK")
        return HoldResult(None, HoldRefusal.REPEAT)
    assert hold_id is not None
    conn.execute(
        "INSERT OR IGNORE INTO fan_events (event_id, user_id, held, bought, holding) VALUES (?, ?, 0, 0, 0)",
        (plan.event_id, plan.user_id),
    )
    opened = conn.execute(
        "UPDATE fan_events SET hold_id = ?, held = ?, hold_expires_at = ?"
        " WHERE event_id = ? AND user_id = ? AND (hold_id IS NULL OR hold_expires_at <= ?)"
        "   AND bought + ? <= ? AND holding + ? <= ?",
        (hold_id, plan.quantity, expires, plan.event_id, plan.user_id, now) + (plan.quantity, plan.limit) * 2,
    ).rowcount
    result = _claim(conn, plan, hold_id, now, expires) if opened else _why_not(conn, plan, now)
    conn.execute("COMMIT" if result.refusal is None else "ROLLBACK")
    return replace(result, balance=balance)


def _refused_before(on_sale: int, balance: int, plan: HoldPlan) -> HoldRefusal | None:
    if not on_sale:
        return HoldRefusal.CLOSED
    if balance < plan.amount:
        return HoldRefusal.FUNDS
    if plan.quantity > plan.limit:
        return HoldRefusal.LIMIT
    return None


def _why_not(conn: sqlite3.Connection, plan: HoldPlan, now: str) -> HoldResult:
    cart, until, bought = conn.execute(
        "SELECT hold_id, hold_expires_at, bought FROM fan_events WHERE event_id = ? AND user_id = ?",
        (plan.event_id, plan.user_id),
    ).fetchone()
    if cart is not None and until is not None and until > now:
        return HoldResult(None, HoldRefusal.CART, open_cart=cart)
    return HoldResult(None, HoldRefusal.LIMIT, bought=bought)


def _claim(conn: sqlite3.Connection, plan: HoldPlan, hold_id: int, now: str, expires: str) -> HoldResult:
    if not plan.seat_ids:
        taken = conn.execute(
            "UPDATE general_admission SET taken = taken + ? WHERE event_id = ? AND taken + ? <= capacity",
            (plan.quantity, plan.event_id, plan.quantity),
        ).rowcount
        return HoldResult(hold_id) if taken else HoldResult(None, HoldRefusal.SOLD_OUT)
    marks = ", ".join("?" * len(plan.seat_ids))
    claimed = conn.execute(
        f"UPDATE seats SET status = 'held', hold_id = ?, held_until = ? WHERE id IN ({marks})"
        f" AND event_id = ? AND {_CLAIMABLE.format(seat='')}",
        (hold_id, expires, *plan.seat_ids, plan.event_id, now, plan.event_id),
    ).rowcount
    return HoldResult(hold_id) if claimed == len(plan.seat_ids) else HoldResult(None, HoldRefusal.TAKEN)


def _confirm(conn: sqlite3.Connection, plan: ConfirmPlan) -> ConfirmResult:
    now = stored(plan.now)
    conn.execute("BEGIN IMMEDIATE")
    found = conn.execute(
        "SELECT h.event_id, h.quantity, h.amount, h.status, h.seat_ids <> '', e.guild_id, e.status"
        " FROM holds h JOIN events e ON e.id = h.event_id WHERE h.id = ? AND h.user_id = ?",
        (plan.hold_id, plan.user_id),
    ).fetchone()
    if found is None or found[5] != plan.guild_id:
        conn.execute("ROLLBACK")
        return ConfirmResult(ConfirmRefusal.NOT_FOUND)
    event_id, quantity, amount, status, seated, _guild, event_status = found
    event = _event(conn, event_id)
    assert event is not None
    refusal = _payable(conn, plan, status, event_status, seated, quantity, now)
    if refusal is not None:
        conn.execute("ROLLBACK")
        return ConfirmResult(refusal, event, amount=amount)
    try:
        order_id = conn.execute(
            "INSERT INTO orders (event_id, user_id, hold_id, client_key, amount, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (event_id, plan.user_id, plan.hold_id, plan.client_key, amount, now),
        ).lastrowid
    except sqlite3.IntegrityError:
        conn.execute("ROLLBACK")
        return ConfirmResult(ConfirmRefusal.REPEAT, event, amount=amount)
    assert order_id is not None
    tickets = _issue(conn, plan, event, order_id, quantity, bool(seated), now)
    if amount > 0 and not _pay(conn, plan, event, order_id, amount, now):
        conn.execute("ROLLBACK")
        return ConfirmResult(ConfirmRefusal.FUNDS, event, amount=amount)
    conn.execute(
        "UPDATE fan_events SET hold_id = NULL, held = 0, hold_expires_at = NULL,"
        " bought = bought + ?, holding = holding + ? WHERE event_id = ? AND user_id = ? AND hold_id = ?",
        (quantity, quantity, event_id, plan.user_id, plan.hold_id),
    )
    payload = json.dumps({"order_id": order_id, "user_id": plan.user_id, "locale": plan.locale})
    notice = conn.execute(
        "INSERT INTO outbox (kind, payload, created_at, attempts, status)"
        " VALUES ('tickets_issued', ?, ?, 0, 'pending')",
        (payload, now),
    ).lastrowid
    (left,) = conn.execute(
        "SELECT COALESCE(MAX(balance), 0) FROM accounts WHERE kind = 'wallet' AND owner_id = ?",
        (plan.user_id,),
    ).fetchone()
    conn.execute("COMMIT")
    order = Order(order_id, event_id, plan.user_id, plan.hold_id, amount, plan.now)
    return ConfirmResult(None, event, order, tickets, notice, amount, left)


def _payable(
    conn: sqlite3.Connection,
    plan: ConfirmPlan,
    status: str,
    event_status: str,
    seated: int,
    quantity: int,
    now: str,
) -> ConfirmRefusal | None:
    if status == "confirmed":
        return ConfirmRefusal.CONFIRMED
    if event_status == "cancelled":
        return ConfirmRefusal.CLOSED
    finished = conn.execute(
        "UPDATE holds SET status = 'confirmed' WHERE id = ? AND status = 'active' AND expires_at > ?",
        (plan.hold_id, now),
    ).rowcount
    if not finished:
        return ConfirmRefusal.EXPIRED
    if seated:
        sold = conn.execute(
            "UPDATE seats SET status = 'sold', held_until = NULL WHERE hold_id = ? AND status = 'held'",
            (plan.hold_id,),
        ).rowcount
        if sold != quantity:
            return ConfirmRefusal.EXPIRED
    return None


def _issue(
    conn: sqlite3.Connection,
    plan: ConfirmPlan,
    event: Event,
    order_id: int,
    quantity: int,
    seated: bool,
    now: str,
) -> tuple[Ticket, ...]:
    if seated:
        seats = conn.execute(
            "SELECT s.id, sec.name || ' ' || s.row_label || s.number, sec.price"
            " FROM seats s JOIN sections sec ON sec.id = s.section_id"
            " WHERE s.hold_id = ? AND s.status = 'sold' ORDER BY sec.position, s.row_label, s.number",
            (plan.hold_id,),
        ).fetchall()
        wanted = [
            (seat_id, label, price, ticket_secret(plan.seed, seat_id)) for seat_id, label, price in seats
        ]
    else:
        price = event.ga_price or 0
        wanted = [(None, None, price, ticket_secret(plan.seed, n)) for n in range(1, quantity + 1)]
    issued = []
    for seat_id, label, price, secret in wanted:
        holder = (plan.user_id, plan.user_id, plan.holder_name)
        ticket_id = conn.execute(
            "INSERT INTO tickets (order_id, event_id, holder_id, buyer_id, holder_name, seat_id,"
            " live_seat_id, seat_label, price, status, secret, version, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'active', ?, 1, ?)",
            (order_id, event.id, *holder, seat_id, seat_id, label, price, secret, now),
        ).lastrowid
        assert ticket_id is not None
        issued.append(
            Ticket(
                ticket_id,
                order_id,
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
        )
    return tuple(issued)


def _pay(
    conn: sqlite3.Connection, plan: ConfirmPlan, event: Event, order_id: int, amount: int, now: str
) -> bool:
    key, memo = f"order:{order_id}", f"event:{event.id}"
    conn.execute(
        "INSERT INTO ledger_entries (txn_key, account_kind, owner_id, amount, memo, created_at)"
        " VALUES (?, 'wallet', ?, ?, ?, ?), (?, 'payable', ?, ?, ?, ?)",
        (key, plan.user_id, -amount, memo, now, key, event.organizer_id, amount, memo, now),
    )
    paid = conn.execute(
        "UPDATE accounts SET balance = balance - ? WHERE kind = 'wallet' AND owner_id = ? AND balance >= ?",
        (amount, plan.user_id, amount),
    ).rowcount
    return bool(paid)
