"""One wake-up signal for everything a test may wait on: each change to the server's world fires it."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


class WaitTimeout(AssertionError):
    """What a test waited for did not happen in time; the message says what it was."""


class ChangeSignal:
    def __init__(self) -> None:
        self._event = asyncio.Event()

    def notify(self) -> None:
        # Waiters hold the old event; replacing it lets the next change wake them again.
        self._event.set()
        self._event = asyncio.Event()

    async def wait_for(self, probe: Callable[[], T | None], *, within: float, what: str) -> T:
        """Return `probe()` as soon as it gives something other than None, re-checking on each change."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within
        while True:
            value = probe()
            if value is not None:
                return value
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise WaitTimeout(f"timed out after {within:g} s waiting for {what}")
            event = self._event
            try:
                # A timeout scope rather than wait_for: no task per wake-up, so a crowd of waiters
                # does not slow the bot it is waiting on.
                async with asyncio.timeout(remaining):
                    await event.wait()
            except TimeoutError:
                continue

    async def next_change(self, within: float) -> bool:
        """True when something changes within ``within`` seconds, False when all stays quiet."""
        try:
            async with asyncio.timeout(within):
                await self._event.wait()
        except TimeoutError:
            return False
        return True
