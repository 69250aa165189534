"""Who may buy tickets of an event (anti-scalping): a minimum Discord account age and a required role.

The rules are read once per process every few seconds and shared by every request (a sale opening
asks thousands of times a second); a change made in this process applies at once, one made in another
within ``MAX_AGE``."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

from core.caller import Caller
from core.errors import NotAllowed
from core.models import EventRules

MAX_AGE = 5.0
DISCORD_EPOCH_MS = 1_420_070_400_000


def account_created(user_id: int) -> datetime:
    """When a Discord account was made, as its id says (naive UTC)."""
    moment = datetime.fromtimestamp(((user_id >> 22) + DISCORD_EPOCH_MS) / 1000, UTC)
    return moment.replace(tzinfo=None)


def check_buyer(rules: EventRules, caller: Caller, now: datetime) -> None:
    if rules.buyer_role_id is not None and rules.buyer_role_id not in caller.role_ids:
        raise NotAllowed(reason="buyer_role", role=rules.buyer_role_id)
    if rules.min_account_days:
        old_enough = account_created(caller.user_id) + timedelta(days=rules.min_account_days)
        if old_enough > now:
            raise NotAllowed(reason="account_age", days=rules.min_account_days, from_=old_enough)


class RulesCache:
    def __init__(self, max_age: float = MAX_AGE) -> None:
        self._max_age = max_age
        self._kept: dict[int, tuple[float, EventRules]] = {}
        self._loading: dict[int, asyncio.Future[EventRules]] = {}

    def changed(self, event_id: int) -> None:
        self._kept.pop(event_id, None)

    async def get(self, event_id: int, load: Callable[[], Awaitable[EventRules]]) -> EventRules:
        kept = self._kept.get(event_id)
        if kept is not None and time.monotonic() - kept[0] < self._max_age:
            return kept[1]
        loading = self._loading.get(event_id)
        if loading is not None:
            # Everyone asking while one read is under way waits for that read.
            return await asyncio.shield(loading)
        future: asyncio.Future[EventRules] = asyncio.get_running_loop().create_future()
        self._loading[event_id] = future
        try:
            rules = await load()
        except BaseException as error:
            future.set_exception(error)
            future.exception()  # retrieved: the waiters, if any, get it too
            raise
        finally:
            self._loading.pop(event_id, None)
        self._kept[event_id] = (time.monotonic(), rules)
        future.set_result(rules)
        return rules
