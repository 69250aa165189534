"""The scheduler's own events become Prometheus figures: lag, outcome by job, what each job did, the
auditor's findings, and a run left to another process counted as standby, not as work."""

from __future__ import annotations

import asyncio

from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_EXECUTED, JobExecutionEvent
from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.metrics import REGISTRY, watch_scheduler
from core.services.audit import CHECKS, AuditReport
from scheduler.leases import STANDBY


def _value(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


async def test_job_events_move_the_figures() -> None:
    breaches = dict.fromkeys(CHECKS, 0) | {"escrow_mismatched": 2}

    async def expire_holds() -> int:
        return 3

    async def audit() -> AuditReport:
        return AuditReport(breaches)

    async def run_queues() -> object:
        return STANDBY

    async def refresh_posts() -> int:
        raise RuntimeError("the database went away")

    jobs = {
        "expire_holds": expire_holds,
        "audit": audit,
        "run_queues": run_queues,
        "refresh_posts": refresh_posts,
    }
    before = {
        "expired": _value("picket_holds_expired_total"),
        "ok": _value("picket_job_runs_total", job="expire_holds", outcome="ok"),
        "standby": _value("picket_job_runs_total", job="run_queues", outcome="standby"),
        "admitted": _value("picket_queue_admitted_total"),
        "error": _value("picket_job_runs_total", job="refresh_posts", outcome="error"),
        "lag": _value("picket_job_lag_seconds_count", job="expire_holds"),
    }
    scheduler = AsyncIOScheduler()
    watch_scheduler(scheduler)
    ended: set[str] = set()
    all_ended = asyncio.Event()

    def note(event: JobExecutionEvent) -> None:
        ended.add(event.job_id)
        if ended == set(jobs):
            all_ended.set()

    scheduler.add_listener(note, EVENT_JOB_EXECUTED | EVENT_JOB_ERROR)
    for job_id, run in jobs.items():
        scheduler.add_job(run, id=job_id)  # once, now
    scheduler.start()
    try:
        async with asyncio.timeout(10):
            await all_ended.wait()
    finally:
        scheduler.shutdown(wait=False)

    assert _value("picket_holds_expired_total") - before["expired"] == 3
    assert _value("picket_job_runs_total", job="expire_holds", outcome="ok") - before["ok"] == 1
    assert _value("picket_job_last_success_timestamp_seconds", job="expire_holds") > 0
    assert _value("picket_job_lag_seconds_count", job="expire_holds") - before["lag"] == 1
    assert _value("picket_job_runs_total", job="run_queues", outcome="standby") - before["standby"] == 1
    assert _value("picket_queue_admitted_total") == before["admitted"], "a standby run admitted nobody"
    assert _value("picket_job_runs_total", job="refresh_posts", outcome="error") - before["error"] == 1
    assert _value("picket_audit_breaches", check="escrow_mismatched") == 2
    assert _value("picket_audit_breaches", check="seats_sold_twice") == 0
    assert _value("picket_audit_last_run_timestamp_seconds") > 0
