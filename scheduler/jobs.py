"""The jobs: each is thin and idempotent, claiming due rows and handling each in its own transaction."""

from __future__ import annotations

import asyncio
import logging

from core.runtime import Runtime
from core.services.alerts import fan_out_alerts
from core.services.audit import AuditReport, audit
from core.services.booking import expire_due_holds
from core.services.interests import remember_members
from core.services.organizer import refund_cancelled_events
from core.services.outbox import Deliverer, drain_notices
from core.services.posts import refresh_posts
from core.services.queue import run_queues
from core.services.waitlist import close_waitlists
from core.services.waitlist_assign import serve_waitlists
from scheduler.leases import Leases

log = logging.getLogger(__name__)


async def expire_holds(runtime: Runtime) -> int:
    expired = await expire_due_holds(runtime.uow(), runtime.clock)
    if expired:
        log.info("released %d expired holds", expired)
    return expired


async def send_notices(runtime: Runtime, deliverer: Deliverer) -> int:
    return await drain_notices(runtime.uow, deliverer, runtime.clock)


class NoticeSender:
    """Keeps one drain of the outbox going while anything is due. The job only starts a drain when none
    is running, so a backlog of thousands flows without a pause and no run waits on another. The drain
    renews the job's lease before each batch, so it stops if another process has taken the job over."""

    def __init__(self, runtime: Runtime, deliverer: Deliverer, leases: Leases, lease_seconds: float) -> None:
        self.runtime = runtime
        self.deliverer = deliverer
        self.leases = leases
        self.lease_seconds = lease_seconds
        self._drain: asyncio.Task[None] | None = None
        self._failure: Exception | None = None

    async def kick(self) -> bool:
        """Starts a drain unless one is running; True when it started one. A drain that failed since
        the last run fails this run (after starting the next drain), so the job's figures show it."""
        if self._drain is not None and not self._drain.done():
            return False
        failure, self._failure = self._failure, None
        self._drain = asyncio.create_task(self._until_empty(), name="picket-outbox-drain")
        if failure is not None:
            raise RuntimeError("the last outbox drain failed") from failure
        return True

    async def _until_empty(self) -> None:
        try:
            while await send_notices(self.runtime, self.deliverer):
                if not await self.leases.take("send_notices", self.lease_seconds):
                    return
        except Exception as error:
            # The next kick starts again; what was claimed goes out once its lease ends.
            log.exception("sending notices stopped")
            self._failure = error

    def stop(self) -> None:
        if self._drain is not None:
            self._drain.cancel()


async def refund_cancellations(runtime: Runtime) -> int:
    """Drives every cancelled event's refunds to the end, a batch per event per run."""
    refunded = 0
    for progress in await refund_cancelled_events(runtime.uow, runtime.clock):
        refunded += progress.refunded
        if progress.refunded or progress.done:
            log.info(
                "event %s: refunded %d tickets, %d left", progress.event_id, progress.refunded, progress.left
            )
    return refunded


async def serve_waitlists_job(runtime: Runtime) -> int:
    """Returned seats to the fans waiting for them, paid from their escrow."""
    assigned = await serve_waitlists(runtime.uow, runtime.clock)
    for done in assigned:
        log.info("waitlist entry %s got order %s (%s charged)", done.entry_id, done.order_id, done.charged)
    return len(assigned)


async def close_waitlists_job(runtime: Runtime) -> int:
    """Waitlists past their deadline, or of a cancelled event: every escrow back, every fan told."""
    closed = await close_waitlists(runtime.uow, runtime.clock)
    for line in closed:
        log.info("waitlist of event %s closed: %d entries refunded", line.event_id, line.entries)
    return sum(line.entries for line in closed)


async def fan_out_alerts_job(runtime: Runtime) -> int:
    """New events and reminders to the members who want them, a batch per transaction."""
    steps = await fan_out_alerts(runtime.uow, runtime.clock, runtime.zone)
    queued = sum(step.queued for step in steps)
    if queued:
        log.info("queued %d alert DMs", queued)
    return queued


async def remember_members_job(runtime: Runtime) -> int:
    """The languages members used since the last run, in one statement."""
    return await remember_members(runtime.seen, runtime.uow(), runtime.clock)


async def run_queues_job(runtime: Runtime) -> int:
    """Draws the order of pre-queues whose sale opened and lets fans in at each line's rate."""
    steps = await run_queues(runtime.uow, runtime.clock)
    return sum(step.admitted for step in steps)


async def audit_job(runtime: Runtime) -> AuditReport:
    """Seats, tickets and money checked against the invariants; any breach is logged and exported."""
    report = await audit(runtime.uow)
    if report.healthy:
        log.info("audit: every invariant holds")
    return report


async def refresh_posts_job(runtime: Runtime) -> int:
    """Queues an edit of each event post that no longer shows its sales as they are."""
    return await refresh_posts(runtime.uow, runtime.clock)
