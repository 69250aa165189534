"""Job leases on SQLite, MariaDB and the fake: one holder at a time, kept while renewed, taken over
once it runs out; and a crowd of processes reaching for a free lease at once gets one holder."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from core.clock import FrozenClock
from core.ports import UnitOfWork
from core.runtime import Runtime
from core.services.leases import release_leases, take_lease
from core.ticket_codes import TicketCodes
from db.engine import make_engine
from db.uow import SqlUnitOfWork
from scheduler.leases import STANDBY, Leases, lease_seconds
from tests.unit.fakes import FakeUnitOfWork

SECONDS = 15
DAY = timedelta(days=1)


async def test_one_holder_at_a_time_until_the_lease_runs_out(any_uow: UnitOfWork, clock: FrozenClock) -> None:
    assert await take_lease(any_uow, "run_queues", "a", clock, SECONDS)
    assert not await take_lease(any_uow, "run_queues", "b", clock, SECONDS)
    # Another job's lease is a lease of its own.
    assert await take_lease(any_uow, "expire_holds", "b", clock, SECONDS)

    clock.advance(timedelta(seconds=SECONDS - 1))
    assert await take_lease(any_uow, "run_queues", "a", clock, SECONDS), "the holder renews its lease"
    clock.advance(timedelta(seconds=SECONDS - 1))
    assert not await take_lease(any_uow, "run_queues", "b", clock, SECONDS), "renewed: still a's"

    clock.advance(timedelta(seconds=SECONDS + 1))
    assert await take_lease(any_uow, "run_queues", "b", clock, SECONDS), "a stopped renewing: b takes over"
    assert not await take_lease(any_uow, "run_queues", "a", clock, SECONDS)


async def test_a_process_stopping_cleanly_hands_its_jobs_over_at_once(
    any_uow: UnitOfWork, clock: FrozenClock
) -> None:
    for job in ("run_queues", "send_notices"):
        assert await take_lease(any_uow, job, "a", clock, SECONDS)
    assert await take_lease(any_uow, "audit", "b", clock, SECONDS)

    await release_leases(any_uow, "a", clock)

    assert await take_lease(any_uow, "run_queues", "b", clock, SECONDS)
    assert await take_lease(any_uow, "send_notices", "b", clock, SECONDS)
    assert not await take_lease(any_uow, "audit", "c", clock, SECONDS), "only a's leases ended"


async def test_processes_racing_for_a_free_lease_get_one_holder(
    engine: AsyncEngine, clock: FrozenClock
) -> None:
    # A separate engine (pool) per contender, as separate processes would have.
    engines = [make_engine(engine.url.render_as_string(hide_password=False)) for _ in range(8)]
    try:
        for _ in range(5):
            clock.advance(timedelta(seconds=SECONDS + 1))
            won = await asyncio.gather(
                *(
                    take_lease(SqlUnitOfWork(e), "send_notices", f"process-{i}", clock, SECONDS)
                    for i, e in enumerate(engines)
                )
            )
            assert sum(won) == 1, won
    finally:
        for e in engines:
            await e.dispose()


async def test_a_held_lease_is_written_again_only_once_half_used(clock: FrozenClock) -> None:
    uow = FakeUnitOfWork()
    runtime = Runtime(lambda: uow, clock, ZoneInfo("Asia/Seoul"), TicketCodes.generate())
    # The processes' own timers, moving with the test's clock.
    mine, theirs = (Leases(runtime, name, timer=lambda: clock.now().timestamp()) for name in "ab")
    assert await mine.take("run_queues", SECONDS)
    written = uow.commits

    clock.advance(timedelta(seconds=5))
    assert await mine.take("run_queues", SECONDS)
    assert uow.commits == written, "ten seconds left of fifteen: no write"
    clock.advance(timedelta(seconds=3))
    assert await mine.take("run_queues", SECONDS)
    assert uow.commits == written + 1, "seven seconds left: renewed"

    clock.advance(timedelta(seconds=SECONDS - 1))
    assert not await theirs.take("run_queues", SECONDS), "the renewal keeps the other process out"
    await mine.release()
    assert await theirs.take("run_queues", SECONDS)
    assert not await mine.take("run_queues", SECONDS), "released: no longer believed held"


@pytest.mark.parametrize(("interval", "lease"), [(1, 15), (10, 30), (600, 180), (24 * 3600, 180)])
def test_a_lease_lasts_three_checks_and_at_least_fifteen_seconds(interval: float, lease: float) -> None:
    assert lease_seconds(interval) == lease


async def test_a_daily_job_runs_once_a_day_whichever_process_holds_it(clock: FrozenClock) -> None:
    uow = FakeUnitOfWork()
    runtime = Runtime(lambda: uow, clock, ZoneInfo("Asia/Seoul"), TicketCodes.generate())
    ran: list[str] = []

    def process(name: str) -> Callable[[], Awaitable[object]]:
        leases = Leases(runtime, name, timer=lambda: clock.now().timestamp())

        async def back_up() -> None:
            ran.append(name)

        return leases.leased("backup", DAY.total_seconds(), back_up)

    first, second = process("a"), process("b")
    assert await first() is None and ran == ["a"]
    clock.advance(timedelta(minutes=1))
    assert await first() is STANDBY, "ran a minute ago: not due"
    assert await second() is STANDBY, "a holds the lease"
    # a stops. b takes the lease over within minutes, but the day's backup is already made.
    clock.advance(timedelta(minutes=4))
    assert await second() is STANDBY and ran == ["a"]
    clock.advance(DAY - timedelta(minutes=5))
    assert await second() is None and ran == ["a", "b"], "due again a day after a's run"
    # b restarts as a new process: the database remembers the last run.
    clock.advance(timedelta(minutes=4))
    assert await process("b-restarted")() is STANDBY and ran == ["a", "b"]
