"""The job that keeps event posts current queues an edit only when what a post shows changed, and
once however many processes run it at the same moment."""

from __future__ import annotations

import asyncio
from typing import cast

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from core.clock import FrozenClock
from core.ports import UnitOfWork
from core.services.posts import refresh_posts
from core.services.showing import changed
from db.schema import outbox
from db.uow import SqlUnitOfWork
from tests.db.test_box_office import on_sale, plan, seat_ids
from tests.db.test_contract import NOW


async def _posted(uow: UnitOfWork, event_id: int, shown: str | None = None) -> None:
    async with uow:
        await uow.events.announced(event_id, 555, 777, shown)
        await uow.commit()


async def test_an_edit_is_queued_when_the_post_shows_something_else(any_uow: UnitOfWork) -> None:
    clock = FrozenClock(NOW)
    event_id = await on_sale(any_uow)
    await _posted(any_uow, event_id)

    # Never drawn from the database's figures yet: queued once, then nothing until a seat moves.
    assert await refresh_posts(lambda: any_uow, clock) == 1
    assert await refresh_posts(lambda: any_uow, clock) == 0
    seats = await seat_ids(any_uow, event_id, "R A1")
    held = await any_uow.box_office.hold(plan(event_id, seats, amount=1000))
    assert held.hold_id is not None
    changed(any_uow, event_id)
    assert await refresh_posts(lambda: any_uow, clock) == 1
    assert await refresh_posts(lambda: any_uow, clock) == 0
    async with any_uow:
        # Somebody else recorded a newer showing meanwhile: this one does not overwrite it.
        assert not await any_uow.events.post_shows(event_id, "stale", "mine")


async def test_two_processes_queue_one_edit(engine: AsyncEngine) -> None:
    def new_uow() -> UnitOfWork:
        return cast(UnitOfWork, SqlUnitOfWork(engine))

    clock = FrozenClock(NOW)
    event_id = await on_sale(new_uow())
    await _posted(new_uow(), event_id)

    queued = await asyncio.gather(*(refresh_posts(new_uow, clock) for _ in range(4)))

    assert sum(queued) == 1
    async with engine.connect() as conn:
        assert await conn.scalar(select(func.count()).select_from(outbox)) == 1
