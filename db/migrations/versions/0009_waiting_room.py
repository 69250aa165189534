"""the waiting room: one line per event with its admission watermark, and each fan's place in it

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "queues",
        sa.Column("event_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("opened_at", sa.DateTime(), nullable=True),
        sa.Column("next_position", sa.BigInteger(), nullable=False),
        sa.Column("admitted_upto", sa.BigInteger(), nullable=False),
        sa.Column("admitted_at", sa.DateTime(), nullable=True),
        sa.Column("rate_per_minute", sa.Integer(), nullable=False),
        sa.Column("cap", sa.Integer(), nullable=False),
        sa.Column("pass_minutes", sa.Integer(), nullable=False),
        sa.Column("paused", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("event_id", name=op.f("pk_queues")),
    )
    op.create_table(
        "queue_places",
        sa.Column("event_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("user_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("position", sa.BigInteger(), nullable=True),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("pass_until", sa.DateTime(), nullable=True),
        sa.Column("locale", sa.String(length=8), nullable=False),
        sa.Column("joined_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("event_id", "user_id", name=op.f("pk_queue_places")),
    )
    op.create_index("ix_queue_places_position", "queue_places", ["event_id", "position"])
    op.create_index("ix_queue_places_status", "queue_places", ["event_id", "status", "pass_until"])


def downgrade() -> None:
    op.drop_index("ix_queue_places_status", table_name="queue_places")
    op.drop_index("ix_queue_places_position", table_name="queue_places")
    op.drop_table("queue_places")
    op.drop_table("queues")
