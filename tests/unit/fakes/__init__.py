"""An in-memory unit of work with the database's semantics, for testing the core quickly.

tests/db/test_contract.py runs the same repository contract against it and both databases."""

from __future__ import annotations

import copy
from types import TracebackType
from typing import Self

from core.box_office import BoxOffice
from core.errors import Retryable
from core.ledger import Account
from core.models import FanStanding, Hold, SeatStatus
from core.ports import (
    AlertRepository,
    AppStateRepository,
    AuditRepository,
    EventRepository,
    FanRepository,
    GeneralAdmissionRepository,
    GuildRepository,
    HoldRepository,
    InterestRepository,
    LedgerRepository,
    MemberRepository,
    OrderRepository,
    Outbox,
    QueueRepository,
    SeatRepository,
    TicketRepository,
    WaitlistRepository,
)
from tests.unit.fakes.audit import FakeAudit
from tests.unit.fakes.booking import FakeFans, FakeGeneralAdmission, FakeHolds, FakeSeats
from tests.unit.fakes.box_office import FakeBoxOffice
from tests.unit.fakes.events import FakeAppState, FakeEvents, FakeGuilds
from tests.unit.fakes.members import FakeAlerts, FakeInterests, FakeMembers
from tests.unit.fakes.queues import FakeQueues
from tests.unit.fakes.sales import (
    ConstraintViolation,
    FakeLedger,
    FakeOrders,
    FakeOutbox,
    FakeTickets,
)
from tests.unit.fakes.state import OutboxRow, State
from tests.unit.fakes.waitlist import FakeWaitlist

__all__ = ["ConstraintViolation", "FakeUnitOfWork", "State"]


class FakeUnitOfWork:
    """Each entry works on a private copy of the committed state; ``commit`` publishes the copy and
    leaving without it throws the copy away, so a failed use case leaves no trace."""

    guilds: GuildRepository
    events: EventRepository
    seats: SeatRepository
    general_admission: GeneralAdmissionRepository
    holds: HoldRepository
    fans: FanRepository
    orders: OrderRepository
    tickets: TicketRepository
    ledger: LedgerRepository
    outbox: Outbox
    app_state: AppStateRepository
    waitlist: WaitlistRepository
    members: MemberRepository
    interests: InterestRepository
    alerts: AlertRepository
    queues: QueueRepository
    audit: AuditRepository
    box_office: BoxOffice

    def __init__(self) -> None:
        self.state = State()
        self._tx: State | None = None
        self.transactions = 0
        self.commits = 0
        # Commits still to refuse with Retryable, as a deadlock or a failover would.
        self.failing_commits = 0
        self.guilds = FakeGuilds(self._open_state)
        self.events = FakeEvents(self._open_state)
        self.seats = FakeSeats(self._open_state)
        self.general_admission = FakeGeneralAdmission(self._open_state)
        self.holds = FakeHolds(self._open_state)
        self.fans = FakeFans(self._open_state)
        self.orders = FakeOrders(self._open_state)
        self.tickets = FakeTickets(self._open_state)
        self.ledger = FakeLedger(self._open_state)
        self.outbox = FakeOutbox(self._open_state)
        self.app_state = FakeAppState(self._open_state)
        self.waitlist = FakeWaitlist(self._open_state)
        self.members = FakeMembers(self._open_state)
        self.interests = FakeInterests(self._open_state)
        self.alerts = FakeAlerts(self._open_state)
        self.queues = FakeQueues(self._open_state)
        self.audit = FakeAudit(self._open_state)
        self.box_office = FakeBoxOffice(lambda: self)

    def for_reading(self) -> Self:
        return self

    def _open_state(self) -> State:
        assert self._tx is not None, "the unit of work is not open"
        return self._tx

    async def __aenter__(self) -> Self:
        assert self._tx is None, "one unit of work serves one task at a time"
        self._tx = copy.deepcopy(self.state)
        self.transactions += 1
        return self

    async def commit(self) -> None:
        assert self._tx is not None, "the unit of work is not open"
        if self.failing_commits > 0:
            self.failing_commits -= 1
            raise Retryable("commit refused")
        self.state, self._tx = self._tx, copy.deepcopy(self._tx)
        self.commits += 1

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        # Anything written after the last commit belongs to a transaction nobody committed.
        self._tx = None

    # Reading the committed state, for assertions.

    def snapshot(self) -> State:
        return copy.deepcopy(self.state)

    def seat_ids(self, event_id: int, *labels: str) -> tuple[int, ...]:
        by_label = {
            self.state.seat(r).label: r.id for r in self.state.seats.values() if r.event_id == event_id
        }
        return tuple(by_label[label] for label in labels)

    def seat_status(self, seat_id: int) -> SeatStatus:
        return self.state.seats[seat_id].status

    def balance(self, account: Account) -> int:
        return self.state.balance(account)

    def standing(self, event_id: int, user_id: int) -> FanStanding:
        return self.state.fans.get((event_id, user_id), FanStanding(None, 0, None, 0, 0))

    def holds_of(self, user_id: int) -> list[Hold]:
        return [h for h in self.state.holds.values() if h.user_id == user_id]

    def messages(self) -> list[OutboxRow]:
        return list(self.state.outbox)

    def ga_taken(self, event_id: int) -> int:
        return self.state.general_admission[event_id].taken
