"""Plain records passed between the domain and its storage."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from core.errors import SaleClosed, SaleNotOpen

CATEGORIES = ("concert", "musical", "theatre", "classical", "exhibition", "sports", "festival", "other")


class EventStatus(StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    CANCELLED = "cancelled"


class Phase(StrEnum):
    """Where an event stands at a given moment; derived from its status and times, never stored."""

    DRAFT = "draft"
    SCHEDULED = "scheduled"
    ON_SALE = "on_sale"
    ENDED = "ended"
    CANCELLED = "cancelled"


class HoldStatus(StrEnum):
    ACTIVE = "active"
    CONFIRMED = "confirmed"
    RELEASED = "released"
    EXPIRED = "expired"


class SeatStatus(StrEnum):
    AVAILABLE = "available"
    HELD = "held"
    SOLD = "sold"
    # Came back (a cancellation, a lapsed cart) while fans wait for it: the waitlist's before anyone else's.
    RETURNED = "returned"


class TicketStatus(StrEnum):
    ACTIVE = "active"
    CANCELLED = "cancelled"


@dataclass(frozen=True)
class Event:
    id: int
    guild_id: int
    organizer_id: int
    title: str
    description: str
    venue: str
    category: str
    starts_at: datetime
    sale_opens_at: datetime
    status: EventStatus
    per_user_limit: int
    hold_minutes: int
    currency: str
    ga_capacity: int | None
    ga_price: int | None
    refund_cutoff_hours: int
    created_at: datetime
    use_queue: bool = False
    cancelled_at: datetime | None = None
    # Set when every ticket of a cancelled event has been refunded; until then a job keeps at it.
    refunds_done_at: datetime | None = None
    # Moves on with every change, so a copy kept for speed can tell it is stale.
    version: int = 1

    @property
    def is_general_admission(self) -> bool:
        return self.ga_capacity is not None

    @property
    def refunds_pending(self) -> bool:
        """Cancelled, and not every ticket refunded yet."""
        return self.status is EventStatus.CANCELLED and self.refunds_done_at is None

    @property
    def hold_time(self) -> timedelta:
        return timedelta(minutes=self.hold_minutes)

    def phase(self, now: datetime) -> Phase:
        if self.status is EventStatus.CANCELLED:
            return Phase.CANCELLED
        if self.status is EventStatus.DRAFT:
            return Phase.DRAFT
        if now >= self.starts_at:
            return Phase.ENDED
        if now < self.sale_opens_at:
            return Phase.SCHEDULED
        return Phase.ON_SALE

    def check_on_sale(self, now: datetime) -> None:
        phase = self.phase(now)
        if phase is Phase.SCHEDULED:
            raise SaleNotOpen(event=self.title, opens_at=self.sale_opens_at)
        if phase is not Phase.ON_SALE:
            raise SaleClosed(event=self.title)

    def refund_deadline(self) -> datetime:
        return self.starts_at - timedelta(hours=self.refund_cutoff_hours)


@dataclass(frozen=True)
class GuildConfig:
    guild_id: int
    organizer_role_id: int
    announce_channel_id: int | None
    # The server's language, for messages nobody asked for in an interaction (refund DMs).
    locale: str = "en"
    time_zone: str | None = None

    @property
    def zone_name(self) -> str:
        """The zone organizers type times in: the one chosen, else the usual one for the language."""
        return self.time_zone or ("Asia/Seoul" if self.locale == "ko" else "UTC")


@dataclass(frozen=True)
class EventQuery:
    """A fan's filters on /events; every field optional."""

    guild_id: int
    category: str | None = None
    starts_from: datetime | None = None
    starts_to: datetime | None = None
    keyword: str | None = None
    offset: int = 0
    limit: int = 5


@dataclass(frozen=True)
class Seat:
    id: int
    section_id: int
    section: str
    row: str
    number: int
    price: int
    status: SeatStatus

    @property
    def label(self) -> str:
        return f"{self.section} {self.row}{self.number}"


@dataclass(frozen=True)
class Hold:
    id: int
    event_id: int
    user_id: int
    quantity: int
    amount: int
    seat_ids: tuple[int, ...]
    status: HoldStatus
    expires_at: datetime
    client_key: str


@dataclass(frozen=True)
class Order:
    id: int
    event_id: int
    user_id: int
    hold_id: int
    amount: int
    created_at: datetime


@dataclass(frozen=True)
class Ticket:
    id: int
    order_id: int
    event_id: int
    holder_id: int
    seat_id: int | None
    seat_label: str | None
    price: int
    status: TicketStatus
    secret: str
    version: int
    # Who paid: refunds go back to this wallet whoever holds the ticket now.
    buyer_id: int
    # The holder's display name when they bought or received it, for the organizer's attendee list.
    holder_name: str
    checked_in_at: datetime | None = None
    checked_in_by: int | None = None
    transfers: int = 0


