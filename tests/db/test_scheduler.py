"""The scheduler's jobs run on their own and do their work in the database."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_EXECUTED, JobExecutionEvent
from sqlalchemy.ext.asyncio import AsyncEngine

import scheduler.jobs
from core.clock import FrozenClock
from core.models import HoldStatus, Notice, SeatStatus
from core.runtime import Runtime
from core.services.booking import HoldSeats, hold_seats
from core.services.outbox import Delivery
from core.ticket_codes import TicketCodes
from db.uow import SqlUnitOfWork
from scheduler.jobs import NoticeSender
from scheduler.leases import Leases
from scheduler.runner import Upkeep, build_scheduler
from tests.support.builders import fan, fund, key, on_sale_event


class Inbox:
    def __init__(self) -> None:
        self.notices: list[Notice] = []
        self.arrived = asyncio.Event()

    async def deliver(self, notice: Notice) -> Delivery:
        self.notices.append(notice)
        self.arrived.set()
        return Delivery.SENT


async def test_jobs_expire_holds_and_send_notices(engine: AsyncEngine, clock: FrozenClock) -> None:
    runtime = Runtime(lambda: SqlUnitOfWork(engine), clock, ZoneInfo("Asia/Seoul"), TicketCodes.generate())
    event = await on_sale_event(runtime.uow(), clock)
    await fund(runtime.uow(), clock, 7, 10_000)
    section = await _section(runtime, event.id)
    held = await hold_seats(
        HoldSeats(event.id, fan(7), key(), section_id=section, quantity=2), runtime.uow(), clock
    )
    async with runtime.uow() as uow:
        await uow.outbox.add("ticket_cancelled", {"ticket_id": 1, "user_id": 7}, clock.now())
        await uow.commit()
    clock.advance(timedelta(minutes=event.hold_minutes + 1))

    inbox = Inbox()
    scheduler = build_scheduler(runtime, inbox, hold_sweep_seconds=0.05, outbox_seconds=0.05)
    swept = asyncio.Event()
    failures: list[BaseException] = []

    def listen(job_event: JobExecutionEvent) -> None:
        if job_event.exception is not None:
            failures.append(job_event.exception)
        if job_event.job_id == "expire_holds":
            swept.set()

    scheduler.add_listener(listen, EVENT_JOB_EXECUTED | EVENT_JOB_ERROR)
    scheduler.start()
    try:
        async with asyncio.timeout(10):
            # The notice job starts a drain of the outbox and returns; the drain delivers.
            await asyncio.gather(swept.wait(), inbox.arrived.wait())
    finally:
        scheduler.shutdown(wait=False)

    assert failures == []
    assert [n.payload["ticket_id"] for n in inbox.notices] == [1]
    async with runtime.uow() as uow:
        hold = await uow.holds.get(held.hold.id)
        seats = await uow.seats.seats(event.id, held.hold.seat_ids)
    assert hold is not None and hold.status is HoldStatus.EXPIRED
    assert {s.status for s in seats} == {SeatStatus.AVAILABLE}


async def _section(runtime: Runtime, event_id: int) -> int:
    async with runtime.uow() as uow:
        return (await uow.seats.availability(event_id, runtime.clock.now()))[0].section_id


async def test_backups_are_scheduled_only_when_asked_for(engine: AsyncEngine, clock: FrozenClock) -> None:
    runtime = Runtime(lambda: SqlUnitOfWork(engine), clock, ZoneInfo("Asia/Seoul"), TicketCodes.generate())

    async def back_up() -> None:
        return None

    plain = build_scheduler(runtime, Inbox())
    assert plain.get_job("backup") is None
    # Rare jobs are asked about every minute and run when due (see test_leases).
    assert plain.get_job("audit").trigger.interval == timedelta(minutes=1)
    daily = build_scheduler(
        runtime, Inbox(), upkeep=Upkeep(audit_minutes=5, backup_hours=24, back_up=back_up)
    )
    assert daily.get_job("backup").trigger.interval == timedelta(minutes=1)


async def test_a_failing_outbox_drain_shows_as_a_failed_run(
    engine: AsyncEngine, clock: FrozenClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    runtime = Runtime(lambda: SqlUnitOfWork(engine), clock, ZoneInfo("Asia/Seoul"), TicketCodes.generate())

    async def database_gone(*_: object) -> int:
        raise ConnectionResetError("the database went away")

    monkeypatch.setattr(scheduler.jobs, "send_notices", database_gone)
    sender = NoticeSender(runtime, Inbox(), Leases(runtime), 15)
    assert await sender.kick()
    assert sender._drain is not None
    await sender._drain  # the drain logs its failure and ends

    with pytest.raises(RuntimeError, match="the last outbox drain failed"):
        await sender.kick()
    assert not sender._drain.done(), "the failing run still started the next drain"
    sender.stop()
