"""an announcement remembers what it last showed, so the job edits it only when that changed

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("announcements") as batch_op:
        batch_op.add_column(sa.Column("shown", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("announcements") as batch_op:
        batch_op.drop_column("shown")
