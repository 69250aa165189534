"""the box office: sections know their seat numbers, free seats are read in row order, and on MariaDB
each step of a sale is one stored procedure call

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

# The event as JSON: each procedure answers with one JSON document, parsed in one go on the client,
# rather than with result sets whose column descriptions cost more to read than their rows.
EVENT_JSON = (
    "JSON_OBJECT('id', e.id, 'guild_id', e.guild_id, 'organizer_id', e.organizer_id, 'title', e.title,"
    " 'description', e.description, 'venue', e.venue, 'category', e.category, 'starts_at', e.starts_at,"
    " 'sale_opens_at', e.sale_opens_at, 'status', e.status, 'per_user_limit', e.per_user_limit,"
    " 'hold_minutes', e.hold_minutes, 'currency', e.currency, 'ga_capacity', e.ga_capacity,"
    " 'ga_price', e.ga_price, 'refund_cutoff_hours', e.refund_cutoff_hours, 'created_at', e.created_at,"
    " 'use_queue', e.use_queue, 'cancelled_at', e.cancelled_at, 'refunds_done_at', e.refunds_done_at,"
    " 'version', e.version)"
)
SECTIONS_JSON = "JSON_OBJECTAGG(sec.id, JSON_ARRAY(sec.name, sec.price, sec.first_number, sec.last_number))"

# Free seats of a section in row order after a position, available ones and those of lapsed holds,
# each read a page at a time from the index on (section, status, row, number).
FREE_PAGE = """
    SELECT * FROM (
        (SELECT id, section_id, row_label, number FROM seats
         WHERE section_id = p_section AND status = 'available'
           AND (row_label > p_after_row OR (row_label = p_after_row AND number > p_after_number))
         ORDER BY row_label, number LIMIT v_limit)
        UNION ALL
        (SELECT id, section_id, row_label, number FROM seats
         WHERE section_id = p_section AND status = 'held' AND held_until <= p_now
           AND (row_label > p_after_row OR (row_label = p_after_row AND number > p_after_number))
         ORDER BY row_label, number LIMIT v_limit)
    ) u ORDER BY row_label, number LIMIT v_limit
"""

# The event goes into an answer only when the caller's copy is older than the row.
EVENT_IF_NEWER = f"""
    'event_id', CAST({{event}} AS SIGNED),
    'version', (SELECT e.version FROM events e WHERE e.id = {{event}}),
    'event', (SELECT {EVENT_JSON} FROM events e WHERE e.id = {{event}} AND e.version <> p_known)
"""

LOOK = f"""
CREATE PROCEDURE picket_look(
    IN p_event BIGINT, IN p_known INT, IN p_section BIGINT, IN p_after_row VARCHAR(2),
    IN p_after_number INT, IN p_limit INT, IN p_now DATETIME, IN p_seats TEXT)
BEGIN
    -- As core.box_office.page_size: never fewer seats than a row holds when rows are at most 64
    -- wide, so that the page's first row is whole; none at all for a section of another event.
    -- (Checked here once, so that the page itself is read from the index on seats alone.)
    DECLARE v_width INT DEFAULT NULL;
    DECLARE v_limit INT DEFAULT 0;
    IF p_section IS NOT NULL THEN
        SELECT MAX(last_number - first_number + 1) INTO v_width
        FROM sections WHERE id = p_section AND event_id = p_event;
        SET v_limit = CASE WHEN v_width IS NULL THEN 0
                           WHEN v_width <= 64 THEN GREATEST(p_limit, v_width)
                           ELSE p_limit END;
        SELECT JSON_OBJECT(
            {EVENT_IF_NEWER.format(event="p_event")},
            'seats', (SELECT JSON_ARRAYAGG(JSON_ARRAY(c.id, c.section_id, c.row_label, c.number, 'available')
                                           ORDER BY c.row_label, c.number)
                      FROM ({FREE_PAGE}) c),
            'sections', (SELECT {SECTIONS_JSON} FROM sections sec
                         WHERE sec.id = p_section AND sec.event_id = p_event)
        ) AS answer;
    ELSE
        SELECT JSON_OBJECT(
            {EVENT_IF_NEWER.format(event="p_event")},
            'seats', (
                SELECT JSON_ARRAYAGG(JSON_ARRAY(s.id, s.section_id, s.row_label, s.number, s.status)
                                     ORDER BY sec.position, s.row_label, s.number)
                FROM JSON_TABLE(p_seats, '$[*]' COLUMNS (id BIGINT PATH '$')) j
                JOIN seats s ON s.id = j.id AND s.event_id = p_event
                JOIN sections sec ON sec.id = s.section_id),
            'sections', (SELECT {SECTIONS_JSON} FROM sections sec WHERE sec.event_id = p_event)
        ) AS answer;
    END IF;
    -- Reads open a transaction too; a pooled connection must not go back with one still open.
    COMMIT;
