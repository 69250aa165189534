"""Several senders working the outbox at once, as several bot processes would: each notice goes out once."""

from __future__ import annotations

import asyncio
from collections import Counter

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from core.clock import FrozenClock
from core.models import Notice, NoticeStatus
from core.services.outbox import Delivery, deliver_notices
from db.schema import outbox
from db.uow import SqlUnitOfWork

NOTICES = 60
SENDERS = 4


class Recorder:
    def __init__(self) -> None:
        self.sent: Counter[int] = Counter()

    async def deliver(self, notice: Notice) -> Delivery:
        await asyncio.sleep(0)  # let the other senders run between claim and finish
        self.sent[notice.id] += 1
        return Delivery.SENT


async def test_concurrent_senders_send_each_notice_once(engine: AsyncEngine, clock: FrozenClock) -> None:
    async with SqlUnitOfWork(engine) as uow:
        ids = [
            await uow.outbox.add("ticket_cancelled", {"ticket_id": i, "user_id": 5}, clock.now())
            for i in range(NOTICES)
        ]
        await uow.commit()
    recorder = Recorder()

    async def sender() -> int:
        handled = 0
        while outcomes := await deliver_notices(lambda: SqlUnitOfWork(engine), recorder, clock, limit=5):
            handled += len(outcomes)
        return handled

    handled = await asyncio.gather(*(sender() for _ in range(SENDERS)))

    assert sum(handled) == NOTICES
    assert sorted(recorder.sent) == sorted(ids)
    assert set(recorder.sent.values()) == {1}
    async with engine.connect() as conn:
        pending = (
            await conn.execute(select(func.count()).where(outbox.c.status != NoticeStatus.SENT))
        ).scalar()
    assert pending == 0
