"""Answering interactions. Discord drops one that is not acknowledged within 3 seconds of its creation,
while the answer itself may follow for 15 minutes: under a stampede, acknowledgements go first."""

from __future__ import annotations

import asyncio
import contextlib
import weakref
from collections.abc import Coroutine
from typing import Any, TypeVar

import discord

T = TypeVar("T")
# An answer ready this soon after the interaction was created goes as its own response (one request
# instead of two); a slower one is deferred first.
ANSWER_AT_ONCE_WITHIN = 1.2
# With this many answers already being prepared the bot is in a rush: acknowledging comes first.
RUSH = 8
# How long a ready answer may give way to acknowledgements still waiting to be sent.
ACKNOWLEDGEMENTS_FIRST_FOR = 2.0


class _Rush:
    """How many answers are being prepared, and how many of those are not yet acknowledged."""

    def __init__(self) -> None:
        self.preparing = 0
        self.unacknowledged = 0
        self.all_acknowledged = asyncio.Event()
        self.all_acknowledged.set()

    def waiting(self) -> None:
        self.unacknowledged += 1
        self.all_acknowledged.clear()

    def acknowledged(self) -> None:
        self.unacknowledged -= 1
        if self.unacknowledged == 0:
            self.all_acknowledged.set()

    async def acknowledgements_sent(self) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.all_acknowledged.wait(), ACKNOWLEDGEMENTS_FIRST_FOR)


_rushes: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Rush] = weakref.WeakKeyDictionary()


def _rush_now() -> _Rush:
    """The rush of the running event loop (each test, say, runs on a loop of its own)."""
    loop = asyncio.get_running_loop()
    rush = _rushes.get(loop)
    if rush is None:
        rush = _rushes[loop] = _Rush()
    return rush


def time_left(interaction: discord.Interaction) -> float:
    """How long the answer may still take before it must be deferred: counted from when Discord
    created the interaction (a busy bot sees it late), never more than the budget (clocks drift)."""
    age = (discord.utils.utcnow() - interaction.created_at).total_seconds()
    return max(0.0, min(ANSWER_AT_ONCE_WITHIN, ANSWER_AT_ONCE_WITHIN - age))


async def prepared(
    interaction: discord.Interaction, work: Coroutine[Any, Any, T], *, ephemeral: bool = True
) -> T:
    """What `work` makes, deferring the interaction meanwhile unless it is ready in time and the bot
    is not in a rush: a quick answer saves a request, and under a stampede every fan is acknowledged
    first and answered after."""
    rush = _rush_now()
    rush.preparing += 1
    try:
        budget = time_left(interaction)
        if rush.preparing > RUSH or budget <= 0:
            return await _deferred(interaction, work, ephemeral, rush)
        task = asyncio.ensure_future(work)
        try:
            await asyncio.wait({task}, timeout=budget)
            if not task.done():
                await interaction.response.defer(ephemeral=ephemeral, thinking=True)
            return await task
        except BaseException:
            task.cancel()
            raise
    finally:
        rush.preparing -= 1


async def _deferred(
    interaction: discord.Interaction, work: Coroutine[Any, Any, T], ephemeral: bool, rush: _Rush
) -> T:
    # Acknowledged before the work starts, so that the work does not slow the acknowledgements.
    rush.waiting()
    try:
        await interaction.response.defer(ephemeral=ephemeral, thinking=True)
    except BaseException:
        work.close()
        raise
    finally:
        rush.acknowledged()
    result = await work
    await rush.acknowledgements_sent()
    return result


async def send_message(
    interaction: discord.Interaction, *, keep: bool = False, ephemeral: bool = True, **kwargs: Any
) -> discord.Message | None:
    """Answers the interaction, or follows up when it was already deferred or answered. With
    `keep`, returns the message sent (its attachments' addresses, say)."""
    if interaction.response.is_done():
        if keep:
            return await interaction.followup.send(ephemeral=ephemeral, wait=True, **kwargs)
        await interaction.followup.send(ephemeral=ephemeral, **kwargs)
        return None
    callback = await interaction.response.send_message(ephemeral=ephemeral, **kwargs)
    return callback.resource if isinstance(callback.resource, discord.Message) else None
