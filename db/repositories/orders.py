from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import and_, case, func, insert, or_, select, update

from core.errors import DuplicateKey
from core.models import Attendee, Hold, Notice, NoticeStatus, Order, Ticket, TicketStatus
from core.ports import NewTicket
from db.errors import is_duplicate
from db.repositories._base import Repo, new_id
from db.schema import orders, outbox, tickets


class OrderRepo(Repo):
    async def add(self, hold: Hold, client_key: str, now: datetime) -> int:
        values = {
            "event_id": hold.event_id,
            "user_id": hold.user_id,
            "hold_id": hold.id,
            "client_key": client_key,
            "amount": hold.amount,
            "created_at": now,
        }
        try:
            result = await self.conn.execute(insert(orders).values(**values))
        except Exception as exc:
            if is_duplicate(exc):
                raise DuplicateKey(client_key) from exc
            raise
        return new_id(result)

    async def get(self, order_id: int) -> Order | None:
        o = orders.c
        query = select(o.id, o.event_id, o.user_id, o.hold_id, o.amount, o.created_at).where(o.id == order_id)
        row = (await self.conn.execute(query)).first()
        return Order(*row) if row is not None else None

    async def by_hold(self, hold_id: int) -> Order | None:
        o = orders.c
        query = select(o.id, o.event_id, o.user_id, o.hold_id, o.amount, o.created_at).where(
            o.hold_id == hold_id
        )
        row = (await self.conn.execute(query)).first()
        return Order(*row) if row is not None else None


def _notice(kind: str, payload: dict[str, Any], now: datetime, not_before: datetime | None) -> dict[str, Any]:
    # A notice that must wait (a member's quiet hours) starts out as if leased until then.
    return {
        "kind": kind,
        "payload": json.dumps(payload),
        "created_at": now,
        "attempts": 0,
        "status": NoticeStatus.PENDING,
        "claimed_until": not_before,
    }


_TICKET_COLUMNS = (
    tickets.c.id,
    tickets.c.order_id,
    tickets.c.event_id,
    tickets.c.holder_id,
    tickets.c.seat_id,
    tickets.c.seat_label,
    tickets.c.price,
    tickets.c.status,
    tickets.c.secret,
    tickets.c.version,
    tickets.c.buyer_id,
    tickets.c.holder_name,
    tickets.c.checked_in_at,
    tickets.c.checked_in_by,
    tickets.c.transfers,
)


def _ticket(row: Any) -> Ticket:
    values = list(row)
    values[7] = TicketStatus(values[7])
    return Ticket(*values)


