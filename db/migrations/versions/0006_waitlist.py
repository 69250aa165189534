"""the cancellation waitlist: entries in line with their escrow, one line per event, returned places

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-04
"""

from __future__ import annotations

import importlib

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

# While fans wait for an event, a lapsed hold's seats are theirs (the waitlist job gives them out), so
# the sale's procedures neither offer nor claim them. The procedures of 0005, changed only there.
_0005 = importlib.import_module("db.migrations.versions.0005_box_office")
LAPSED_FREE = "status = 'held' AND held_until <= p_now"
LINE_WAITING = "EXISTS (SELECT 1 FROM waitlist_lines wl WHERE wl.event_id = p_event AND wl.waiting > 0)"


def _changed(body: str, old: str, new: str) -> str:
    assert old in body, old
    return body.replace(old, new)


LOOK = _changed(_0005.LOOK, f"AND {LAPSED_FREE}", f"AND {LAPSED_FREE} AND NOT {LINE_WAITING}")
HOLD = _changed(
    _changed(
        _0005.HOLD,
        "    INTO v_on_sale, v_balance;",
        f"    INTO v_on_sale, v_balance;\n    SET v_line = {LINE_WAITING};",
    ),
    f"(status = 'available' OR ({LAPSED_FREE}))",
    f"(status = 'available' OR ({LAPSED_FREE} AND NOT v_line))",
)
HOLD = _changed(
    HOLD,
    "    DECLARE v_bought INT DEFAULT 0;",
    "    DECLARE v_bought INT DEFAULT 0;\n    DECLARE v_line BOOLEAN DEFAULT FALSE;",
)
PROCEDURES = {"picket_look": LOOK, "picket_hold": HOLD}


def _create(procedures: dict[str, str]) -> None:
    if op.get_bind().dialect.name == "mysql":
        for name, body in procedures.items():
            op.execute(f"DROP PROCEDURE IF EXISTS {name}")
            op.execute(body)


def upgrade() -> None:
    op.create_table(
        "waitlist_entries",
        sa.Column("id", Id, autoincrement=True, nullable=False),
        sa.Column("event_id", sa.BigInteger(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("waiting_user_id", sa.BigInteger(), nullable=True),
        sa.Column("section_id", sa.BigInteger(), nullable=True),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("max_price", sa.BigInteger(), nullable=False),
        sa.Column("escrow", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("client_key", sa.String(length=64), nullable=False),
        sa.Column("holder_name", sa.String(length=100), nullable=False),
        sa.Column("locale", sa.String(length=8), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("ended_at", sa.DateTime(), nullable=True),
        sa.Column("order_id", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(
            ["event_id"], ["events.id"], name=op.f("fk_waitlist_entries_event_id_events")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_waitlist_entries")),
        sa.UniqueConstraint("client_key", name=op.f("uq_waitlist_entries_client_key")),
        sa.UniqueConstraint(
            "event_id", "waiting_user_id", name=op.f("uq_waitlist_entries_event_id_waiting_user_id")
        ),
    )
    op.create_index("ix_waitlist_entries_line", "waitlist_entries", ["event_id", "status", "id"])
    op.create_index("ix_waitlist_entries_user", "waitlist_entries", ["user_id", "status"])
    op.create_table(
        "waitlist_lines",
        sa.Column("event_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("waiting", sa.Integer(), nullable=False),
        sa.Column("closes_at", sa.DateTime(), nullable=False),
        sa.Column("closed_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("event_id", name=op.f("pk_waitlist_lines")),
    )
    op.create_index("ix_waitlist_lines_waiting", "waitlist_lines", ["waiting"])
    with op.batch_alter_table("general_admission") as batch_op:
        batch_op.add_column(sa.Column("returned", sa.Integer(), nullable=False, server_default="0"))
    _create(PROCEDURES)


def downgrade() -> None:
    _create({name: _0005.PROCEDURES[name] for name in PROCEDURES})
    with op.batch_alter_table("general_admission") as batch_op:
        batch_op.drop_column("returned")
    op.drop_index("ix_waitlist_lines_waiting", table_name="waitlist_lines")
    op.drop_table("waitlist_lines")
    op.drop_index("ix_waitlist_entries_user", table_name="waitlist_entries")
    op.drop_index("ix_waitlist_entries_line", table_name="waitlist_entries")
    op.drop_table("waitlist_entries")
