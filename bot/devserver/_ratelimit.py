"""Rate limits the way Discord applies and reports them: per-route buckets plus a global per-bot limit."""

from __future__ import annotations

import hashlib
import math
import time
import weakref
from dataclasses import dataclass, field

from ._config import Clock, RouteLimit

# discord.py sleeps exactly the advertised time; timer granularity may wake it a hair early.
HONOUR_TOLERANCE = 0.005


@dataclass
class _Window:
    limit: RouteLimit
    reset_at: float
    used: int = 0
    # Connections that were answered 429 in this window. HTTP/1.1 answers one request at a time per
    # connection, so a later request on one of them was sent after its sender read the 429; requests
    # already in flight on other connections are not held against the bot.
    told_to_wait: weakref.WeakSet[object] = field(default_factory=weakref.WeakSet)


@dataclass
class RateDecision:
    allowed: bool
    headers: dict[str, str] = field(default_factory=dict)
    retry_after: float = 0.0
    is_global: bool = False
    # The bot sent this request after a 429 told it to wait, before the wait was over.
    ignored_retry_after: bool = False

    def body(self) -> dict[str, object]:
        return {
            "message": "You are being rate limited.",
            "retry_after": self.retry_after,
            "global": self.is_global,
        }


def bucket_hash(route_key: str) -> str:
    return hashlib.sha1(route_key.encode()).hexdigest()[:32]


def _round_up(seconds: float) -> float:
    return math.ceil(max(seconds, 0.0) * 1000) / 1000


class RateLimiter:
    def __init__(self, clock: Clock, global_limit: RouteLimit) -> None:
        self._clock = clock
        self._global_limit = global_limit
        self._global: _Window | None = None
        self._buckets: dict[tuple[str, str], _Window] = {}

    def _current(self, window: _Window | None, limit: RouteLimit, now: float) -> _Window:
        if window is None or now + HONOUR_TOLERANCE >= window.reset_at or window.limit != limit:
            return _Window(limit=limit, reset_at=now + limit.window)
        return window

    def check(
        self, *, route_key: str, major: str, limit: RouteLimit, counts_globally: bool, connection: object
    ) -> RateDecision:
        now = self._clock.monotonic()
        if counts_globally:
            self._global = self._current(self._global, self._global_limit, now)
            if self._global.used >= self._global.limit.limit:
                return self._refuse(self._global, now, connection, is_global=True)
            self._global.used += 1
        key = (route_key, major)
        bucket = self._buckets[key] = self._current(self._buckets.get(key), limit, now)
        if bucket.used >= bucket.limit.limit:
            if counts_globally and self._global is not None:
                self._global.used -= 1  # a refused request does not count
            decision = self._refuse(bucket, now, connection, is_global=False)
            decision.headers.update(self._bucket_headers(route_key, bucket, now))
            return decision
        bucket.used += 1
        return RateDecision(allowed=True, headers=self._bucket_headers(route_key, bucket, now))

    def _refuse(self, window: _Window, now: float, connection: object, *, is_global: bool) -> RateDecision:
        ignored = connection in window.told_to_wait
        window.told_to_wait.add(connection)
        retry_after = _round_up(window.reset_at - now)
        headers = {
            "Retry-After": str(max(1, math.ceil(retry_after))),
            "Via": "1.1 google",
            "X-RateLimit-Scope": "global" if is_global else "user",
        }
        if is_global:
            headers["X-RateLimit-Global"] = "true"
        return RateDecision(
            allowed=False,
            headers=headers,
            retry_after=retry_after,
            is_global=is_global,
            ignored_retry_after=ignored,
        )

    def _bucket_headers(self, route_key: str, window: _Window, now: float) -> dict[str, str]:
        reset_after = _round_up(window.reset_at - now)
        return {
            "X-RateLimit-Limit": str(window.limit.limit),
            "X-RateLimit-Remaining": str(max(window.limit.limit - window.used, 0)),
            "X-RateLimit-Reset": f"{time.time() + reset_after:.3f}",
            "X-RateLimit-Reset-After": f"{reset_after:.3f}",
            "X-RateLimit-Bucket": bucket_hash(route_key),
        }
