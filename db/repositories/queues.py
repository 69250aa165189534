"""The waiting room: one row per event's line and one per fan in it."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import and_, bindparam, func, insert, or_, select, update

from core.models import EventStatus, PlaceStatus, Queue, QueuePlace
from db.repositories._base import Repo, insert_ignoring_duplicates
from db.schema import events, queue_places, queues

q = queues.c
p = queue_places.c
_QUEUE = (q.event_id, q.opened_at, q.next_position, q.admitted_upto, q.admitted_at, q.rate_per_minute, q.cap)
_PLACE = (p.event_id, p.user_id, p.position, p.status, p.pass_until, p.locale)


def _queue(row: Any) -> Queue:
    return Queue(row[0], row[1], row[2], row[3], row[4], row[5], row[6], row[7], bool(row[8]))


def _place(row: Any) -> QueuePlace:
    return QueuePlace(row[0], row[1], row[2], PlaceStatus(row[3]), row[4], row[5])


class QueueRepo(Repo):
    async def _queue(self, event_id: int, *, locked: bool) -> Queue | None:
        query = select(*_QUEUE, q.pass_minutes, q.paused).where(q.event_id == event_id)
        row = (await self.conn.execute(query.with_for_update() if locked else query)).first()
        return _queue(row) if row is not None else None

    async def get(self, event_id: int) -> Queue | None:
        return await self._queue(event_id, locked=False)

    async def lock(self, event_id: int) -> Queue | None:
        return await self._queue(event_id, locked=True)

    async def create(self, queue: Queue) -> None:
        await self.conn.execute(insert_ignoring_duplicates(queues, **_values(queue)))

    async def save(self, queue: Queue) -> None:
        await self.conn.execute(update(queues).where(q.event_id == queue.event_id).values(**_values(queue)))

    async def place(self, event_id: int, user_id: int) -> QueuePlace | None:
        row = (
            await self.conn.execute(select(*_PLACE).where(p.event_id == event_id, p.user_id == user_id))
        ).first()
        return _place(row) if row is not None else None

    async def places(self, event_id: int, user_ids: Sequence[int]) -> dict[int, QueuePlace]:
        if not user_ids:
            return {}
        query = select(*_PLACE).where(p.event_id == event_id, p.user_id.in_(list(user_ids)))
        return {int(row[1]): _place(row) for row in await self.conn.execute(query)}

    async def join(self, places: Sequence[QueuePlace], now: datetime) -> None:
        rows = [
            {
                "event_id": place.event_id,
                "user_id": place.user_id,
                "position": place.position,
                "status": place.status,
                "pass_until": place.pass_until,
                "locale": place.locale,
                "joined_at": now,
            }
            for place in places
        ]
        if rows:
            await self.conn.execute(insert(queue_places), rows)

    async def set_place(self, place: QueuePlace) -> None:
        await self.conn.execute(
            update(queue_places)
            .where(p.event_id == place.event_id, p.user_id == place.user_id)
            .values(position=place.position, status=place.status, pass_until=place.pass_until)
        )

    async def pre_queue(self, event_id: int) -> list[int]:
        query = (
            select(p.user_id)
            .where(p.event_id == event_id, p.position.is_(None), p.status == PlaceStatus.WAITING)
            .order_by(p.joined_at, p.user_id)
        )
        return [int(row[0]) for row in await self.conn.execute(query)]

    async def number(self, event_id: int, positions: Sequence[tuple[int, int]]) -> None:
        if not positions:
            return
        statement = (
            update(queue_places)
            .where(p.event_id == event_id, p.user_id == bindparam("u"))
            .values(position=bindparam("n"))
        )
        await self.conn.execute(statement, [{"u": user, "n": number} for user, number in positions])

    async def holding_passes(self, event_id: int, now: datetime) -> int:
        query = select(func.count()).where(
            p.event_id == event_id, p.status == PlaceStatus.ADMITTED, p.pass_until > now
        )
        return int((await self.conn.execute(query)).scalar() or 0)

    async def admit(self, event_id: int, after: int, upto: int, until: datetime) -> list[QueuePlace]:
        window = and_(
            p.event_id == event_id, p.position > after, p.position <= upto, p.status == PlaceStatus.WAITING
        )
        admitted = [_place(row) for row in await self.conn.execute(select(*_PLACE).where(window))]
        await self.conn.execute(
            update(queue_places).where(window).values(status=PlaceStatus.ADMITTED, pass_until=until)
        )
        return [
            QueuePlace(a.event_id, a.user_id, a.position, PlaceStatus.ADMITTED, until, a.locale)
            for a in admitted
        ]

    async def to_open(self, now: datetime, limit: int) -> list[int]:
        due = or_(q.opened_at.is_(None), q.next_position - 1 > q.admitted_upto)
        query = (
            select(q.event_id)
            .join(events, events.c.id == q.event_id)
            .where(events.c.status == EventStatus.PUBLISHED, events.c.sale_opens_at <= now, due)
            .order_by(q.event_id)
            .limit(limit)
        )
        return [int(row[0]) for row in await self.conn.execute(query)]

    async def waiting_total(self) -> int:
        # Only rooms that can still let anyone in: a cancelled sale's line is not waiting for anything.
        query = (
            select(func.count())
            .select_from(queue_places.join(events, events.c.id == p.event_id))
            .where(p.status == PlaceStatus.WAITING, events.c.status == EventStatus.PUBLISHED)
        )
        return int((await self.conn.execute(query)).scalar() or 0)

    async def waiting(self, event_id: int, limit: int) -> list[QueuePlace]:
        query = (
            select(*_PLACE)
            .where(p.event_id == event_id, p.status == PlaceStatus.WAITING)
            .order_by(p.position)
            .limit(limit)
        )
        return [_place(row) for row in await self.conn.execute(query)]


def _values(queue: Queue) -> dict[str, Any]:
    return {
        "event_id": queue.event_id,
        "opened_at": queue.opened_at,
        "next_position": queue.next_position,
        "admitted_upto": queue.admitted_upto,
        "admitted_at": queue.admitted_at,
        "rate_per_minute": queue.rate_per_minute,
        "cap": queue.cap,
        "pass_minutes": queue.pass_minutes,
        "paused": queue.paused,
    }