END
"""

SEAT_PARAMS = ", ".join(f"IN p_s{n} BIGINT" for n in range(1, 11))
SEAT_LIST = ", ".join(f"p_s{n}" for n in range(1, 11))

HOLD = f"""
CREATE PROCEDURE picket_hold(
    IN p_event BIGINT, IN p_user BIGINT, IN p_key VARCHAR(64), IN p_quantity INT, IN p_amount BIGINT,
    IN p_limit INT, IN p_now DATETIME, IN p_expires DATETIME, IN p_seat_ids VARCHAR(400), {SEAT_PARAMS})
BEGIN
    DECLARE v_code VARCHAR(12) DEFAULT 'ok';
    DECLARE v_on_sale INT DEFAULT 0;
    DECLARE v_balance BIGINT DEFAULT 0;
    DECLARE v_hold BIGINT DEFAULT NULL;
    DECLARE v_cart BIGINT DEFAULT NULL;
    DECLARE v_cart_until DATETIME DEFAULT NULL;
    DECLARE v_bought INT DEFAULT 0;
    -- A client key used before: the hold was made already (a retry after an unclear commit).
    DECLARE EXIT HANDLER FOR 1062
    BEGIN
        ROLLBACK;
        SELECT JSON_OBJECT('code', 'repeat') AS answer;
        COMMIT;
    END;
    START TRANSACTION;
    SELECT (SELECT COUNT(*) FROM events WHERE id = p_event AND status = 'published'
                   AND sale_opens_at <= p_now AND starts_at > p_now),
           (SELECT COALESCE(MAX(balance), 0) FROM accounts WHERE kind = 'wallet' AND owner_id = p_user)
    INTO v_on_sale, v_balance;
    IF v_on_sale = 0 THEN
        SET v_code = 'closed';
    ELSEIF v_balance < p_amount THEN
        SET v_code = 'funds';
    ELSEIF p_quantity > p_limit THEN
        SET v_code = 'limit';
    ELSE
        INSERT INTO holds (event_id, user_id, quantity, amount, seat_ids, status, expires_at, client_key,
                           created_at)
        VALUES (p_event, p_user, p_quantity, p_amount, p_seat_ids, 'active', p_expires, p_key, p_now);
        SET v_hold = LAST_INSERT_ID();
        -- One statement for "open the fan's cart unless another is live or the limit is reached":
        -- @ok is judged on the row as it was, before any column of it changes. Not INSERT IGNORE,
        -- whose duplicate-key warning would set off the 1062 handler above.
        SET @picket_ok = NULL;
        INSERT INTO fan_events (event_id, user_id, hold_id, held, hold_expires_at, bought, holding)
        VALUES (p_event, p_user, v_hold, p_quantity, p_expires, 0, 0)
        ON DUPLICATE KEY UPDATE
            hold_id = IF(@picket_ok := ((hold_id IS NULL OR hold_expires_at <= p_now)
                                        AND bought + p_quantity <= p_limit
                                        AND holding + p_quantity <= p_limit), v_hold, hold_id),
            held = IF(@picket_ok, p_quantity, held),
            hold_expires_at = IF(@picket_ok, p_expires, hold_expires_at);
        -- Judged by @picket_ok, not ROW_COUNT(): with the FOUND_ROWS flag drivers set, a row found
        -- counts even when nothing in it changed. NULL means a new row: the fan's first cart.
        IF @picket_ok = 0 THEN
            SELECT hold_id, hold_expires_at, bought INTO v_cart, v_cart_until, v_bought
            FROM fan_events WHERE event_id = p_event AND user_id = p_user;
            IF v_cart IS NOT NULL AND v_cart_until > p_now THEN
                SET v_code = 'cart';
            ELSE
                SET v_code = 'limit', v_cart = NULL;
            END IF;
        ELSEIF p_s1 IS NULL THEN
            UPDATE general_admission SET taken = taken + p_quantity
            WHERE event_id = p_event AND taken + p_quantity <= capacity;
            IF ROW_COUNT() = 0 THEN
                SET v_code = 'sold_out';
            END IF;
        ELSE
            UPDATE seats SET status = 'held', hold_id = v_hold, held_until = p_expires
            WHERE id IN ({SEAT_LIST}) AND event_id = p_event
              AND (status = 'available' OR (status = 'held' AND held_until <= p_now));
            IF ROW_COUNT() <> p_quantity THEN
                SET v_code = 'taken';
            END IF;
        END IF;
    END IF;
    IF v_code <> 'ok' THEN
        ROLLBACK;
        SET v_hold = NULL;
    END IF;
    -- The answer goes out before the COMMIT; the caller trusts it only once the call's last packet,
    -- sent after the COMMIT, has arrived. Routine variables go into JSON as text unless cast.
    SELECT JSON_OBJECT('code', v_code, 'hold_id', CAST(v_hold AS SIGNED),
                       'open_cart', CAST(v_cart AS SIGNED), 'bought', CAST(v_bought AS SIGNED),
                       'balance', CAST(v_balance AS SIGNED)) AS answer;
    COMMIT;
