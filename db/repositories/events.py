from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Any

from sqlalchemy import and_, delete, func, insert, or_, select, update

from core.models import Event, EventQuery, EventRules, EventStatus, TicketStatus
from core.ports import NewEvent
from db.repositories._base import Repo, insert_ignoring_duplicates, new_id
from db.schema import announcements, event_rules, event_staff, events, general_admission, tickets

# The times of an event row, which a box office reads as text (SQLite's rows, MariaDB's JSON).
_TIMES = ("starts_at", "sale_opens_at", "created_at", "cancelled_at", "refunds_done_at")


def event_from(values: dict[str, Any]) -> Event:
    """An event from its row's columns by name, with times and flags as text or numbers."""
    values = dict(values)
    for name in _TIMES:
        if isinstance(values[name], str):
            values[name] = datetime.fromisoformat(values[name])
    values["status"] = EventStatus(values["status"])
    values["use_queue"] = bool(values["use_queue"])
    return Event(**values)


def event_of(row: Any) -> Event:
    return event_from(row._mapping)


class EventRepo(Repo):
    async def add(self, event: NewEvent) -> int:
        result = await self.conn.execute(insert(events).values(**asdict(event), status=EventStatus.DRAFT))
        event_id = new_id(result)
        if event.ga_capacity is not None:
            await self.conn.execute(
                insert(general_admission).values(event_id=event_id, capacity=event.ga_capacity, taken=0)
            )
        return event_id

    async def get(self, event_id: int) -> Event | None:
        row = (await self.conn.execute(select(events).where(events.c.id == event_id))).first()
        return event_of(row) if row is not None else None

    async def set_status(self, event_id: int, status: str, *, only_from: str | None = None) -> bool:
        query = update(events).where(events.c.id == event_id)
        if only_from is not None:
            query = query.where(events.c.status == only_from)
        result = await self.conn.execute(query.values(status=status, version=events.c.version + 1))
        return result.rowcount == 1

    async def update(self, event_id: int, changes: dict[str, Any]) -> None:
        # Every change moves the version on, so copies kept elsewhere know they are stale.
        statement = update(events).where(events.c.id == event_id)
        await self.conn.execute(statement.values(**changes, version=events.c.version + 1))

    async def upcoming(self, query: EventQuery, now: datetime) -> tuple[list[Event], int]:
        e = events.c
        conditions = [e.guild_id == query.guild_id, e.status == EventStatus.PUBLISHED, e.starts_at > now]
        if query.category:
            conditions.append(e.category == query.category)
        if query.starts_from:
            conditions.append(e.starts_at >= query.starts_from)
        if query.starts_to:
            conditions.append(e.starts_at < query.starts_to)
        if query.keyword:
            pattern = f"%{_escape_like(query.keyword)}%"
            conditions.append(or_(e.title.ilike(pattern, escape="\\"), e.venue.ilike(pattern, escape="\\")))
        total = (await self.conn.execute(select(func.count()).where(*conditions))).scalar() or 0
        rows = await self.conn.execute(
            select(events)
            .where(*conditions)
            .order_by(e.starts_at, e.id)
            .offset(query.offset)
            .limit(query.limit)
        )
        return [event_of(row) for row in rows], int(total)

    async def search(
        self, guild_id: int, viewer_id: int, text: str, now: datetime, limit: int
    ) -> list[Event]:
        e = events.c
        visible = or_(
            and_(e.status == EventStatus.PUBLISHED, e.starts_at > now),
            and_(e.status == EventStatus.DRAFT, e.organizer_id == viewer_id),
        )
        query = select(events).where(e.guild_id == guild_id, visible)
        if text:
            query = query.where(e.title.ilike(f"%{_escape_like(text)}%", escape="\\"))
        rows = await self.conn.execute(query.order_by(e.starts_at, e.id).limit(limit))
        return [event_of(row) for row in rows]

    async def tickets_sold(self, event_id: int) -> int:
        query = select(func.count()).where(
            tickets.c.event_id == event_id, tickets.c.status == TicketStatus.ACTIVE
        )
        return int((await self.conn.execute(query)).scalar() or 0)

    async def announced(
        self, event_id: int, channel_id: int, message_id: int, shown: str | None = None
    ) -> None:
        await self.conn.execute(
            insert_ignoring_duplicates(
                announcements, event_id=event_id, channel_id=channel_id, message_id=message_id, shown=shown
            )
        )

    async def announcement(self, event_id: int) -> tuple[int, int] | None:
        a = announcements.c
        row = (
            await self.conn.execute(select(a.channel_id, a.message_id).where(a.event_id == event_id))
        ).first()
        return (int(row[0]), int(row[1])) if row is not None else None

    async def posts(self, since: datetime, limit: int) -> list[tuple[int, str | None]]:
        a, e = announcements.c, events.c
        query = (
            select(a.event_id, a.shown)
            .join(events, e.id == a.event_id)
            .where(e.starts_at > since, e.status.in_((EventStatus.PUBLISHED, EventStatus.CANCELLED)))
            .order_by(e.starts_at, e.id)
            .limit(limit)
        )
        return [(int(row[0]), row[1]) for row in await self.conn.execute(query)]

    async def post_shows(self, event_id: int, was: str | None, now: str) -> bool:
        a = announcements.c
        stale = a.shown.is_(None) if was is None else a.shown == was
        statement = update(announcements).where(a.event_id == event_id, stale).values(shown=now)
        return (await self.conn.execute(statement)).rowcount == 1

    async def rules(self, event_id: int) -> EventRules:
        r = event_rules.c
        query = select(r.static_codes, r.min_account_days, r.buyer_role_id).where(r.event_id == event_id)
        row = (await self.conn.execute(query)).first()
        return EventRules(event_id, bool(row[0]), row[1], row[2]) if row is not None else EventRules(event_id)

    async def set_rules(self, rules: EventRules) -> None:
        r = event_rules.c
        values = {
            "static_codes": rules.static_codes,
            "min_account_days": rules.min_account_days,
            "buyer_role_id": rules.buyer_role_id,
        }
        changed = await self.conn.execute(
            update(event_rules).where(r.event_id == rules.event_id).values(**values)
        )
        if changed.rowcount == 0:
            await self.conn.execute(insert(event_rules).values(event_id=rules.event_id, **values))

    async def staff(self, event_id: int) -> list[int]:
        s = event_staff.c
        query = select(s.user_id).where(s.event_id == event_id).order_by(s.user_id)
        return [int(row[0]) for row in await self.conn.execute(query)]

    async def add_staff(self, event_id: int, user_id: int) -> bool:
        added = await self.conn.execute(
            insert_ignoring_duplicates(event_staff, event_id=event_id, user_id=user_id)
        )
        return added.rowcount == 1

    async def remove_staff(self, event_id: int, user_id: int) -> bool:
        s = event_staff.c
        removed = await self.conn.execute(
            delete(event_staff).where(s.event_id == event_id, s.user_id == user_id)
        )
        return removed.rowcount == 1

    async def awaiting_refunds(self, limit: int) -> list[int]:
        e = events.c
        query = (
            select(e.id)
            .where(e.status == EventStatus.CANCELLED, e.refunds_done_at.is_(None))
            .order_by(e.cancelled_at, e.id)
            .limit(limit)
        )
        return [int(r[0]) for r in await self.conn.execute(query)]


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
