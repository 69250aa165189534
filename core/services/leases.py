"""Which process runs a scheduled job: the holder of its lease in the database.

Every process runs the same scheduler; before each run a job takes its lease. The holder renews it
and keeps it (``scheduler.leases`` writes it again once half used); the others stand by and take over
once a lease has gone unrenewed for its length (the holder stopped or lost the database)."""

from __future__ import annotations

from datetime import datetime, timedelta

from core.clock import Clock
from core.errors import Busy, Retryable
from core.ports import UnitOfWork


async def take_lease(uow: UnitOfWork, job: str, holder: str, clock: Clock, seconds: float) -> bool:
    """True when ``holder`` may run ``job`` now (its lease is renewed for ``seconds``)."""
    now = clock.now()
    try:
        async with uow:
            held = await uow.app_state.claim_lease(job, holder, now, now + timedelta(seconds=seconds))
            await uow.commit()
    except (Retryable, Busy):
        # Two processes reaching for the same lease at once (or a database failing over): let this
        # run pass; the next one asks again.
        return False
    return held


async def claim_due_run(uow: UnitOfWork, job: str, clock: Clock, interval: float) -> bool:
    """For a job run rarely (the audit, a daily backup): True when the deployment's last run of it was
    ``interval`` ago or more (or never), and that run is now this one. Its lease holder asks, so one
    process at a time; the time is kept in the database, so a restart or a takeover neither repeats
    the job early nor puts it off for another whole interval."""
    now = clock.now()
    key = f"job_ran:{job}"
    try:
        async with uow:
            last = await uow.app_state.get(key)
            if last is not None and datetime.fromisoformat(last) + timedelta(seconds=interval) > now:
                return False
            await uow.app_state.put(key, now.isoformat())
            await uow.commit()
    except (Retryable, Busy):
        return False
    return True


async def release_leases(uow: UnitOfWork, holder: str, clock: Clock) -> None:
    """At a clean stop: the others take this process's jobs over now rather than after the lease."""
    try:
        async with uow:
            await uow.app_state.release_leases(holder, clock.now())
            await uow.commit()
    except (Retryable, Busy):
        # The database is away: the leases simply run out.
        return
