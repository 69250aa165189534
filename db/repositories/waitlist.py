"""The cancellation waitlist: entries in line and one line row per event."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, insert, or_, select, update

from core.errors import DuplicateKey
from core.models import EventStatus, NewWaitlistEntry, WaitlistEntry, WaitlistStatus
from db.errors import is_duplicate
from db.repositories._base import Repo, insert_ignoring_duplicates, new_id
from db.schema import events, waitlist_entries, waitlist_lines

w = waitlist_entries.c
line = waitlist_lines.c

_COLUMNS = (
    w.id,
    w.event_id,
    w.user_id,
    w.section_id,
    w.quantity,
    w.max_price,
    w.escrow,
    w.status,
    w.client_key,
    w.holder_name,
    w.locale,
    w.created_at,
    w.order_id,
)


def _entry(row: Any) -> WaitlistEntry:
    values = list(row)
    values[7] = WaitlistStatus(values[7])
    return WaitlistEntry(*values)


class WaitlistRepo(Repo):
    async def add(self, entry: NewWaitlistEntry) -> int:
        values = {
            "event_id": entry.event_id,
            "user_id": entry.user_id,
            "waiting_user_id": entry.user_id,
            "section_id": entry.section_id,
            "quantity": entry.quantity,
            "max_price": entry.max_price,
            "escrow": entry.escrow,
            "status": WaitlistStatus.WAITING,
            "client_key": entry.client_key,
            "holder_name": entry.holder_name,
            "locale": entry.locale,
            "created_at": entry.created_at,
        }
        try:
            return new_id(await self.conn.execute(insert(waitlist_entries).values(**values)))
        except Exception as exc:
            if is_duplicate(exc):
                raise DuplicateKey(entry.client_key) from exc
            raise

    async def _one(self, *conditions: Any) -> WaitlistEntry | None:
        row = (await self.conn.execute(select(*_COLUMNS).where(*conditions))).first()
        return _entry(row) if row is not None else None

    async def get(self, entry_id: int) -> WaitlistEntry | None:
        return await self._one(w.id == entry_id)

    async def by_client_key(self, client_key: str) -> WaitlistEntry | None:
        return await self._one(w.client_key == client_key)

    async def waiting_for(self, event_id: int, user_id: int) -> WaitlistEntry | None:
        return await self._one(w.event_id == event_id, w.waiting_user_id == user_id)

    async def of_fan(self, user_id: int) -> list[WaitlistEntry]:
        query = (
            select(*_COLUMNS).where(w.user_id == user_id, w.status == WaitlistStatus.WAITING).order_by(w.id)
        )
        return [_entry(row) for row in await self.conn.execute(query)]

    async def place(self, entry: WaitlistEntry) -> int:
        query = select(func.count()).where(
            w.event_id == entry.event_id, w.status == WaitlistStatus.WAITING, w.id <= entry.id
        )
        return int((await self.conn.execute(query)).scalar() or 0)

    async def in_line(self, event_id: int, limit: int) -> list[WaitlistEntry]:
        query = (
            select(*_COLUMNS)
            .where(w.event_id == event_id, w.status == WaitlistStatus.WAITING)
            .order_by(w.id)
            .limit(limit)
        )
        return [_entry(row) for row in await self.conn.execute(query)]

    async def finish(
        self, entry_id: int, status: WaitlistStatus, now: datetime, order_id: int | None = None
    ) -> bool:
        ended = await self.conn.execute(
            update(waitlist_entries)
            .where(w.id == entry_id, w.status == WaitlistStatus.WAITING)
            .values(status=status, waiting_user_id=None, ended_at=now, order_id=order_id)
        )
        if ended.rowcount != 1:
            return False
        event_id = select(w.event_id).where(w.id == entry_id).scalar_subquery()
        await self.conn.execute(
            update(waitlist_lines)
            .where(line.event_id == event_id, line.waiting > 0)
            .values(waiting=line.waiting - 1)
        )
        return True

    async def open_line(self, event_id: int, closes_at: datetime) -> None:
        await self.conn.execute(
            insert_ignoring_duplicates(waitlist_lines, event_id=event_id, waiting=0, closes_at=closes_at)
        )
        await self.conn.execute(
            update(waitlist_lines).where(line.event_id == event_id).values(waiting=line.waiting + 1)
        )

    async def waiting(self, event_id: int) -> int:
        query = select(line.waiting).where(line.event_id == event_id)
        return int((await self.conn.execute(query)).scalar() or 0)

    async def take_line(self, event_id: int) -> bool:
        query = select(line.event_id).where(line.event_id == event_id).with_for_update(skip_locked=True)
        return (await self.conn.execute(query)).first() is not None

    async def lines_to_serve(self, limit: int) -> list[int]:
        query = select(line.event_id).where(line.waiting > 0).order_by(line.event_id).limit(limit)
        return [int(row[0]) for row in await self.conn.execute(query)]

    async def lines_due(self, now: datetime, limit: int) -> list[int]:
        over = or_(line.closes_at <= now, events.c.status == EventStatus.CANCELLED)
        query = (
            select(line.event_id)
            .join(events, events.c.id == line.event_id)
            .where(line.waiting > 0, over)
            .order_by(line.closes_at)
            .limit(limit)
        )
        return [int(row[0]) for row in await self.conn.execute(query)]

    async def lengths(self, event_id: int) -> dict[int | None, int]:
        query = (
            select(w.section_id, func.count())
            .where(and_(w.event_id == event_id, w.status == WaitlistStatus.WAITING))
            .group_by(w.section_id)
        )
        return {row[0]: int(row[1]) for row in await self.conn.execute(query)}