class TicketRepo(Repo):
    async def add_many(
        self,
        order_id: int,
        event_id: int,
        holder_id: int,
        holder_name: str,
        new: Sequence[NewTicket],
        now: datetime,
    ) -> list[Ticket]:
        rows = [
            {
                "order_id": order_id,
                "event_id": event_id,
                "holder_id": holder_id,
                "buyer_id": holder_id,
                "holder_name": holder_name,
                "seat_id": t.seat_id,
                "live_seat_id": t.seat_id,
                "seat_label": t.seat_label,
                "price": t.price,
                "status": TicketStatus.ACTIVE,
                "secret": t.secret,
                "version": 1,
                "created_at": now,
            }
            for t in new
        ]
        # RETURNING (SQLite 3.35+, MariaDB 10.5+) hands back the new ids without another query.
        statement = insert(tickets).returning(*_TICKET_COLUMNS, sort_by_parameter_order=True)
        return [_ticket(row) for row in await self.conn.execute(statement, rows)]

    async def for_order(self, order_id: int) -> list[Ticket]:
        query = select(*_TICKET_COLUMNS).where(tickets.c.order_id == order_id).order_by(tickets.c.id)
        return [_ticket(r) for r in await self.conn.execute(query)]

    async def get(self, ticket_id: int) -> Ticket | None:
        row = (await self.conn.execute(select(*_TICKET_COLUMNS).where(tickets.c.id == ticket_id))).first()
        return _ticket(row) if row is not None else None

    async def for_holder(self, holder_id: int, event_id: int | None = None) -> list[Ticket]:
        query = select(*_TICKET_COLUMNS).where(
            tickets.c.holder_id == holder_id, tickets.c.status == TicketStatus.ACTIVE
        )
        if event_id is not None:
            query = query.where(tickets.c.event_id == event_id)
        return [_ticket(r) for r in await self.conn.execute(query.order_by(tickets.c.id))]

    async def cancel(self, ticket_id: int, now: datetime) -> bool:
        statement = (
            update(tickets)
            .where(tickets.c.id == ticket_id, tickets.c.status == TicketStatus.ACTIVE)
            .values(
                status=TicketStatus.CANCELLED,
                live_seat_id=None,
                cancelled_at=now,
                version=tickets.c.version + 1,
            )
        )
        return (await self.conn.execute(statement)).rowcount == 1

    async def transfer(
        self, ticket_id: int, from_holder: int, to_holder: int, to_name: str, secret: str, max_transfers: int
    ) -> bool:
        t = tickets.c
        statement = (
            update(tickets)
            .where(
                t.id == ticket_id,
                t.holder_id == from_holder,
                t.status == TicketStatus.ACTIVE,
                t.transfers < max_transfers,
            )
            .values(
                holder_id=to_holder,
                holder_name=to_name,
                secret=secret,
                version=t.version + 1,
                transfers=t.transfers + 1,
            )
        )
        return (await self.conn.execute(statement)).rowcount == 1

    async def live_for_event(self, event_id: int, limit: int) -> list[Ticket]:
        query = (
            select(*_TICKET_COLUMNS)
            .where(tickets.c.event_id == event_id, tickets.c.status == TicketStatus.ACTIVE)
            .order_by(tickets.c.id)
            .limit(limit)
        )
        return [_ticket(r) for r in await self.conn.execute(query)]

    async def attendees(self, event_id: int) -> list[Attendee]:
        t = tickets.c
        query = (
            select(
                t.id,
                t.order_id,
                t.holder_id,
                t.holder_name,
                t.seat_label,
                t.price,
                t.status,
                t.created_at,
                t.checked_in_at,
            )
            .where(t.event_id == event_id)
            .order_by(t.id)
        )
        rows = await self.conn.execute(query)
        return [Attendee(r[0], r[1], r[2], r[3], r[4], r[5], TicketStatus(r[6]), r[7], r[8]) for r in rows]

    async def any_issued(self) -> bool:
        return (await self.conn.execute(select(tickets.c.id).limit(1))).first() is not None

    async def check_in(self, ticket_id: int, version: int, by: int, now: datetime) -> bool:
        t = tickets.c
        statement = (
            update(tickets)
            .where(
                t.id == ticket_id,
                t.version == version,
                t.status == TicketStatus.ACTIVE,
                t.checked_in_at.is_(None),
            )
            .values(checked_in_at=now, checked_in_by=by)
        )
        return (await self.conn.execute(statement)).rowcount == 1

    async def superseded(self, event_id: int) -> list[tuple[int, int]]:
        t = tickets.c
        live = case((t.status == TicketStatus.ACTIVE, t.version), else_=0)
        query = (
            select(t.id, live)
            .where(t.event_id == event_id, or_(t.version > 1, t.status != TicketStatus.ACTIVE))
            .order_by(t.id)
        )
        return [(int(r[0]), int(r[1])) for r in await self.conn.execute(query)]


class OutboxRepo(Repo):
    async def add(
        self, kind: str, payload: dict[str, Any], now: datetime, not_before: datetime | None = None
    ) -> int:
        return new_id(
            await self.conn.execute(insert(outbox).values(**_notice(kind, payload, now, not_before)))
        )

    async def add_many(
        self, kind: str, notices: Sequence[tuple[dict[str, Any], datetime]], now: datetime
    ) -> None:
        if notices:
            rows = [_notice(kind, payload, now, at if at > now else None) for payload, at in notices]
            await self.conn.execute(insert(outbox), rows)

    async def claim(
        self, now: datetime, lease_until: datetime, limit: int, ids: Sequence[int] | None = None
    ) -> list[Notice]:
        o = outbox.c
        due = and_(o.status == NoticeStatus.PENDING, or_(o.claimed_until.is_(None), o.claimed_until <= now))
        query = select(o.id, o.kind, o.payload, o.attempts).where(due).order_by(o.id).limit(limit)
        if ids is not None:
            query = query.where(o.id.in_(list(ids)))
        # SKIP LOCKED lets several bot processes share the queue without waiting on each other.
        rows = list(await self.conn.execute(query.with_for_update(skip_locked=True)))
        if not rows:
            return []
        claimed = (
            update(outbox)
            .where(o.id.in_([r[0] for r in rows]), due)
            .values(claimed_until=lease_until, attempts=o.attempts + 1)
        )
        await self.conn.execute(claimed)
        return [Notice(r[0], r[1], json.loads(r[2]), r[3] + 1) for r in rows]

    async def finish(self, notice_id: int, status: str, error: str | None, retry_at: datetime | None) -> None:
        values: dict[str, Any] = {"status": status, "last_error": error, "claimed_until": retry_at}
        if status == NoticeStatus.SENT:
            values["sent_at"] = func.now()
        await self.conn.execute(update(outbox).where(outbox.c.id == notice_id).values(**values))

    async def backlog(self) -> int:
        query = select(func.count()).where(outbox.c.status == NoticeStatus.PENDING)
        return int((await self.conn.execute(query)).scalar() or 0)
