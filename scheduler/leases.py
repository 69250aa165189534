"""Runs each scheduled job in one process of a deployment at a time (see ``core.services.leases``)."""

from __future__ import annotations

import functools
import os
import secrets
import socket
import time
from collections.abc import Awaitable, Callable
from typing import Final, ParamSpec, TypeVar

from core.runtime import Runtime
from core.services.leases import claim_due_run, release_leases, take_lease

P = ParamSpec("P")
T = TypeVar("T")


class _Standby:
    def __repr__(self) -> str:
        return "STANDBY"


# What a job answers when another process holds its lease and this one did nothing.
STANDBY: Final = _Standby()

# A lease outlives a few missed runs, so a slow run or a pause does not hand the job to another
# process, yet a stopped process's jobs move on within this long.
MIN_LEASE_SECONDS = 15.0
# A job run less often than this (the audit, backups) is asked about this often instead and runs when
# the deployment's last run of it is an interval old: a takeover or restart costs minutes, not a day.
RARE_CHECK_SECONDS = 60.0


def check_every(interval: float) -> float:
    """How often the scheduler asks about a job that should run every ``interval`` seconds."""
    return min(interval, RARE_CHECK_SECONDS)


def lease_seconds(interval: float) -> float:
    """How long a job's lease lasts: three of its checks, and at least 15 s."""
    return max(MIN_LEASE_SECONDS, 3 * check_every(interval))


def process_name() -> str:
    """Unique per process, readable in the lease table: host, pid and a random tail."""
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{secrets.token_hex(3)}"


class Leases:
    def __init__(
        self, runtime: Runtime, holder: str | None = None, timer: Callable[[], float] = time.monotonic
    ) -> None:
        self.runtime = runtime
        self.holder = holder or process_name()
        self._timer = timer
        # Until when (time.monotonic()) this process is sure it holds each job's lease: a wall clock
        # stepped back must not stretch a lease the database lets run out.
        self._held_until: dict[str, float] = {}

    async def take(self, job: str, seconds: float) -> bool:
        """True when this process may run ``job`` now. A lease with more than half its length left
        is not renewed yet: a job run every second then writes its lease every few seconds, not each
        run, and no other process can take it before it runs out."""
        asked = self._timer()
        held_until = self._held_until.get(job)
        if held_until is not None and held_until - asked > seconds / 2:
            return True
        if await take_lease(self.runtime.uow(), job, self.holder, self.runtime.clock, seconds):
            self._held_until[job] = asked + seconds
            return True
        self._held_until.pop(job, None)
        return False

    async def release(self) -> None:
        self._held_until.clear()
        await release_leases(self.runtime.uow(), self.holder, self.runtime.clock)

    def leased(
        self, job: str, interval: float, run: Callable[P, Awaitable[T]]
    ) -> Callable[P, Awaitable[T | _Standby]]:
        """``run``, done only while this process holds ``job``'s lease (and, for a rare job, only
        once it is due)."""
        seconds = lease_seconds(interval)
        rare = interval > RARE_CHECK_SECONDS

        @functools.wraps(run)
        async def in_turn(*args: P.args, **kwargs: P.kwargs) -> T | _Standby:
            if not await self.take(job, seconds):
                return STANDBY
            if rare and not await claim_due_run(self.runtime.uow(), job, self.runtime.clock, interval):
                return STANDBY
            return await run(*args, **kwargs)

        return in_turn
