"""APScheduler set-up. Jobs survive restarts because their work lives in the database, not in timers.

Every process of a deployment builds the same scheduler; each job runs in the process that holds its
lease (see ``scheduler.leases``), so nothing is done twice however many processes share the database."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from apscheduler.events import EVENT_SCHEDULER_SHUTDOWN
from apscheduler.schedulers.asyncio import AsyncIOScheduler

from core.runtime import Runtime
from core.services.outbox import Deliverer
from scheduler import jobs
from scheduler.leases import Leases, check_every, lease_seconds

AUDIT_MINUTES = 10


@dataclass(frozen=True)
class Upkeep:
    """The operators' jobs beside the sale's own: the auditor, and backups when they are wanted."""

    audit_minutes: float = AUDIT_MINUTES
    backup_hours: float | None = None
    back_up: Callable[[], Awaitable[object]] | None = None


def build_scheduler(
    runtime: Runtime,
    deliverer: Deliverer,
    *,
    leases: Leases | None = None,
    hold_sweep_seconds: float = 5,
    outbox_seconds: float = 2,
    refund_seconds: float = 10,
    waitlist_seconds: float = 3,
    alert_seconds: float = 2,
    queue_seconds: float = 1,
    post_seconds: float = 10,
    upkeep: Upkeep | None = None,
) -> AsyncIOScheduler:
    scheduler = AsyncIOScheduler(
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 30}
    )
    leases = leases or Leases(runtime)
    upkeep = upkeep or Upkeep()

    def every(seconds: float, job_id: str, run: Callable[..., Awaitable[Any]], *args: Any) -> None:
        scheduler.add_job(
            leases.leased(job_id, seconds, run),
            "interval",
            seconds=check_every(seconds),
            args=list(args),
            id=job_id,
        )

    every(hold_sweep_seconds, "expire_holds", jobs.expire_holds, runtime)
    sender = jobs.NoticeSender(runtime, deliverer, leases, lease_seconds(outbox_seconds))
    every(outbox_seconds, "send_notices", sender.kick)
    scheduler.add_listener(lambda _: sender.stop(), EVENT_SCHEDULER_SHUTDOWN)
    every(refund_seconds, "refund_cancellations", jobs.refund_cancellations, runtime)
    every(waitlist_seconds, "serve_waitlists", jobs.serve_waitlists_job, runtime)
    every(refund_seconds, "close_waitlists", jobs.close_waitlists_job, runtime)
    every(queue_seconds, "run_queues", jobs.run_queues_job, runtime)
    every(alert_seconds, "fan_out_alerts", jobs.fan_out_alerts_job, runtime)
    # Every 10 s at most: a post edit counts against its channel's 5 messages per 5 s.
    every(post_seconds, "refresh_posts", jobs.refresh_posts_job, runtime)
    # Each process remembers the members it saw itself: no lease, or the others' would never be written.
    scheduler.add_job(
        jobs.remember_members_job, "interval", seconds=alert_seconds, args=[runtime], id="remember_members"
    )
    every(upkeep.audit_minutes * 60, "audit", jobs.audit_job, runtime)
    if upkeep.backup_hours is not None and upkeep.back_up is not None:
        every(upkeep.backup_hours * 3600, "backup", upkeep.back_up)
    return scheduler
