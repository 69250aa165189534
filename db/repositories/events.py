from __future__ import annotations

from dataclasses import asdict
from typing import Any

from sqlalchemy import insert, select, update

from core.models import Event, EventStatus
from core.ports import NewEvent
from db.repositories._base import Repo, new_id
from db.schema import events, general_admission


def event_of(row: Any) -> Event:
    values = dict(row._mapping)
    values["status"] = EventStatus(values["status"])
    return Event(**values)


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

    async def set_status(self, event_id: int, status: str) -> None:
        await self.conn.execute(update(events).where(events.c.id == event_id).values(status=status))
