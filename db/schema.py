"""Tables. Alembic migrations create them; this module describes them for queries."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy import (
    false as sa_false,
)

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

# SQLite only auto-increments an INTEGER PRIMARY KEY; MariaDB wants BIGINT for Discord-sized ids.
Id = BigInteger().with_variant(Integer(), "sqlite")

events = Table(
    "events",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("guild_id", BigInteger, nullable=False),
    Column("organizer_id", BigInteger, nullable=False),
    Column("title", String(100), nullable=False),
    Column("description", Text, nullable=False),
    Column("venue", String(100), nullable=False),
    Column("category", String(32), nullable=False),
    Column("starts_at", DateTime, nullable=False),
    Column("sale_opens_at", DateTime, nullable=False),
    Column("status", String(16), nullable=False),
    Column("per_user_limit", Integer, nullable=False),
    Column("hold_minutes", Integer, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("ga_capacity", Integer, nullable=True),
    Column("ga_price", BigInteger, nullable=True),
    Column("refund_cutoff_hours", Integer, nullable=False),
    Column("created_at", DateTime, nullable=False),
    Column("use_queue", Boolean, nullable=False, server_default=sa_false()),
    Column("cancelled_at", DateTime, nullable=True),
    Column("refunds_done_at", DateTime, nullable=True),
    Column("version", Integer, nullable=False, server_default="1"),
    Index("ix_events_guild_starts", "guild_id", "starts_at"),
    Index("ix_events_status_refunds", "status", "refunds_done_at"),
)

guilds = Table(
    "guilds",
    metadata,
    Column("guild_id", BigInteger, primary_key=True, autoincrement=False),
    Column("organizer_role_id", BigInteger, nullable=False),
    Column("announce_channel_id", BigInteger, nullable=True),
    Column("locale", String(8), nullable=False, server_default="en"),
    # The zone organizers type times in; none chosen: Asia/Seoul for a Korean server, else UTC.
    Column("time_zone", String(64), nullable=True),
)

sections = Table(
    "sections",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("event_id", BigInteger, ForeignKey("events.id"), nullable=False),
    Column("name", String(24), nullable=False),
    Column("position", Integer, nullable=False),
    Column("price", BigInteger, nullable=False),
    # Every row of a section spans the same seat numbers; best available aims for their middle.
    Column("first_number", Integer, nullable=False, server_default="1"),
    Column("last_number", Integer, nullable=False, server_default="1"),
    UniqueConstraint("event_id", "name"),
)

seats = Table(
    "seats",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("event_id", BigInteger, ForeignKey("events.id"), nullable=False),
    Column("section_id", BigInteger, ForeignKey("sections.id"), nullable=False),
    Column("row_label", String(2), nullable=False),
    Column("number", Integer, nullable=False),
    Column("status", String(12), nullable=False),
    Column("hold_id", BigInteger, nullable=True),
    Column("held_until", DateTime, nullable=True),
    UniqueConstraint("event_id", "section_id", "row_label", "number"),
    Index("ix_seats_hold", "hold_id"),
    # Free seats of a section in row order, read a page at a time, whatever the venue's size.
    Index("ix_seats_section_free", "section_id", "status", "row_label", "number"),
)

general_admission = Table(
    "general_admission",
    metadata,
    Column("event_id", BigInteger, ForeignKey("events.id"), primary_key=True, autoincrement=False),
    Column("capacity", Integer, nullable=False),
    Column("taken", Integer, nullable=False),
    # Places given back while fans wait for them: still counted as taken, they go to the waitlist first.
    Column("returned", Integer, nullable=False, server_default="0"),
)

holds = Table(
    "holds",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("event_id", BigInteger, ForeignKey("events.id"), nullable=False),
    Column("user_id", BigInteger, nullable=False),
    Column("quantity", Integer, nullable=False),
    Column("amount", BigInteger, nullable=False),
    Column("seat_ids", String(400), nullable=False),
    Column("status", String(12), nullable=False),
    Column("expires_at", DateTime, nullable=False),
    Column("client_key", String(64), nullable=False, unique=True),
    Column("created_at", DateTime, nullable=False),
    Index("ix_holds_status_expires", "status", "expires_at"),
)

# One row per fan per event: the open cart (at most one) and how many tickets they hold, so the
# per-fan limit is a guarded UPDATE on a row rather than a count that a concurrent request could miss.
fan_events = Table(
    "fan_events",
    metadata,
    Column("event_id", BigInteger, primary_key=True, autoincrement=False),
    Column("user_id", BigInteger, primary_key=True, autoincrement=False),
    Column("hold_id", BigInteger, nullable=True),
    Column("held", Integer, nullable=False),
    Column("hold_expires_at", DateTime, nullable=True),
    Column("bought", Integer, nullable=False),
    Column("holding", Integer, nullable=False, server_default="0"),
)

orders = Table(
    "orders",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("event_id", BigInteger, ForeignKey("events.id"), nullable=False),
    Column("user_id", BigInteger, nullable=False),
    Column("hold_id", BigInteger, nullable=False, unique=True),
    Column("client_key", String(64), nullable=False, unique=True),
    Column("amount", BigInteger, nullable=False),
    Column("created_at", DateTime, nullable=False),
    Index("ix_orders_user", "user_id"),
)

tickets = Table(
    "tickets",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("order_id", BigInteger, ForeignKey("orders.id"), nullable=False),
    Column("event_id", BigInteger, ForeignKey("events.id"), nullable=False),
    Column("holder_id", BigInteger, nullable=False),
    Column("seat_id", BigInteger, nullable=True),
    # The seat while the ticket is live, NULL once cancelled: a UNIQUE key that both databases
    # honour (NULLs never collide), so no seat can ever back two live tickets.
    Column("live_seat_id", BigInteger, nullable=True, unique=True),
    Column("seat_label", String(40), nullable=True),
    Column("price", BigInteger, nullable=False),
    Column("status", String(12), nullable=False),
    Column("secret", String(32), nullable=False),
    Column("version", Integer, nullable=False),
    Column("created_at", DateTime, nullable=False),
    Column("cancelled_at", DateTime, nullable=True),
    Column("buyer_id", BigInteger, nullable=False, server_default="0"),
    Column("holder_name", String(100), nullable=False, server_default=""),
    # Set once, by one conditional UPDATE: two scanners racing on one ticket let one fan in.
    Column("checked_in_at", DateTime, nullable=True),
    Column("checked_in_by", BigInteger, nullable=True),
    Column("transfers", Integer, nullable=False, server_default="0"),
    Index("ix_tickets_holder", "holder_id", "event_id"),
    Index("ix_tickets_event_version", "event_id", "version"),
    Index("ix_tickets_order", "order_id"),
)

accounts = Table(
    "accounts",
    metadata,
    Column("kind", String(12), primary_key=True),
    Column("owner_id", BigInteger, primary_key=True, autoincrement=False),
    Column("balance", BigInteger, nullable=False),
)

ledger_entries = Table(
    "ledger_entries",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("txn_key", String(80), nullable=False),
    Column("account_kind", String(12), nullable=False),
    Column("owner_id", BigInteger, nullable=False),
    Column("amount", BigInteger, nullable=False),
    Column("memo", String(80), nullable=False),
    Column("created_at", DateTime, nullable=False),
    UniqueConstraint("txn_key", "account_kind", "owner_id"),
    Index("ix_ledger_account", "account_kind", "owner_id", "id"),
)

outbox = Table(
    "outbox",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("kind", String(32), nullable=False),
    Column("payload", Text, nullable=False),
    Column("created_at", DateTime, nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("status", String(12), nullable=False, server_default="pending"),
    Column("claimed_until", DateTime, nullable=True),
    Column("sent_at", DateTime, nullable=True),
    Column("last_error", String(200), nullable=True),
    Index("ix_outbox_status_claimed", "status", "claimed_until"),
)

waitlist_entries = Table(
    "waitlist_entries",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("event_id", BigInteger, ForeignKey("events.id"), nullable=False),
    Column("user_id", BigInteger, nullable=False),
    # The fan while the entry waits, NULL once it ends: one waiting entry per fan per event, and a
    # fan who left may join again at the back.
    Column("waiting_user_id", BigInteger, nullable=True),
    Column("section_id", BigInteger, nullable=True),
    Column("quantity", Integer, nullable=False),
    Column("max_price", BigInteger, nullable=False),
    Column("escrow", BigInteger, nullable=False),
    Column("status", String(12), nullable=False),
    Column("client_key", String(64), nullable=False, unique=True),
    Column("holder_name", String(100), nullable=False),
    Column("locale", String(8), nullable=False),
    Column("created_at", DateTime, nullable=False),
    Column("ended_at", DateTime, nullable=True),
    Column("order_id", BigInteger, nullable=True),
    UniqueConstraint("event_id", "waiting_user_id"),
    Index("ix_waitlist_entries_line", "event_id", "status", "id"),
    Index("ix_waitlist_entries_user", "user_id", "status"),
)

# One row per event with a waitlist: how many wait (so a returned seat knows where it goes without
# counting) and the row a job runner locks while it hands out returned seats, so the line keeps its order.
waitlist_lines = Table(
    "waitlist_lines",
    metadata,
    Column("event_id", BigInteger, primary_key=True, autoincrement=False),
    Column("waiting", Integer, nullable=False),
    Column("closes_at", DateTime, nullable=False),
    Column("closed_at", DateTime, nullable=True),
    Index("ix_waitlist_lines_waiting", "waiting"),
)

members = Table(
    "members",
    metadata,
    Column("user_id", BigInteger, primary_key=True, autoincrement=False),
    Column("locale", String(8), nullable=False),
    Column("time_zone", String(64), nullable=True),
    Column("quiet_start", Integer, nullable=True),
    Column("quiet_end", Integer, nullable=True),
    Column("muted_until", DateTime, nullable=True),
    Column("dms_closed_at", DateTime, nullable=True),
    # Known once Picket has opened a DM with the member: a DM then costs one request, not two.
    Column("dm_channel_id", BigInteger, nullable=True),
    Column("updated_at", DateTime, nullable=False),
)

interests = Table(
    "interests",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("guild_id", BigInteger, nullable=False),
    Column("user_id", BigInteger, nullable=False),
    Column("kind", String(12), nullable=False),
    Column("value", String(60), nullable=False),
    Column("created_at", DateTime, nullable=False),
    UniqueConstraint("guild_id", "user_id", "kind", "value"),
    Index("ix_interests_match", "guild_id", "kind", "value", "user_id"),
)

# One row per event and kind of alert; ``after_user`` is how far the fan-out has got, moved in the
# same transaction as the notices it queued, so a crash or a second runner never DMs a member twice.
alerts = Table(
    "alerts",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("event_id", BigInteger, ForeignKey("events.id"), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("after_user", BigInteger, nullable=False),
    Column("sent", Integer, nullable=False),
    Column("created_at", DateTime, nullable=False),
    Column("done_at", DateTime, nullable=True),
    UniqueConstraint("event_id", "kind"),
    Index("ix_alerts_open", "done_at", "kind"),
)

# The public post of each announced event, so a DM can point fans to it.
announcements = Table(
    "announcements",
    metadata,
    Column("event_id", BigInteger, primary_key=True, autoincrement=False),
    Column("channel_id", BigInteger, nullable=False),
    Column("message_id", BigInteger, nullable=False),
    # What the post last showed (a fingerprint of its sales and state): edited only when that changes.
    Column("shown", String(64), nullable=True),
)

event_staff = Table(
    "event_staff",
    metadata,
    Column("event_id", BigInteger, primary_key=True, autoincrement=False),
    Column("user_id", BigInteger, primary_key=True, autoincrement=False),
)

# An event's rules at the door and at the box office; an event without a row keeps the defaults
# (rotating codes only, anyone in the server may buy).
event_rules = Table(
    "event_rules",
    metadata,
    Column("event_id", BigInteger, primary_key=True, autoincrement=False),
    Column("static_codes", Boolean, nullable=False),
    Column("min_account_days", Integer, nullable=True),
    Column("buyer_role_id", BigInteger, nullable=True),
)

# The waiting room of an event: everyone up to ``admitted_upto`` has been let in, so a fan's place is
# their position minus it, never a count over the line.
queues = Table(
    "queues",
    metadata,
    Column("event_id", BigInteger, primary_key=True, autoincrement=False),
    Column("opened_at", DateTime, nullable=True),
    Column("next_position", BigInteger, nullable=False),
    Column("admitted_upto", BigInteger, nullable=False),
    Column("admitted_at", DateTime, nullable=True),
    Column("rate_per_minute", Integer, nullable=False),
    Column("cap", Integer, nullable=False),
    Column("pass_minutes", Integer, nullable=False),
    Column("paused", Boolean, nullable=False),
)

queue_places = Table(
    "queue_places",
    metadata,
    Column("event_id", BigInteger, primary_key=True, autoincrement=False),
    Column("user_id", BigInteger, primary_key=True, autoincrement=False),
    # None while the fan waits for the opening, when the pre-queue is shuffled.
    Column("position", BigInteger, nullable=True),
    Column("status", String(10), nullable=False),
    Column("pass_until", DateTime, nullable=True),
    Column("locale", String(8), nullable=False),
    Column("joined_at", DateTime, nullable=False),
    Index("ix_queue_places_position", "event_id", "position"),
    Index("ix_queue_places_status", "event_id", "status", "pass_until"),
)

app_state = Table(
    "app_state",
    metadata,
    Column("name", String(100), primary_key=True),
    Column("value", String(400), nullable=False),
)

job_leases = Table(
    "job_leases",
    metadata,
    Column("name", String(64), primary_key=True),
    # Which process runs the job until ``until``; another may take it over once that has passed.
    Column("holder", String(64), nullable=False),
    Column("until", DateTime, nullable=False),
)
