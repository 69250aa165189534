"""Discord lets a bot make 50 requests a second across all its routes, answers to interactions
excepted. discord.py learns of that limit only from a 429; Picket spaces its own requests evenly
below it, so that a fan-out of thousands of DMs runs at the limit and never meets one."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import discord
from discord.http import Route

# Routes outside the global limit: interaction callbacks and the interaction webhook (follow-ups).
_UNLIMITED = ("/interactions/", "/webhooks/")


class GlobalPace:
    """Hands out evenly spaced start times, ``per_second`` a second: any one-second window then holds
    no more than that many, wherever Discord starts counting."""

    def __init__(self, per_second: float) -> None:
        self.interval = 1.0 / per_second
        self._next = 0.0

    async def wait(self) -> None:
        now = asyncio.get_running_loop().time()
        slot = max(now, self._next)
        self._next = slot + self.interval
        if slot > now:
            await asyncio.sleep(slot - now)


def counts_globally(route: Route) -> bool:
    return not route.path.startswith(_UNLIMITED)


def pace_requests(http: discord.http.HTTPClient, pace: GlobalPace) -> None:
    """Every request of ``http`` that counts against the global limit waits for its turn first."""
    request: Callable[..., Awaitable[Any]] = http.request

    async def paced(route: Route, **kwargs: Any) -> Any:
        if counts_globally(route):
            await pace.wait()
        return await request(route, **kwargs)

    http.request = paced  # type: ignore[method-assign]
