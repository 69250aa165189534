"""Picket's Prometheus metrics and the /metrics endpoint that serves them.

Core stays free of prometheus-client: it reports retries through `core.retry.retry_listeners`, and
the bot counts what its cogs and jobs see."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

from apscheduler.events import (
    EVENT_JOB_ERROR,
    EVENT_JOB_EXECUTED,
    EVENT_JOB_MISSED,
    EVENT_JOB_SUBMITTED,
    JobExecutionEvent,
    JobSubmissionEvent,
)
from apscheduler.schedulers.base import BaseScheduler
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, start_http_server

from core.retry import retry_listeners
from core.services.audit import AuditReport
from scheduler.leases import STANDBY

REGISTRY = CollectorRegistry(auto_describe=True)

COMMAND_SECONDS = Histogram(
    "picket_command_seconds",
    "From the member's press (Discord's timestamp) to the command's end, by command.",
    ["command"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2, 3, 5, 10),
    registry=REGISTRY,
)
COMMAND_ERRORS = Counter(
    "picket_command_errors_total",
    "Commands that ended in an unexpected error.",
    ["command"],
    registry=REGISTRY,
)
HOLDS = Counter("picket_holds_total", "Carts opened (seats held).", registry=REGISTRY)
BOOKINGS = Counter("picket_bookings_total", "Carts paid for: orders with their tickets.", registry=REGISTRY)
HOLDS_EXPIRED = Counter(
    "picket_holds_expired_total",
    "Holds the expiry job released unpaid when their time ran out (a booking or a waitlist run that "
    "finds a lapsed hold first releases it too, uncounted here).",
    registry=REGISTRY,
)
REFUNDS = Counter(
    "picket_refunds_total",
    "Tickets or waitlist places given back, by reason: event_cancelled and ticket_cancelled count "
    "tickets (their price, if any, back to the buyer), waitlist_closed counts entries closed with "
    "their escrow returned.",
    ["reason"],
    registry=REGISTRY,
)
WAITLIST_ASSIGNMENTS = Counter(
    "picket_waitlist_assignments_total",
    "Returned seats given to the next fan on a waitlist (one per entry served).",
    registry=REGISTRY,
)
QUEUE_ADMITTED = Counter(
    "picket_queue_admitted_total", "Fans let out of a waiting room to pick seats.", registry=REGISTRY
)
QUEUE_WAITING = Gauge(
    "picket_queue_waiting", "Fans in waiting rooms not yet let in, over all events.", registry=REGISTRY
)
RETRIES = Counter(
    "picket_uow_retries_total",
    "Transactions tried again, by operation and reason (conflict, connection, cluster, other).",
    ["operation", "reason"],
    registry=REGISTRY,
)
DELIVERIES = Counter(
    "picket_deliveries_total",
    "Outbox notices sent to Discord, by kind and outcome.",
    ["kind", "outcome"],
    registry=REGISTRY,
)
OUTBOX_BACKLOG = Gauge("picket_outbox_backlog", "Notices waiting to be sent.", registry=REGISTRY)
JOB_LAG = Histogram(
    "picket_job_lag_seconds",
    "How late a scheduled job started after its due time, by job.",
    ["job"],
    buckets=(0.01, 0.05, 0.1, 0.5, 1, 2, 5, 15, 60),
    registry=REGISTRY,
)
JOB_RUNS = Counter(
    "picket_job_runs_total",
    "Scheduled job runs by job and outcome: ok, error, missed, or standby (another process holds the "
    "job's lease, or a rarely run job is not due yet).",
    ["job", "outcome"],
    registry=REGISTRY,
)
JOB_LAST_SUCCESS = Gauge(
    "picket_job_last_success_timestamp_seconds",
    "When each job last finished without an error (Unix time).",
    ["job"],
    registry=REGISTRY,
)
AUDIT_BREACHES = Gauge(
    "picket_audit_breaches",
    "Rows breaking each invariant at the auditor's last run (0 is healthy).",
    ["check"],
    registry=REGISTRY,
)
AUDIT_LAST_RUN = Gauge(
    "picket_audit_last_run_timestamp_seconds",
    "When the auditor last finished (Unix time).",
    registry=REGISTRY,
)
DB_CLUSTER_SIZE = Gauge(
    "picket_db_cluster_size",
    "Galera nodes in the cluster as the node Picket writes to sees it (0 on a single server).",
    registry=REGISTRY,
)
BACKUPS = Counter(
    "picket_backups_total", "Scheduled backups by outcome (ok, error).", ["outcome"], registry=REGISTRY
)
BACKUP_LAST_SUCCESS = Gauge(
    "picket_backup_last_success_timestamp_seconds",
    "When the last backup was written (Unix time).",
    registry=REGISTRY,
)


def _count_retry(operation: str, reason: str) -> None:
    RETRIES.labels(operation, reason).inc()


if _count_retry not in retry_listeners:
    retry_listeners.append(_count_retry)


# What each job's answer counts (jobs return how much they did).
COUNTED_BY_JOB: dict[str, Counter] = {
    "expire_holds": HOLDS_EXPIRED,
    "refund_cancellations": REFUNDS.labels("event_cancelled"),
    "close_waitlists": REFUNDS.labels("waitlist_closed"),
    "serve_waitlists": WAITLIST_ASSIGNMENTS,
    "run_queues": QUEUE_ADMITTED,
}


def watch_scheduler(scheduler: BaseScheduler) -> None:
    """Job lag, outcomes and what each job did, from the scheduler's own events."""
    scheduler.add_listener(_job_submitted, EVENT_JOB_SUBMITTED)
    scheduler.add_listener(_job_ended, EVENT_JOB_EXECUTED | EVENT_JOB_ERROR | EVENT_JOB_MISSED)


def _job_submitted(event: JobSubmissionEvent) -> None:
    if event.scheduled_run_times:
        late = datetime.now(UTC) - event.scheduled_run_times[-1]
        JOB_LAG.labels(event.job_id).observe(max(0.0, late.total_seconds()))


def _job_ended(event: JobExecutionEvent) -> None:
    job = event.job_id
    if event.code == EVENT_JOB_MISSED:
        JOB_RUNS.labels(job, "missed").inc()
    elif event.exception is not None:
        JOB_RUNS.labels(job, "error").inc()
        if job == "backup":
            BACKUPS.labels("error").inc()
    elif event.retval is STANDBY:
        # Another process holds this job's lease: nothing was done here.
        JOB_RUNS.labels(job, "standby").inc()
    else:
        JOB_RUNS.labels(job, "ok").inc()
        JOB_LAST_SUCCESS.labels(job).set(time.time())
        _count_result(job, event.retval)


def _count_result(job: str, result: Any) -> None:
    if job == "backup":
        BACKUPS.labels("ok").inc()
        BACKUP_LAST_SUCCESS.set(time.time())
        return
    if isinstance(result, AuditReport):
        for check, count in result.breaches.items():
            AUDIT_BREACHES.labels(check).set(count)
        AUDIT_LAST_RUN.set(time.time())
        return
    counter = COUNTED_BY_JOB.get(job)
    if counter is not None and isinstance(result, int) and result > 0:
        counter.inc(result)


def serve_metrics(host: str, port: int) -> int:
    """Serves /metrics in a thread of its own (scrapes never wait on the event loop); the port bound."""
    server, _thread = start_http_server(port, addr=host, registry=REGISTRY)
    return int(server.server_port)
