"""What the domain needs from storage. The database layer and the test fakes both provide it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from types import TracebackType
from typing import Any, Protocol, Self

from core.box_office import BoxOffice
from core.layout import SectionSpec
from core.ledger import Account, Transfer
from core.models import (
    Alert,
    AlertKind,
    Attendee,
    Event,
    EventQuery,
    EventRules,
    FanStanding,
    GuildConfig,
    Hold,
    Interest,
    InterestKind,
    LedgerEntry,
    LedgerTotals,
    MemberPrefs,
    NewWaitlistEntry,
    Notice,
    Order,
    Queue,
    QueuePlace,
    Recipient,
    Seat,
    SeatStatus,
    SectionAvailability,
    Ticket,
    WaitlistEntry,
    WaitlistStatus,
)


@dataclass(frozen=True)
class NewEvent:
    guild_id: int
    organizer_id: int
    title: str
    description: str
    venue: str
    category: str
    starts_at: datetime
    sale_opens_at: datetime
    per_user_limit: int
    hold_minutes: int
    currency: str
    ga_capacity: int | None
    ga_price: int | None
    refund_cutoff_hours: int
    created_at: datetime
    use_queue: bool = False


@dataclass(frozen=True)
class NewHold:
    event_id: int
    user_id: int
    quantity: int
    amount: int
    seat_ids: tuple[int, ...]
    expires_at: datetime
    client_key: str
    created_at: datetime


@dataclass(frozen=True)
class SeatPage:
    seats: list[Seat]
    row_span: tuple[int, int] | None


@dataclass(frozen=True)
class NewTicket:
    seat_id: int | None
    seat_label: str | None
    price: int
    secret: str


class EventRepository(Protocol):
    async def add(self, event: NewEvent) -> int: ...
    async def get(self, event_id: int) -> Event | None: ...
    async def set_status(self, event_id: int, status: str, *, only_from: str | None = None) -> bool:
        """Whether the event now has ``status`` by this call; with ``only_from``, only from that status."""
        ...

    async def update(self, event_id: int, changes: dict[str, Any]) -> None: ...
    async def upcoming(self, query: EventQuery, now: datetime) -> tuple[list[Event], int]:
        """Published events starting after ``now`` that match, soonest first, and how many match."""
        ...

    async def search(
        self, guild_id: int, viewer_id: int, text: str, now: datetime, limit: int
    ) -> list[Event]:
        """Events whose title contains ``text``: upcoming published ones plus the viewer's own drafts."""
        ...

    async def tickets_sold(self, event_id: int) -> int: ...
    async def announced(
        self, event_id: int, channel_id: int, message_id: int, shown: str | None = None
    ) -> None: ...
    async def rules(self, event_id: int) -> EventRules: ...
    async def set_rules(self, rules: EventRules) -> None: ...
    async def staff(self, event_id: int) -> list[int]: ...
    async def add_staff(self, event_id: int, user_id: int) -> bool: ...
    async def remove_staff(self, event_id: int, user_id: int) -> bool: ...
    async def announcement(self, event_id: int) -> tuple[int, int] | None:
        """The channel and message of the event's public post, if it has one."""
        ...

    async def posts(self, since: datetime, limit: int) -> list[tuple[int, str | None]]:
        """Posts of published or cancelled events starting after ``since``, soonest first, each with
        what it last showed."""
        ...

    async def post_shows(self, event_id: int, was: str | None, now: str) -> bool:
        """Records that the post will show ``now``, if it still showed ``was`` (one process wins)."""
        ...

    async def awaiting_refunds(self, limit: int) -> list[int]:
        """Cancelled events whose refunds are not finished yet, oldest cancellation first."""
        ...


class GuildRepository(Protocol):
    async def get(self, guild_id: int) -> GuildConfig | None: ...
    async def save(self, config: GuildConfig) -> None: ...