END
"""

CONFIRM = f"""
CREATE PROCEDURE picket_confirm(
    IN p_hold BIGINT, IN p_user BIGINT, IN p_guild BIGINT, IN p_key VARCHAR(64), IN p_now DATETIME,
    IN p_name VARCHAR(100), IN p_locale VARCHAR(8), IN p_seed VARCHAR(64), IN p_known INT)
BEGIN
    DECLARE v_code VARCHAR(12) DEFAULT 'ok';
    DECLARE v_event BIGINT DEFAULT NULL;
    DECLARE v_guild BIGINT DEFAULT NULL;
    DECLARE v_organizer BIGINT DEFAULT NULL;
    DECLARE v_ga_price BIGINT DEFAULT NULL;
    DECLARE v_event_status VARCHAR(16) DEFAULT NULL;
    DECLARE v_status VARCHAR(12) DEFAULT NULL;
    DECLARE v_quantity INT DEFAULT 0;
    DECLARE v_amount BIGINT DEFAULT 0;
    DECLARE v_seated INT DEFAULT 0;
    DECLARE v_order BIGINT DEFAULT NULL;
    DECLARE v_notice BIGINT DEFAULT NULL;
    DECLARE EXIT HANDLER FOR 1062
    BEGIN
        ROLLBACK;
        SELECT JSON_OBJECT('code', 'repeat', 'amount', CAST(v_amount AS SIGNED),
                           {EVENT_IF_NEWER.format(event="v_event")}) AS answer;
        COMMIT;
    END;
    START TRANSACTION;
    SELECT h.event_id, h.quantity, h.amount, h.status, h.seat_ids <> '', e.guild_id, e.organizer_id,
           e.ga_price, e.status
    INTO v_event, v_quantity, v_amount, v_status, v_seated, v_guild, v_organizer, v_ga_price,
         v_event_status
    FROM holds h JOIN events e ON e.id = h.event_id
    WHERE h.id = p_hold AND h.user_id = p_user;
    IF v_event IS NULL OR v_guild <> p_guild THEN
        SET v_code = 'not_found', v_event = NULL;
    ELSEIF v_status = 'confirmed' THEN
        SET v_code = 'confirmed';
    ELSEIF v_event_status = 'cancelled' THEN
        SET v_code = 'closed';
    ELSE
        UPDATE holds SET status = 'confirmed'
        WHERE id = p_hold AND status = 'active' AND expires_at > p_now;
        IF ROW_COUNT() = 0 THEN
            SELECT status INTO v_status FROM holds WHERE id = p_hold;
            SET v_code = IF(v_status = 'confirmed', 'confirmed', 'expired');
        ELSEIF v_seated THEN
            UPDATE seats SET status = 'sold', held_until = NULL WHERE hold_id = p_hold AND status = 'held';
            IF ROW_COUNT() <> v_quantity THEN
                SET v_code = 'expired';
            END IF;
        END IF;
    END IF;
    IF v_code = 'ok' THEN
        INSERT INTO orders (event_id, user_id, hold_id, client_key, amount, created_at)
        VALUES (v_event, p_user, p_hold, p_key, v_amount, p_now);
        SET v_order = LAST_INSERT_ID();
        -- Each ticket's secret comes from the caller's one-off seed and the seat (or place), so it
        -- is made here without sending one secret per ticket.
        IF v_seated THEN
            INSERT INTO tickets (order_id, event_id, holder_id, buyer_id, holder_name, seat_id, live_seat_id,
                                 seat_label, price, status, secret, version, created_at)
            SELECT v_order, v_event, p_user, p_user, p_name, s.id, s.id,
                   CONCAT(sec.name, ' ', s.row_label, s.number), sec.price, 'active',
                   LEFT(SHA2(CONCAT(p_seed, ':', s.id), 256), 16), 1, p_now
            FROM seats s JOIN sections sec ON sec.id = s.section_id
            WHERE s.hold_id = p_hold AND s.status = 'sold'
            ORDER BY sec.position, s.row_label, s.number;
        ELSE
            INSERT INTO tickets (order_id, event_id, holder_id, buyer_id, holder_name, seat_id, live_seat_id,
                                 seat_label, price, status, secret, version, created_at)
            SELECT v_order, v_event, p_user, p_user, p_name, NULL, NULL, NULL, COALESCE(v_ga_price, 0),
                   'active', LEFT(SHA2(CONCAT(p_seed, ':', n.seq), 256), 16), 1, p_now
            FROM seq_1_to_10 n WHERE n.seq <= v_quantity ORDER BY n.seq;
        END IF;
        IF v_amount > 0 THEN
            INSERT INTO ledger_entries (txn_key, account_kind, owner_id, amount, memo, created_at)
            VALUES (CONCAT('order:', v_order), 'wallet', p_user, -v_amount, CONCAT('event:', v_event), p_now),
                   (CONCAT('order:', v_order), 'payable', v_organizer, v_amount, CONCAT('event:', v_event),
                    p_now);
            UPDATE accounts SET balance = balance - v_amount
            WHERE kind = 'wallet' AND owner_id = p_user AND balance >= v_amount;
            IF ROW_COUNT() = 0 THEN
                SET v_code = 'funds';
            END IF;
        END IF;
    END IF;
    IF v_code = 'ok' THEN
        UPDATE fan_events SET hold_id = NULL, held = 0, hold_expires_at = NULL,
                              bought = bought + v_quantity, holding = holding + v_quantity
        WHERE event_id = v_event AND user_id = p_user AND hold_id = p_hold;
        INSERT INTO outbox (kind, payload, created_at, attempts, status)
        VALUES ('tickets_issued',
                JSON_OBJECT('order_id', CAST(v_order AS SIGNED), 'user_id', CAST(p_user AS SIGNED),
                            'locale', p_locale),
                p_now, 0, 'pending');
        SET v_notice = LAST_INSERT_ID();
    ELSE
        ROLLBACK;
        SET v_order = NULL;
    END IF;
    -- As in picket_hold: the answer first, then the COMMIT, whose packet ends the call.
    SELECT JSON_OBJECT(
        'code', v_code, 'order_id', CAST(v_order AS SIGNED), 'notice_id', CAST(v_notice AS SIGNED),
        'amount', CAST(v_amount AS SIGNED),
        {EVENT_IF_NEWER.format(event="v_event")},
        'tickets', (SELECT JSON_ARRAYAGG(JSON_ARRAY(t.id, t.seat_id, t.seat_label, t.price, t.secret)
                                         ORDER BY t.id)
                    FROM tickets t WHERE t.order_id = v_order)
    ) AS answer;
    COMMIT;
