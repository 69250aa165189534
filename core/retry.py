"""Runs a whole unit of work again when the database says it may (deadlock, failover)."""

from __future__ import annotations

import asyncio
import functools
import logging
import random
from collections.abc import Awaitable, Callable
from typing import ParamSpec, TypeVar

from core.errors import Busy, Retryable

log = logging.getLogger(__name__)

P = ParamSpec("P")
T = TypeVar("T")

ATTEMPTS = 6
BASE_DELAY = 0.02

# Observers of retries, told the operation and the reason (the metrics module registers one); kept as
# plain callables so core stays pure.
retry_listeners: list[Callable[[str, str], None]] = []


def retrying(fn: Callable[P, Awaitable[T]]) -> Callable[P, Awaitable[T]]:
    @functools.wraps(fn)
    async def run(*args: P.args, **kwargs: P.kwargs) -> T:
        for attempt in range(1, ATTEMPTS + 1):
            try:
                return await fn(*args, **kwargs)
            except Retryable as exc:
                for listener in retry_listeners:
                    listener(fn.__name__, exc.reason)
                if attempt == ATTEMPTS:
                    log.warning("%s gave up after %d attempts: %s", fn.__name__, attempt, exc)
                    raise Busy() from exc
                # Full jitter keeps a crowd of losers from colliding again on the same beat.
                await asyncio.sleep(random.uniform(0, BASE_DELAY * 2**attempt))
        raise AssertionError("unreachable")

    return run
