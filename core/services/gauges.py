"""Figures the operators watch that are read from the database rather than counted as they happen."""

from __future__ import annotations

from dataclasses import dataclass

from core.ports import UnitOfWork
from core.retry import retrying


@dataclass(frozen=True)
class Gauges:
    outbox_backlog: int
    queue_waiting: int
    # None on a single database server.
    cluster_size: int | None


@retrying
async def read_gauges(uow: UnitOfWork) -> Gauges:
    async with uow.for_reading():
        return Gauges(
            outbox_backlog=await uow.outbox.backlog(),
            queue_waiting=await uow.queues.waiting_total(),
            cluster_size=await uow.audit.cluster_size(),
        )
