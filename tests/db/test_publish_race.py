"""A draft published by several requests at once (a double click, the button and the command) is
announced by exactly one of them, on the real database."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncEngine

from core.clock import FrozenClock
from core.models import EventStatus
from core.services.events import CreateEvent, create_event, event_details, publish_event
from db.uow import SqlUnitOfWork
from tests.support.builders import fan, organizer, set_up_guild

REQUESTS = 12


async def test_only_one_of_many_publish_requests_announces(engine: AsyncEngine, clock: FrozenClock) -> None:
    await set_up_guild(SqlUnitOfWork(engine))
    draft = await create_event(
        CreateEvent(
            caller=organizer(),
            title="Spring Concert",
            starts_at=clock.now() + timedelta(days=30),
            sale_opens_at=clock.now(),
            ga_capacity=100,
            ga_price=1000,
        ),
        SqlUnitOfWork(engine),
        clock,
    )

    # Connections opened up front, so the requests overlap instead of queueing for the pool.
    await asyncio.gather(
        *(event_details(draft.id, organizer(), SqlUnitOfWork(engine), clock) for _ in range(REQUESTS))
    )
    results = await asyncio.gather(
        *(publish_event(draft.id, organizer(), SqlUnitOfWork(engine), clock) for _ in range(REQUESTS))
    )

    assert sum(r.newly for r in results) == 1
    assert {r.event.status for r in results} == {EventStatus.PUBLISHED}
    shown = await event_details(draft.id, fan(1), SqlUnitOfWork(engine), clock)
    assert shown.event.status is EventStatus.PUBLISHED
