"""The box office: the reads and writes of a sale, each one call that is a transaction of its own.

Core decides what a sale is (which event, which seats, what it costs, who may buy); the box office
carries out the guarded writes atomically and says which guard refused, so the booking path costs a
handful of round trips however the database runs it (one stored procedure call each on MariaDB).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, Protocol

from core.availability import AvailabilityCache
from core.batching import Batcher
from core.models import Event, Order, Seat, Ticket
from core.rules import RulesCache

# Tickets one hold may take: one cart, one order, one DM of QR codes.
MAX_TICKETS_PER_HOLD = 10
# Rows up to this wide are read whole by best available. A wider row is read a page at a time, and
# its best block is the best of the part read (the part nearest the row's start), not of the row.
WHOLE_ROWS_UP_TO = 64


def page_size(limit: int, row_width: int) -> int:
    """How many free seats a look at a section reads (see SeatQuery)."""
    return max(limit, row_width) if row_width <= WHOLE_ROWS_UP_TO else limit


@dataclass(frozen=True)
class SeatQuery:
    """Seats to look at: the named ones, or free seats of a section in row order after a position,
    ``limit`` of them but never fewer than a row holds when rows are at most WHOLE_ROWS_UP_TO wide,
    so that a page's first row is whole."""

    seat_ids: tuple[int, ...] = ()
    section_id: int | None = None
    after: tuple[str, int] = ("", 0)
    limit: int = 0


@dataclass(frozen=True)
class Look:
    """An event as it stands, and the seats asked about (named seats with their status now; for a
    section, its free seats). ``row_span`` is the section's first and last seat number."""

    event: Event | None
    seats: list[Seat]
    row_span: tuple[int, int] | None = None


@dataclass(frozen=True)
class FanFacts:
    """What a fan has bought of an event and has in the wallet, read together."""

    bought: int
    balance: int


@dataclass(frozen=True)
class HoldPlan:
    event_id: int
    user_id: int
    client_key: str
    quantity: int
    amount: int
    seat_ids: tuple[int, ...]  # empty for general admission
    limit: int
    now: datetime
    expires_at: datetime


class HoldRefusal(StrEnum):
    CLOSED = "closed"  # the event is no longer on sale
    FUNDS = "funds"
    CART = "cart"  # the fan has another live cart for the event
    LIMIT = "limit"
    TAKEN = "taken"  # a seat was claimed by someone else first
    SOLD_OUT = "sold_out"  # general admission is full
    REPEAT = "repeat"  # this client key already made a hold


@dataclass(frozen=True)
class HoldResult:
    hold_id: int | None
    refusal: HoldRefusal | None = None
    open_cart: int | None = None
    bought: int = 0
    balance: int | None = None  # the wallet as the hold found it


@dataclass(frozen=True)
class ConfirmPlan:
    hold_id: int
    user_id: int
    guild_id: int
    client_key: str
    holder_name: str
    locale: str
    # A one-off random seed; each ticket's secret is derived from it (see ``ticket_secret``).
    seed: str
    now: datetime


class ConfirmRefusal(StrEnum):
    NOT_FOUND = "not_found"  # no such hold of this member in this server
    CONFIRMED = "confirmed"  # paid already (a twin request)
    CLOSED = "closed"  # the event was cancelled
    EXPIRED = "expired"
    FUNDS = "funds"
    REPEAT = "repeat"  # this client key already paid for another hold


@dataclass(frozen=True)
class ConfirmResult:
    refusal: ConfirmRefusal | None
    event: Event | None = None
    order: Order | None = None
    tickets: tuple[Ticket, ...] = ()
    notice_id: int | None = None
    amount: int = 0
    balance: int | None = None  # the fan's wallet once paid


def ticket_secret(seed: str, key: int) -> str:
    """A ticket's secret from the payment's random seed and its seat id (or its place number, from 1,
    for general admission): unguessable without the seed, which is never kept."""
    return hashlib.sha256(f"{seed}:{key}".encode()).hexdigest()[:16]


class SeatsInFlight:
    """Seats this process is claiming right now. Only advice: the claim itself is guarded by the
    database. Fans choosing at the same moment then take different seats instead of colliding."""

    def __init__(self) -> None:
        self._ids: set[int] = set()

    def __len__(self) -> int:
        return len(self._ids)

    def free_of(self, seats: Iterable[Seat]) -> list[Seat]:
        return [s for s in seats if s.id not in self._ids]

    @contextmanager
    def claiming(self, seat_ids: Iterable[int]) -> Iterator[None]:
        ids = set(seat_ids) - self._ids
        self._ids |= ids
        try:
            yield
        finally:
            self._ids -= ids


class BoxOffice(Protocol):
    in_flight: SeatsInFlight
    availability: AvailabilityCache
    rules: RulesCache
    # Fans joining a waiting room at the same moment, written together (core/services/queue.py).
    joins: Batcher[int, Any, Any]

    async def look(self, event_id: int, query: SeatQuery, now: datetime) -> Look: ...
    async def fan(self, event_id: int, user_id: int) -> FanFacts: ...
    async def hold(self, plan: HoldPlan) -> HoldResult:
        """Holds the seats (or general-admission places) and opens the fan's cart, all or nothing."""
        ...

    async def confirm(self, plan: ConfirmPlan) -> ConfirmResult:
        """Pays for a hold from the wallet, issues its tickets and queues their DM, all or nothing."""
        ...
