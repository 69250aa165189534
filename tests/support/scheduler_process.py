"""One Picket process's scheduler, alone, for the test that runs two against one database.

``python -m tests.support.scheduler_process DATABASE_URL OUT_DIR NAME`` runs every job at a fast
pace until killed, and writes what it did to OUT_DIR/NAME.jsonl: each notice it delivered and each
job run it made (start, end, result), so the test can tell whether anything was done twice."""

from __future__ import annotations

import asyncio
import json
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TextIO
from zoneinfo import ZoneInfo

import scheduler.leases
from core.clock import SystemClock
from core.models import Notice
from core.runtime import Runtime
from core.services.audit import AuditReport
from core.services.outbox import Delivery
from core.ticket_codes import TicketCodes
from db.engine import make_engine
from db.uow import SqlUnitOfWork
from scheduler.leases import STANDBY, Leases
from scheduler.runner import Upkeep, build_scheduler

PACE = 0.2
# Short leases so the test sees a takeover in seconds rather than in production's quarter minute.
LEASE_SECONDS = 4.0


class Journal:
    def __init__(self, out: TextIO) -> None:
        self.out = out

    def write(self, **record: Any) -> None:
        self.out.write(json.dumps(record) + "\n")
        self.out.flush()


class Recorder:
    def __init__(self, journal: Journal) -> None:
        self.journal = journal

    async def deliver(self, notice: Notice) -> Delivery:
        # A little time per notice, as a DM takes, so both processes are alive through the backlog.
        await asyncio.sleep(0.003)
        self.journal.write(kind="delivered", id=notice.id)
        return Delivery.SENT


class TimedLeases(Leases):
    def __init__(self, runtime: Runtime, holder: str, journal: Journal) -> None:
        super().__init__(runtime, holder)
        self.journal = journal

    def leased(self, job: str, interval: float, run: Callable[..., Awaitable[Any]]) -> Callable[..., Any]:
        in_turn = super().leased(job, interval, run)

        async def timed(*args: Any, **kwargs: Any) -> Any:
            start = time.time()
            result = await in_turn(*args, **kwargs)
            if result is not STANDBY:
                done = result if isinstance(result, int) else int(isinstance(result, AuditReport))
                self.journal.write(kind="run", job=job, start=start, end=time.time(), result=done)
            return result

        return timed


async def main(url: str, out_dir: Path, name: str) -> None:
    scheduler.leases.MIN_LEASE_SECONDS = LEASE_SECONDS
    engine = make_engine(url)
    runtime = Runtime(
        lambda: SqlUnitOfWork(engine), SystemClock(), ZoneInfo("Asia/Seoul"), TicketCodes.generate()
    )
    with (out_dir / f"{name}.jsonl").open("a", encoding="utf-8") as out:
        journal = Journal(out)
        jobs = build_scheduler(
            runtime,
            Recorder(journal),
            leases=TimedLeases(runtime, name, journal),
            hold_sweep_seconds=PACE,
            outbox_seconds=PACE,
            refund_seconds=PACE,
            waitlist_seconds=PACE,
            alert_seconds=PACE,
            queue_seconds=PACE,
            post_seconds=PACE,
            upkeep=Upkeep(audit_minutes=PACE / 60),
        )
        jobs.start()
        journal.write(kind="started")
        await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], Path(sys.argv[2]), sys.argv[3]))
