"""APScheduler set-up. Jobs survive restarts because their work lives in the database, not in timers."""

from __future__ import annotations

from apscheduler.events import EVENT_SCHEDULER_SHUTDOWN
from apscheduler.schedulers.asyncio import AsyncIOScheduler

from core.runtime import Runtime
from core.services.outbox import Deliverer
from scheduler import jobs


def build_scheduler(
    runtime: Runtime,
    deliverer: Deliverer,
    *,
    hold_sweep_seconds: float = 5,
    outbox_seconds: float = 2,
    refund_seconds: float = 10,
    waitlist_seconds: float = 3,
    alert_seconds: float = 2,
    queue_seconds: float = 1,
    post_seconds: float = 10,
) -> AsyncIOScheduler:
    scheduler = AsyncIOScheduler(
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 30}
    )
    scheduler.add_job(
        jobs.expire_holds, "interval", seconds=hold_sweep_seconds, args=[runtime], id="expire_holds"
    )
    sender = jobs.NoticeSender(runtime, deliverer)
    scheduler.add_job(sender.kick, "interval", seconds=outbox_seconds, id="send_notices")
    scheduler.add_listener(lambda _: sender.stop(), EVENT_SCHEDULER_SHUTDOWN)
    scheduler.add_job(
        jobs.refund_cancellations,
        "interval",
        seconds=refund_seconds,
        args=[runtime],
        id="refund_cancellations",
    )
    scheduler.add_job(
        jobs.serve_waitlists_job, "interval", seconds=waitlist_seconds, args=[runtime], id="serve_waitlists"
    )
    scheduler.add_job(
        jobs.close_waitlists_job, "interval", seconds=refund_seconds, args=[runtime], id="close_waitlists"
    )
    scheduler.add_job(jobs.run_queues_job, "interval", seconds=queue_seconds, args=[runtime], id="run_queues")
    scheduler.add_job(
        jobs.fan_out_alerts_job, "interval", seconds=alert_seconds, args=[runtime], id="fan_out_alerts"
    )
    # Every 10 s at most: a post edit counts against its channel's 5 messages per 5 s.
    scheduler.add_job(
        jobs.refresh_posts_job, "interval", seconds=post_seconds, args=[runtime], id="refresh_posts"
    )
    scheduler.add_job(
        jobs.remember_members_job, "interval", seconds=alert_seconds, args=[runtime], id="remember_members"
    )
    return scheduler
