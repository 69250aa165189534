"""Discord snowflakes: milliseconds since the Discord epoch in the top bits, a counter below."""

from __future__ import annotations

import time

DISCORD_EPOCH_MS = 1_420_070_400_000


def shard_of(guild_id: int, shard_count: int) -> int:
    return (guild_id >> 22) % shard_count


class SnowflakeGenerator:
    def __init__(self) -> None:
        self._last_ms = 0
        self._counter = 0

    def next(self) -> int:
        now_ms = int(time.time() * 1000) - DISCORD_EPOCH_MS
        if now_ms <= self._last_ms:
            self._counter += 1
            if self._counter >= 4096:
                self._last_ms += 1
                self._counter = 0
        else:
            self._last_ms = now_ms
            self._counter = 0
        return (self._last_ms << 22) | self._counter

    def next_on_shard(self, shard_id: int, shard_count: int) -> int:
        """An id whose timestamp routes it to `shard_id`, as Discord routes a guild by its id."""
        now_ms = int(time.time() * 1000) - DISCORD_EPOCH_MS
        candidate = max(now_ms, self._last_ms + 1)
        candidate += (shard_id - candidate) % shard_count
        self._last_ms = candidate
        self._counter = 0
        return candidate << 22
