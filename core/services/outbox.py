"""Sends what the outbox holds, after the commits that wrote it; safe to run in many processes at once."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from datetime import timedelta
from enum import StrEnum
from typing import Protocol

from core.clock import Clock
from core.models import Notice, NoticeStatus
from core.ports import UnitOfWork
from core.retry import retrying

log = logging.getLogger(__name__)

LEASE = timedelta(seconds=60)
MAX_ATTEMPTS = 8


class Delivery(StrEnum):
    SENT = "sent"
    UNREACHABLE = "unreachable"  # e.g. the member closed their DMs: trying again will not help
    RETRY = "retry"


class Deliverer(Protocol):
    async def deliver(self, notice: Notice) -> Delivery: ...


def _backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(15 * 2**attempts, 3600))


@retrying
async def _claim(uow: UnitOfWork, clock: Clock, limit: int, ids: Sequence[int] | None) -> list[Notice]:
    now = clock.now()
    async with uow:
        notices = await uow.outbox.claim(now, now + LEASE, limit, ids)
        await uow.commit()
    return notices


@retrying
async def _finish(
    uow: UnitOfWork, clock: Clock, notice: Notice, outcome: Delivery, error: str | None
) -> None:
    if outcome is Delivery.SENT:
        status, retry_at = NoticeStatus.SENT, None
    elif outcome is Delivery.UNREACHABLE:
        status, retry_at = NoticeStatus.UNREACHABLE, None
    elif notice.attempts >= MAX_ATTEMPTS:
        status, retry_at = NoticeStatus.FAILED, None
    else:
        status, retry_at = NoticeStatus.PENDING, clock.now() + _backoff(notice.attempts)
    async with uow:
        await uow.outbox.finish(notice.id, status, error, retry_at)
        await uow.commit()


async def deliver_notices(
    new_uow: Callable[[], UnitOfWork],
    deliverer: Deliverer,
    clock: Clock,
    *,
    ids: Sequence[int] | None = None,
    limit: int = 20,
    concurrency: int = 1,
) -> dict[int, Delivery]:
    """Claims due notices (or just ``ids``), sends each (``concurrency`` at a time; the deliverer keeps
    to Discord's pace), and records how it went."""
    notices = await _claim(new_uow(), clock, limit, ids)
    outcomes: dict[int, Delivery] = {}
    slots = asyncio.Semaphore(concurrency)

    async def send(notice: Notice) -> None:
        async with slots:
            error = None
            try:
                outcome = await deliverer.deliver(notice)
            except Exception as exc:
                log.exception("notice %s (%s) failed to send", notice.id, notice.kind)
                outcome, error = Delivery.RETRY, type(exc).__name__
            await _finish(new_uow(), clock, notice, outcome, error)
            outcomes[notice.id] = outcome

    await asyncio.gather(*(send(notice) for notice in notices))
    return outcomes


async def drain_notices(
    new_uow: Callable[[], UnitOfWork],
    deliverer: Deliverer,
    clock: Clock,
    *,
    batch: int = 100,
    concurrency: int = 16,
    budget: timedelta = timedelta(seconds=20),
) -> int:
    """The job: sends batch after batch while notices are due, for about ``budget`` (real time, so a
    backlog of thousands keeps flowing at Discord's pace rather than a batch per run)."""
    loop = asyncio.get_running_loop()
    ends = loop.time() + budget.total_seconds()
    sent = 0
    while True:
        outcomes = await deliver_notices(new_uow, deliverer, clock, limit=batch, concurrency=concurrency)
        sent += len(outcomes)
        if len(outcomes) < batch or loop.time() >= ends:
            return sent
