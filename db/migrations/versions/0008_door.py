"""the door: check-in on tickets, door staff, and each event's door and buying rules

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("tickets") as batch_op:
        batch_op.add_column(sa.Column("checked_in_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("checked_in_by", sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column("transfers", sa.Integer(), nullable=False, server_default="0"))
        batch_op.create_index("ix_tickets_event_version", ["event_id", "version"], unique=False)
    op.create_table(
        "event_staff",
        sa.Column("event_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("user_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.PrimaryKeyConstraint("event_id", "user_id", name=op.f("pk_event_staff")),
    )
    op.create_table(
        "event_rules",
        sa.Column("event_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("static_codes", sa.Boolean(), nullable=False),
        sa.Column("min_account_days", sa.Integer(), nullable=True),
        sa.Column("buyer_role_id", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("event_id", name=op.f("pk_event_rules")),
    )


def downgrade() -> None:
    op.drop_table("event_rules")
    op.drop_table("event_staff")
    with op.batch_alter_table("tickets") as batch_op:
        batch_op.drop_index("ix_tickets_event_version")
        batch_op.drop_column("transfers")
        batch_op.drop_column("checked_in_by")
        batch_op.drop_column("checked_in_at")
