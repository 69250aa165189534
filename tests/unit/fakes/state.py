"""The fake's tables: plain records in dictionaries, copied whole at the start of each transaction."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from core.ledger import GUARDED_KINDS, Account, AccountKind
from core.models import (
    Alert,
    AlertKind,
    Event,
    EventRules,
    FanStanding,
    GuildConfig,
    Hold,
    Interest,
    LedgerEntry,
    LedgerTotals,
    MemberPrefs,
    NoticeStatus,
    Order,
    Queue,
    QueuePlace,
    Seat,
    SeatStatus,
    Ticket,
    WaitlistEntry,
)


@dataclass(frozen=True)
class SectionRow:
    id: int
    event_id: int
    name: str
    position: int
    price: int
    first_number: int = 1
    last_number: int = 1


@dataclass
class SeatRow:
    id: int
    event_id: int
    section_id: int
    row: str
    number: int
    status: SeatStatus = SeatStatus.AVAILABLE
    hold_id: int | None = None
    held_until: datetime | None = None

    def claimable(self, now: datetime) -> bool:
        """Free, or held by a hold whose time has run out (the sweeper may not have tidied it yet)."""
        if self.status is SeatStatus.AVAILABLE:
            return True
        return self.status is SeatStatus.HELD and self.held_until is not None and self.held_until <= now


@dataclass
class CapacityRow:
    capacity: int
    taken: int = 0
    returned: int = 0


@dataclass
class AlertRow:
    id: int
    event_id: int
    kind: AlertKind
    after_user: int = 0
    sent: int = 0
    done: bool = False

    def alert(self) -> Alert:
        return Alert(self.id, self.event_id, self.kind, self.after_user)


@dataclass
class LineRow:
    waiting: int
    closes_at: datetime


@dataclass(frozen=True)
class OrderRow:
    order: Order
    client_key: str


@dataclass
class OutboxRow:
    id: int
    kind: str
    payload: dict[str, Any]
    created_at: datetime
    status: NoticeStatus = NoticeStatus.PENDING
    attempts: int = 0
    claimed_until: datetime | None = None
    last_error: str | None = None


@dataclass
class State:
    last_ids: dict[str, int] = field(default_factory=dict)
    guilds: dict[int, GuildConfig] = field(default_factory=dict)
    events: dict[int, Event] = field(default_factory=dict)
    sections: dict[int, SectionRow] = field(default_factory=dict)
    seats: dict[int, SeatRow] = field(default_factory=dict)
    general_admission: dict[int, CapacityRow] = field(default_factory=dict)
    holds: dict[int, Hold] = field(default_factory=dict)
    fans: dict[tuple[int, int], FanStanding] = field(default_factory=dict)
    orders: dict[int, OrderRow] = field(default_factory=dict)
    tickets: dict[int, Ticket] = field(default_factory=dict)
    ticket_created_at: dict[int, datetime] = field(default_factory=dict)
    # Running balances exist for guarded accounts only, as in the database.
    accounts: dict[Account, int] = field(default_factory=dict)
    entries: list[LedgerEntry] = field(default_factory=list)
    outbox: list[OutboxRow] = field(default_factory=list)
    app_state: dict[str, str] = field(default_factory=dict)
    leases: dict[str, tuple[str, datetime]] = field(default_factory=dict)
    waitlist: dict[int, WaitlistEntry] = field(default_factory=dict)
    lines: dict[int, LineRow] = field(default_factory=dict)
    members: dict[int, MemberPrefs] = field(default_factory=dict)
    interests: dict[int, Interest] = field(default_factory=dict)
    alerts: dict[int, AlertRow] = field(default_factory=dict)
    announcements: dict[int, tuple[int, int]] = field(default_factory=dict)
    posts_shown: dict[int, str] = field(default_factory=dict)
    rules: dict[int, EventRules] = field(default_factory=dict)
    staff: set[tuple[int, int]] = field(default_factory=set)
    queues: dict[int, Queue] = field(default_factory=dict)
    places: dict[tuple[int, int], QueuePlace] = field(default_factory=dict)
    joined: dict[tuple[int, int], datetime] = field(default_factory=dict)

    def new_id(self, table: str) -> int:
        self.last_ids[table] = self.last_ids.get(table, 0) + 1
        return self.last_ids[table]

    def seat(self, row: SeatRow) -> Seat:
        section = self.sections[row.section_id]
        return Seat(row.id, row.section_id, section.name, row.row, row.number, section.price, row.status)

    def seat_order(self, row: SeatRow) -> tuple[int, str, int]:
        return (self.sections[row.section_id].position, row.row, row.number)

    def balance(self, account: Account) -> int:
        if account.guarded:
            return self.accounts.get(account, 0)
        return sum(e.amount for e in self.entries if (e.account_kind, e.owner_id) == _key(account))

    def totals(self) -> LedgerTotals:
        per_account: defaultdict[tuple[str, int], int] = defaultdict(int)
        for entry in self.entries:
            per_account[entry.account_kind, entry.owner_id] += entry.amount
        unguarded = sum(
            total for (kind, _), total in per_account.items() if AccountKind(kind) not in GUARDED_KINDS
        )
        mismatched = sum(
            1 for account, balance in self.accounts.items() if balance != per_account[_key(account)]
        )
        return LedgerTotals(
            entries_sum=sum(per_account.values()),
            balances_sum=sum(self.accounts.values()) + unguarded,
            mismatched_accounts=mismatched,
        )


def _key(account: Account) -> tuple[str, int]:
    return (account.kind.value, account.owner_id)


class Repo:
    """Reaches the open transaction's copy on every call, so use outside a transaction fails loudly."""

    def __init__(self, state: Callable[[], State]) -> None:
        self._state = state

    @property
    def db(self) -> State:
        return self._state()
