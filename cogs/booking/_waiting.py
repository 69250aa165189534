"""A waiting fan's answer kept current: their place and wait, edited while the interaction's token lives
(at most every EDIT_EVERY seconds, a bounded number of edits per round), read for all fans of an event in
one query. Their turn comes by DM, which outlives the token."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import defaultdict
from dataclasses import dataclass

import discord

from bot.i18n import t
from cogs.shared.runtime import runtime_of
from cogs.shared.text import plain
from core.services.queue import standings

log = logging.getLogger(__name__)

ROUND_SECONDS = 2.0
EDIT_EVERY = 10.0
TOKEN_LIFE = 14 * 60.0  # Discord keeps an interaction's token 15 minutes
EDITS_PER_ROUND = 100


@dataclass
class _Watch:
    interaction: discord.Interaction
    event_id: int
    title: str
    shown: str
    since: float
    edited: float


class WaitingMessages:
    def __init__(self) -> None:
        self._watched: dict[tuple[int, int], _Watch] = {}
        self._rounds: asyncio.Task[None] | None = None
        self.round_seconds = ROUND_SECONDS
        self.edit_every = EDIT_EVERY

    def watch(self, interaction: discord.Interaction, event_id: int, title: str, shown: str) -> None:
        now = time.monotonic()
        self._watched[event_id, interaction.user.id] = _Watch(interaction, event_id, title, shown, now, now)
        if self._rounds is None or self._rounds.done():
            self._rounds = asyncio.create_task(self._keep_current(), name="picket-waiting-messages")

    async def _keep_current(self) -> None:
        while self._watched:
            await asyncio.sleep(self.round_seconds)
            try:
                await self.round()
            except Exception:
                log.exception("keeping waiting messages current failed; trying again next round")

    async def round(self) -> int:
        """One round of edits; how many messages changed."""
        now = time.monotonic()
        for key in [k for k, w in self._watched.items() if now - w.since > TOKEN_LIFE]:
            del self._watched[key]
        by_event: defaultdict[int, list[_Watch]] = defaultdict(list)
        for watch in self._watched.values():
            by_event[watch.event_id].append(watch)
        edits = 0
        for event_id, watches in by_event.items():
            runtime = runtime_of(watches[0].interaction.client)
            found = await standings(event_id, [w.interaction.user.id for w in watches], runtime.uow())
            for watch, standing in zip(watches, found, strict=True):
                if not standing.waiting:
                    # Let in (the DM says so), or gone: nothing more to keep current.
                    self._watched.pop((event_id, watch.interaction.user.id), None)
                    continue
                if standing.place is None or edits >= EDITS_PER_ROUND or now - watch.edited < self.edit_every:
                    continue
                text = t(
                    "error.waiting_room.waiting",
                    watch.interaction.locale,
                    event=plain(watch.title),
                    place=standing.place,
                    minutes=standing.minutes,
                )
                if text != watch.shown:
                    with contextlib.suppress(discord.HTTPException):
                        await watch.interaction.edit_original_response(content=text)
                    watch.shown, watch.edited = text, now
                    edits += 1
        return edits


def waiting_messages_of(client: object) -> WaitingMessages:
    found = getattr(client, "waiting_messages", None)
    if not isinstance(found, WaitingMessages):
        found = WaitingMessages()
        client.waiting_messages = found  # type: ignore[attr-defined]
    return found
