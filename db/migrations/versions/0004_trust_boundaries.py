"""who paid for a ticket, tickets in hand, cancellation progress, server language, app state

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("guilds") as batch_op:
        batch_op.add_column(sa.Column("locale", sa.String(length=8), nullable=False, server_default="en"))
    with op.batch_alter_table("events") as batch_op:
        batch_op.add_column(sa.Column("cancelled_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("refunds_done_at", sa.DateTime(), nullable=True))
        batch_op.create_index("ix_events_status_refunds", ["status", "refunds_done_at"], unique=False)
    with op.batch_alter_table("tickets") as batch_op:
        batch_op.add_column(sa.Column("buyer_id", sa.BigInteger(), nullable=False, server_default="0"))
        batch_op.add_column(
            sa.Column("holder_name", sa.String(length=100), nullable=False, server_default="")
        )
    with op.batch_alter_table("fan_events") as batch_op:
        batch_op.add_column(sa.Column("holding", sa.Integer(), nullable=False, server_default="0"))
    # The buyer is whoever placed the order; counts start from the tickets that are live now.
    op.execute("UPDATE tickets SET buyer_id = (SELECT o.user_id FROM orders o WHERE o.id = tickets.order_id)")
    op.execute(
        "UPDATE fan_events SET"
        " bought = (SELECT COUNT(*) FROM tickets t WHERE t.event_id = fan_events.event_id"
        " AND t.buyer_id = fan_events.user_id AND t.status = 'active'),"
        " holding = (SELECT COUNT(*) FROM tickets t WHERE t.event_id = fan_events.event_id"
        " AND t.holder_id = fan_events.user_id AND t.status = 'active')"
    )
    op.create_table(
        "app_state",
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("value", sa.String(length=400), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_app_state")),
    )


def downgrade() -> None:
    op.drop_table("app_state")
    with op.batch_alter_table("fan_events") as batch_op:
        batch_op.drop_column("holding")
    with op.batch_alter_table("tickets") as batch_op:
        batch_op.drop_column("holder_name")
        batch_op.drop_column("buyer_id")
    with op.batch_alter_table("events") as batch_op:
        batch_op.drop_index("ix_events_status_refunds")
        batch_op.drop_column("refunds_done_at")
        batch_op.drop_column("cancelled_at")
    with op.batch_alter_table("guilds") as batch_op:
        batch_op.drop_column("locale")