class SeatRepository(Protocol):
    async def add_layout(self, event_id: int, sections: Sequence[SectionSpec]) -> int: ...
    async def seats(self, event_id: int, seat_ids: Sequence[int]) -> list[Seat]: ...
    async def free_page(
        self, event_id: int, section_id: int, now: datetime, after: tuple[str, int], limit: int
    ) -> SeatPage:
        """Up to ``limit`` free seats of a section (a lapsed hold's count as free) in row and number
        order after ``after``, and the section's span of seat numbers."""
        ...

    async def claim(
        self, event_id: int, seat_ids: Sequence[int], hold_id: int, until: datetime, now: datetime
    ) -> int: ...
    async def sell_held(self, hold_id: int, seat_ids: Sequence[int]) -> int: ...
    async def release_held(self, hold_id: int, to: SeatStatus = SeatStatus.AVAILABLE) -> int: ...
    async def release_sold(self, seat_id: int, to: SeatStatus = SeatStatus.AVAILABLE) -> int:
        """Frees a sold seat: for anyone (``AVAILABLE``) or for the waitlist first (``RETURNED``)."""
        ...

    async def for_waitlist(self, event_id: int, limit: int) -> list[Seat]:
        """Seats a waiting fan may be given: returned or available, in section, row and number order."""
        ...

    async def give(self, event_id: int, seat_ids: Sequence[int], hold_id: int) -> int:
        """Sells returned or available seats straight to ``hold_id``; how many it got."""
        ...

    async def reopen_returned(self, event_id: int) -> int:
        """Returned seats no waiting fan could take go on general sale."""
        ...

    async def availability(self, event_id: int, now: datetime) -> list[SectionAvailability]: ...
    async def seat_map(self, event_id: int, now: datetime) -> list[Seat]:
        """Every seat with its status as a fan would see it now (a lapsed hold shows as available)."""
        ...


class GeneralAdmissionRepository(Protocol):
    async def claim(self, event_id: int, quantity: int) -> bool: ...
    async def release(self, event_id: int, quantity: int, *, to_waitlist: bool = False) -> None:
        """Gives places back: to anyone, or kept aside for the waitlist first."""
        ...

    async def taken(self, event_id: int) -> int: ...
    async def for_waitlist(self, event_id: int) -> int:
        """Places a waiting fan may be given: returned ones and those never sold."""
        ...

    async def give(self, event_id: int, quantity: int) -> bool:
        """Takes places for a waiting fan, returned ones first."""
        ...

    async def reopen_returned(self, event_id: int) -> int: ...


class HoldRepository(Protocol):
    async def add(self, hold: NewHold) -> int: ...
    async def get(self, hold_id: int) -> Hold | None: ...
    async def by_client_key(self, client_key: str) -> Hold | None: ...
    async def finish(self, hold_id: int, status: str, now: datetime, *, only_if_live: bool) -> bool: ...
    async def due(self, now: datetime, limit: int, event_id: int | None = None) -> list[int]: ...
    async def live_for_event(self, event_id: int) -> list[int]: ...


class FanRepository(Protocol):
    async def reserve(
        self,
        event_id: int,
        user_id: int,
        hold_id: int,
        quantity: int,
        limit: int,
        now: datetime,
        expires_at: datetime,
    ) -> bool:
        """Opens the fan's one cart of this event, unless another is live or ``quantity`` more would
        take their purchases or their tickets in hand past ``limit``."""
        ...

    async def standing(self, event_id: int, user_id: int) -> FanStanding: ...
    async def close_cart(self, event_id: int, user_id: int, hold_id: int, bought: int) -> None:
        """Ends the fan's cart; ``bought`` tickets count as bought and as in hand."""
        ...

    async def returned(self, event_id: int, user_id: int, quantity: int) -> None:
        """Tickets this fan bought were cancelled: they may buy that many again."""
        ...

    async def let_go(self, event_id: int, user_id: int, quantity: int) -> None:
        """Tickets left this fan's hands (cancelled or given away)."""
        ...

    async def wait(self, event_id: int, user_id: int, quantity: int, limit: int, now: datetime) -> bool:
        """A place on the waitlist for ``quantity`` counts as bought and in hand from the moment the fan
        joins, so the limit holds whatever comes back; False when it would pass ``limit``."""
        ...

    async def receive(self, event_id: int, user_id: int, quantity: int, limit: int, now: datetime) -> bool:
        """Tickets handed to a fan (a transfer) count in hand: with a live cart, up to the limit; False
        when over it."""
        ...


class OrderRepository(Protocol):
    async def add(self, hold: Hold, client_key: str, now: datetime) -> int: ...
    async def by_hold(self, hold_id: int) -> Order | None: ...
    async def get(self, order_id: int) -> Order | None: ...


