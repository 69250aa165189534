"""the payment procedure answers with the fan's wallet once paid, for the receipt

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-04
"""

from __future__ import annotations

import importlib

from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

# Read inside the payment's own transaction: a second read afterwards would cost the booking three
# more round trips. The procedure of 0005, changed only here.
_0005 = importlib.import_module("db.migrations.versions.0005_box_office")
_PAID = "'code', v_code, 'order_id', CAST(v_order AS SIGNED), 'notice_id', CAST(v_notice AS SIGNED),"
assert _0005.CONFIRM.count(_PAID) == 1
CONFIRM = _0005.CONFIRM.replace(
    _PAID,
    _PAID + "\n        'balance', (SELECT CAST(balance AS SIGNED) FROM accounts"
    " WHERE kind = 'wallet' AND owner_id = p_user),",
)


def _create(body: str) -> None:
    if op.get_bind().dialect.name == "mysql":
        op.execute("DROP PROCEDURE IF EXISTS picket_confirm")
        op.execute(body)


def upgrade() -> None:
    _create(CONFIRM)


def downgrade() -> None:
    _create(_0005.CONFIRM)