END
"""

# Reading in a procedure lets it end the read's transaction in the same call, as the others do.
FAN = """
CREATE PROCEDURE picket_fan(IN p_event BIGINT, IN p_user BIGINT)
BEGIN
    SELECT JSON_OBJECT(
        'bought', COALESCE((SELECT bought FROM fan_events WHERE event_id = p_event AND user_id = p_user), 0),
        'balance', COALESCE((SELECT balance FROM accounts WHERE kind = 'wallet' AND owner_id = p_user), 0)
    ) AS answer;
    COMMIT;
END
"""

PROCEDURES = {"picket_look": LOOK, "picket_fan": FAN, "picket_hold": HOLD, "picket_confirm": CONFIRM}


def upgrade() -> None:
    with op.batch_alter_table("events") as batch_op:
        batch_op.add_column(sa.Column("version", sa.Integer(), nullable=False, server_default="1"))
    with op.batch_alter_table("sections") as batch_op:
        batch_op.add_column(sa.Column("first_number", sa.Integer(), nullable=False, server_default="1"))
        batch_op.add_column(sa.Column("last_number", sa.Integer(), nullable=False, server_default="1"))
    op.execute(
        "UPDATE sections SET"
        " first_number = COALESCE((SELECT MIN(s.number) FROM seats s WHERE s.section_id = sections.id), 1),"
        " last_number = COALESCE((SELECT MAX(s.number) FROM seats s WHERE s.section_id = sections.id), 1)"
    )
    # The new index first: the foreign key on section_id needs one to stand on at every moment.
    with op.batch_alter_table("seats") as batch_op:
        batch_op.create_index(
            "ix_seats_section_free", ["section_id", "status", "row_label", "number"], unique=False
        )
    with op.batch_alter_table("seats") as batch_op:
        batch_op.drop_index("ix_seats_section_status")
    if op.get_bind().dialect.name == "mysql":
        for name, body in PROCEDURES.items():
            op.execute(f"DROP PROCEDURE IF EXISTS {name}")
            op.execute(body)


def downgrade() -> None:
    if op.get_bind().dialect.name == "mysql":
        for name in PROCEDURES:
            op.execute(f"DROP PROCEDURE IF EXISTS {name}")
    with op.batch_alter_table("seats") as batch_op:
        batch_op.create_index("ix_seats_section_status", ["section_id", "status"], unique=False)
    with op.batch_alter_table("seats") as batch_op:
        batch_op.drop_index("ix_seats_section_free")
    with op.batch_alter_table("sections") as batch_op:
        batch_op.drop_column("last_number")
        batch_op.drop_column("first_number")
    with op.batch_alter_table("events") as batch_op:
        batch_op.drop_column("version")