class TicketRepository(Protocol):
    async def add_many(
        self,
        order_id: int,
        event_id: int,
        holder_id: int,
        holder_name: str,
        tickets: Sequence[NewTicket],
        now: datetime,
    ) -> list[Ticket]:
        """Issues tickets bought by ``holder_id``, who is their first holder too."""
        ...

    async def for_order(self, order_id: int) -> list[Ticket]: ...
    async def get(self, ticket_id: int) -> Ticket | None: ...
    async def for_holder(self, holder_id: int, event_id: int | None = None) -> list[Ticket]: ...
    async def cancel(self, ticket_id: int, now: datetime) -> bool: ...
    async def transfer(
        self, ticket_id: int, from_holder: int, to_holder: int, to_name: str, secret: str, max_transfers: int
    ) -> bool:
        """Moves a live ticket that has changed hands fewer than ``max_transfers`` times to a new holder
        with a new secret, so the old code stops working."""
        ...

    async def live_for_event(self, event_id: int, limit: int) -> list[Ticket]: ...
    async def attendees(self, event_id: int) -> list[Attendee]: ...
    async def any_issued(self) -> bool: ...
    async def check_in(self, ticket_id: int, version: int, by: int, now: datetime) -> bool:
        """Marks a live ticket of this version used, unless it was already: one winner per ticket."""
        ...

    async def superseded(self, event_id: int) -> list[tuple[int, int]]:
        """Tickets of the event whose earlier codes no longer admit anyone: (ticket, the version a
        code must carry now), 0 for a cancelled ticket, whose every code is void."""
        ...


class LedgerRepository(Protocol):
    async def open(self, account: Account) -> None: ...
    async def balance(self, account: Account) -> int: ...
    async def post(self, transfer: Transfer, now: datetime) -> None:
        """Applies both legs; raises DuplicateKey if the key was used, InsufficientFunds past a guard."""
        ...

    async def entries(self, account: Account, limit: int) -> list[LedgerEntry]: ...
    async def totals(self) -> LedgerTotals: ...


class WaitlistRepository(Protocol):
    async def add(self, entry: NewWaitlistEntry) -> int:
        """Raises DuplicateKey when the fan already waits for this event or the client key was used."""
        ...

    async def get(self, entry_id: int) -> WaitlistEntry | None: ...
    async def by_client_key(self, client_key: str) -> WaitlistEntry | None: ...
    async def waiting_for(self, event_id: int, user_id: int) -> WaitlistEntry | None: ...
    async def of_fan(self, user_id: int) -> list[WaitlistEntry]:
        """The fan's waiting entries, oldest first."""
        ...

    async def place(self, entry: WaitlistEntry) -> int:
        """1 for the first in line."""
        ...

    async def in_line(self, event_id: int, limit: int) -> list[WaitlistEntry]: ...
    async def finish(
        self, entry_id: int, status: WaitlistStatus, now: datetime, order_id: int | None = None
    ) -> bool:
        """Ends a waiting entry (and counts it out of its line); False when it had ended already."""
        ...

    async def open_line(self, event_id: int, closes_at: datetime) -> None:
        """Counts one more fan into the event's line, making the line if it is the first."""
        ...

    async def waiting(self, event_id: int) -> int: ...
    async def take_line(self, event_id: int) -> bool:
        """Locks the event's line for this transaction; False when another runner has it now."""
        ...

    async def lines_to_serve(self, limit: int) -> list[int]:
        """Events with fans waiting."""
        ...

    async def lines_due(self, now: datetime, limit: int) -> list[int]:
        """Events whose waitlist deadline has passed with fans still waiting."""
        ...

    async def lengths(self, event_id: int) -> dict[int | None, int]:
        """Waiting fans per section asked for (None: any section)."""
        ...


class MemberRepository(Protocol):
    async def remember(self, locales: dict[int, str], now: datetime) -> None:
        """Stores the language each member last used Picket in."""
        ...

    async def get(self, user_id: int) -> MemberPrefs | None: ...
    async def save(self, prefs: MemberPrefs, now: datetime) -> None: ...
    async def dms_closed(self, user_id: int, now: datetime) -> None: ...
    async def dm_channel(self, user_id: int, channel_id: int) -> None: ...


class InterestRepository(Protocol):
    async def add(self, guild_id: int, user_id: int, kind: InterestKind, value: str, now: datetime) -> bool:
        """False when the member has that interest already."""
        ...

    async def remove(self, interest_id: int, user_id: int) -> bool: ...
    async def of_member(self, guild_id: int, user_id: int) -> list[Interest]: ...


class AlertRepository(Protocol):
    async def schedule(self, event_id: int, kinds: Sequence[AlertKind], now: datetime) -> None:
        """One alert of each kind per event, however often this is called."""
        ...

    async def due(self, now: datetime, sale_lead: datetime, start_lead: datetime, limit: int) -> list[Alert]:
        """Alerts not finished whose moment has come: a new event's at once, a sale reminder once the
        sale opens before ``sale_lead``, a start reminder once the event starts before ``start_lead``."""
        ...

    async def take(self, alert_id: int) -> Alert | None:
        """Locks an unfinished alert for this transaction; None when finished or another runner has it."""
        ...

    async def matching(self, event: Event, after_user: int, limit: int) -> list[Recipient]:
        """Members of the event's server whose interests match it, each once, in id order after
        ``after_user``; the organizer never."""
        ...

    async def holders(self, event_id: int, after_user: int, limit: int) -> list[Recipient]:
        """Members holding a live ticket of the event, each once, in id order after ``after_user``."""
        ...

    async def advance(self, alert_id: int, after_user: int, sent: int, done: bool, now: datetime) -> None: ...