@dataclass(frozen=True)
class FanStanding:
    """What one fan has of one event: the open cart, if any, tickets bought (the per-fan limit counts
    these; giving a ticket away does not give the count back) and tickets in hand."""

    hold_id: int | None
    held: int
    hold_expires_at: datetime | None
    bought: int
    holding: int

    def has_open_cart(self, now: datetime) -> bool:
        return self.hold_id is not None and self.hold_expires_at is not None and self.hold_expires_at > now


@dataclass(frozen=True)
class SectionAvailability:
    section_id: int
    name: str
    price: int
    available: int
    held: int
    sold: int


@dataclass(frozen=True)
class LedgerEntry:
    txn_key: str
    account_kind: str
    owner_id: int
    amount: int
    memo: str
    created_at: datetime


@dataclass(frozen=True)
class LedgerTotals:
    """Sums over the whole ledger: zero, zero and zero when every posting balanced."""

    entries_sum: int
    balances_sum: int
    mismatched_accounts: int

    @property
    def balanced(self) -> bool:
        return self.entries_sum == 0 and self.balances_sum == 0 and self.mismatched_accounts == 0


class NoticeStatus(StrEnum):
    PENDING = "pending"
    SENT = "sent"
    UNREACHABLE = "unreachable"
    FAILED = "failed"


@dataclass(frozen=True)
class Notice:
    """A message to send after the commit that made it true (a ticket DM, a refund note)."""

    id: int
    kind: str
    payload: dict[str, Any]
    attempts: int


@dataclass(frozen=True)
class Attendee:
    ticket_id: int
    order_id: int
    holder_id: int
    holder_name: str
    seat_label: str | None
    price: int
    status: TicketStatus
    bought_at: datetime
    checked_in_at: datetime | None = None


class WaitlistStatus(StrEnum):
    WAITING = "waiting"
    ASSIGNED = "assigned"  # seats came back and were paid for from the escrow
    LEFT = "left"  # the fan left the line; the escrow went back
    CLOSED = "closed"  # the deadline passed or the event was cancelled; the escrow went back


@dataclass(frozen=True)
class WaitlistEntry:
    """A fan's place in an event's cancellation waitlist, with the most it may cost held in escrow."""

    id: int
    event_id: int
    user_id: int
    section_id: int | None  # None: any section
    quantity: int
    max_price: int  # per ticket
    escrow: int
    status: WaitlistStatus
    client_key: str
    holder_name: str
    locale: str
    created_at: datetime
    order_id: int | None = None


@dataclass(frozen=True)
class NewWaitlistEntry:
    event_id: int
    user_id: int
    section_id: int | None
    quantity: int
    max_price: int
    escrow: int
    client_key: str
    holder_name: str
    locale: str
    created_at: datetime


class InterestKind(StrEnum):
    CATEGORY = "category"
    KEYWORD = "keyword"  # found in the title or description
    ORGANIZER = "organizer"  # a member's id
    VENUE = "venue"  # found in the venue


@dataclass(frozen=True)
class Interest:
    id: int
    guild_id: int
    user_id: int
    kind: InterestKind
    value: str


@dataclass(frozen=True)
class MemberPrefs:
    """How a member wants the DMs they did not ask for: their language, their time zone, quiet hours
    (minutes after midnight in that zone; start == end means none) and a mute."""

    user_id: int
    locale: str = "en"
    time_zone: str | None = None
    quiet_start: int | None = None
    quiet_end: int | None = None
    muted_until: datetime | None = None
    dms_closed: bool = False
    dm_channel_id: int | None = None


class AlertKind(StrEnum):
    PUBLISHED = "published"  # to members whose interests match
    SALE_OPENS = "sale_opens"  # a reminder to the same members before the sale opens
    STARTS_SOON = "starts_soon"  # a reminder to ticket holders before the event starts


@dataclass(frozen=True)
class Alert:
    id: int
    event_id: int
    kind: AlertKind
    after_user: int  # members are reached in id order; everyone up to this one has been


@dataclass(frozen=True)
class Recipient:
    user_id: int
    prefs: MemberPrefs | None  # None: never used Picket's settings; the server's language then


@dataclass(frozen=True)
class EventRules:
    """An event's rules at the door and at the box office."""

    event_id: int
    static_codes: bool = False  # the door takes the static QR too, not only the rotating one
    min_account_days: int | None = None  # Discord accounts younger than this may not buy
    buyer_role_id: int | None = None  # only members with this role may buy (a presale)


class PlaceStatus(StrEnum):
    WAITING = "waiting"
    ADMITTED = "admitted"  # holds a booking pass until pass_until
    DONE = "done"  # paid, released or timed out: the slot went to the next fan
    LEFT = "left"


@dataclass(frozen=True)
class Queue:
    """An event's waiting room."""

    event_id: int
    opened_at: datetime | None
    next_position: int
    admitted_upto: int
    admitted_at: datetime | None
    rate_per_minute: int
    cap: int
    pass_minutes: int
    paused: bool = False


@dataclass(frozen=True)
class QueuePlace:
    event_id: int
    user_id: int
    position: int | None
    status: PlaceStatus
    pass_until: datetime | None
    locale: str

    def has_pass(self, now: datetime) -> bool:
        return self.status is PlaceStatus.ADMITTED and self.pass_until is not None and self.pass_until > now
