from __future__ import annotations

from typing import Any

from sqlalchemy import Select, exists, func, select, text

from core.ledger import AccountKind
from core.models import SeatStatus, TicketStatus, WaitlistStatus
from db.repositories._base import Repo
from db.schema import accounts, general_admission, ledger_entries, orders, seats, tickets, waitlist_entries


def _count(rows: Select[Any]) -> Select[Any]:
    return select(func.count()).select_from(rows.subquery())


def _oversold() -> Select[Any]:
    t, s, ga = tickets.c, seats.c, general_admission.c
    sold = (
        select(t.event_id, func.count().label("sold"))
        .where(t.status == TicketStatus.ACTIVE)
        .group_by(t.event_id)
        .subquery()
    )
    seated = select(s.event_id, func.count().label("seats")).group_by(s.event_id).subquery()
    capacity = func.coalesce(ga.capacity, seated.c.seats, 0)
    return (
        select(func.count())
        .select_from(
            sold.outerjoin(seated, seated.c.event_id == sold.c.event_id).outerjoin(
                general_admission, ga.event_id == sold.c.event_id
            )
        )
        .where(sold.c.sold > capacity)
    )


def _sold_twice() -> Select[Any]:
    t = tickets.c
    return _count(
        select(t.seat_id)
        .where(t.status == TicketStatus.ACTIVE, t.seat_id.is_not(None))
        .group_by(t.seat_id)
        .having(func.count() > 1)
    )


def _on_unsold_seats() -> Select[Any]:
    t, s = tickets.c, seats.c
    return (
        select(func.count())
        .select_from(tickets.join(seats, s.id == t.seat_id))
        .where(t.status == TicketStatus.ACTIVE, s.status != SeatStatus.SOLD)
    )


def _orders_without_tickets() -> Select[Any]:
    return select(func.count()).where(~exists().where(tickets.c.order_id == orders.c.id)).select_from(orders)


def _unbalanced_postings() -> Select[Any]:
    e = ledger_entries.c
    return _count(select(e.txn_key).group_by(e.txn_key).having(func.sum(e.amount) != 0))


def _escrow_mismatched() -> Select[Any]:
    w, a = waitlist_entries.c, accounts.c
    held = (
        select(w.user_id, func.sum(w.escrow).label("held"))
        .where(w.status == WaitlistStatus.WAITING)
        .group_by(w.user_id)
        .subquery()
    )
    escrow = select(a.owner_id, a.balance).where(a.kind == AccountKind.ESCROW).subquery()
    # Both directions: an escrow balance nobody waits for, and a wait with no money behind it.
    account_side = _count(
        select(escrow.c.owner_id)
        .select_from(escrow.outerjoin(held, held.c.user_id == escrow.c.owner_id))
        .where(escrow.c.balance != func.coalesce(held.c.held, 0))
    )
    entry_side = _count(
        select(held.c.user_id)
        .select_from(held.outerjoin(escrow, escrow.c.owner_id == held.c.user_id))
        .where(escrow.c.owner_id.is_(None), held.c.held > 0)
    )
    return select(account_side.scalar_subquery() + entry_side.scalar_subquery())


QUERIES = {
    "oversold_events": _oversold(),
    "seats_sold_twice": _sold_twice(),
    "tickets_on_unsold_seats": _on_unsold_seats(),
    "orders_without_tickets": _orders_without_tickets(),
    "ledger_unbalanced": _unbalanced_postings(),
    "escrow_mismatched": _escrow_mismatched(),
}


class AuditRepo(Repo):
    async def breaches(self) -> dict[str, int]:
        return {
            check: int((await self.conn.execute(query)).scalar() or 0) for check, query in QUERIES.items()
        }

    async def cluster_size(self) -> int | None:
        if self.conn.dialect.name != "mysql":
            return None
        row = (await self.conn.execute(text("SHOW GLOBAL STATUS LIKE 'wsrep_cluster_size'"))).first()
        # A server without Galera reports 0 (or nothing): not a cluster.
        return int(row[1]) if row is not None and int(row[1]) > 0 else None