class QueueRepository(Protocol):
    async def get(self, event_id: int) -> Queue | None: ...
    async def create(self, queue: Queue) -> None:
        """Makes the event's queue unless it exists."""
        ...

    async def lock(self, event_id: int) -> Queue | None:
        """The queue, locked for this transaction (joins and admissions queue up on it)."""
        ...

    async def save(self, queue: Queue) -> None: ...
    async def place(self, event_id: int, user_id: int) -> QueuePlace | None: ...
    async def places(self, event_id: int, user_ids: Sequence[int]) -> dict[int, QueuePlace]: ...
    async def join(self, places: Sequence[QueuePlace], now: datetime) -> None: ...
    async def set_place(self, place: QueuePlace) -> None: ...
    async def pre_queue(self, event_id: int) -> list[int]:
        """Fans who joined before the opening, in the order they came."""
        ...

    async def number(self, event_id: int, positions: Sequence[tuple[int, int]]) -> None:
        """Gives each (user, position)."""
        ...

    async def holding_passes(self, event_id: int, now: datetime) -> int: ...
    async def admit(self, event_id: int, after: int, upto: int, until: datetime) -> list[QueuePlace]:
        """Lets in the waiting fans with positions in (after, upto]; returns them."""
        ...

    async def to_open(self, now: datetime, limit: int) -> list[int]:
        """Events whose queue is due to open (their sale has opened) or open with fans waiting."""
        ...

    async def waiting_total(self) -> int:
        """Fans waiting, not yet let in, in the waiting rooms of events still on sale."""
        ...

    async def waiting(self, event_id: int, limit: int) -> list[QueuePlace]:
        """Fans still waiting, first in line first."""
        ...


class AppStateRepository(Protocol):
    """Small named values Picket keeps for itself (the hash of the last synced command set)."""

    async def get(self, name: str) -> str | None: ...
    async def put(self, name: str, value: str) -> None: ...
    async def claim_lease(self, name: str, holder: str, now: datetime, until: datetime) -> bool:
        """Makes ``holder`` the runner of job ``name`` until ``until`` when it already was or the lease
        had run out by ``now``; False while another holder's lease lasts."""
        ...

    async def release_leases(self, holder: str, now: datetime) -> int:
        """Ends every lease ``holder`` has, as of ``now``, so another process may take them at once."""
        ...


class Outbox(Protocol):
    async def add(
        self, kind: str, payload: dict[str, Any], now: datetime, not_before: datetime | None = None
    ) -> int:
        """Queues a notice; with ``not_before``, nobody sends it earlier (a member's quiet hours)."""
        ...

    async def add_many(
        self, kind: str, notices: Sequence[tuple[dict[str, Any], datetime]], now: datetime
    ) -> None:
        """Queues many notices of one kind, each with the moment it may go out."""
        ...

    async def claim(
        self, now: datetime, lease_until: datetime, limit: int, ids: Sequence[int] | None = None
    ) -> list[Notice]:
        """Pending notices nobody else is sending, leased until ``lease_until`` (SKIP LOCKED)."""
        ...

    async def finish(
        self, notice_id: int, status: str, error: str | None, retry_at: datetime | None
    ) -> None: ...
    async def backlog(self) -> int: ...


class AuditRepository(Protocol):
    """What the operators' checks read."""

    async def breaches(self) -> dict[str, int]:
        """Rows breaking each of ``core.services.audit.CHECKS`` (the ledger's own totals aside)."""
        ...

    async def cluster_size(self) -> int | None:
        """Database nodes in the cluster as this connection's node sees it; None on a single server."""
        ...


class UnitOfWork(Protocol):
    """One transaction. Entering opens it; leaving without ``commit`` rolls it back.

    A unit of work may be entered again after it closes; each entry is a fresh transaction.
    """

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
    # The steps of a sale are whole transactions of their own: used without entering the unit.
    box_office: BoxOffice

    def for_reading(self) -> Self:
        """Marks the next entry as one that only reads, so it need not queue behind writers."""
        ...

    async def __aenter__(self) -> Self: ...
    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None: ...
    async def commit(self) -> None: ...
