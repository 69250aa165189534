"""Rate limits the way Discord applies and reports them: per-route buckets plus a global per-bot limit."""

from __future__ import annotations

import hashlib
import math
import time
from dataclasses import dataclass, field

from ._config import Clock, RouteLimit

# discord.py sleeps exactly the advertised time; timer granularity may wake it a hair early.
HONOUR_TOLERANCE = 0.005


@dataclass
class _Window:
    limit: RouteLimit
    reset_at: float
    used: int = 0
    # Set by a 429: a request before this moment ignored what it was told.
    blocked_until: float = 0.0


@dataclass
class RateDecision:
    allowed: bool
    headers: dict[str, str] = field(default_factory=dict)
    retry_after: float = 0.0
    is_global: bool = False
    # The bot sent this request while it was still told to wait after an earlier 429.
    ignored_retry_after: bool = False

    def body(self) -> dict[str, object]:
        return {"message": "You are being rate limited.", "retry_after": self.retry_after, "global": self.is_global}


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

    def _window(self, current: _Window | None, limit: RouteLimit, now: float) -> _Window:
        if current is None or now + HONOUR_TOLERANCE >= current.reset_at or current.limit != limit:
            fresh = _Window(limit=limit, reset_at=now + limit.window)
            if current is not None:
                fresh.blocked_until = current.blocked_until
            return fresh
        return current

    def check(self, *, route_key: str, major: str, limit: RouteLimit, counts_globally: bool) -> RateDecision:
        now = self._clock.monotonic()
        if counts_globally:
            self._global = self._window(self._global, self._global_limit, now)
            window = self._global
            if window.used >= window.limit.limit:
                return self._refuse(window, now, is_global=True)
            window.used += 1
        key = (route_key, major)
        bucket = self._buckets[key] = self._window(self._buckets.get(key), limit, now)
        if bucket.used >= bucket.limit.limit:
            if counts_globally and self._global is not None:
                self._global.used -= 1
            decision = self._refuse(bucket, now, is_global=False)
            decision.headers.update(self._bucket_headers(route_key, bucket, now))
            return decision
        ignored = now + HONOUR_TOLERANCE < bucket.blocked_until
        bucket.used += 1
        return RateDecision(
            allowed=True, headers=self._bucket_headers(route_key, bucket, now), ignored_retry_after=ignored
        )

    def _refuse(self, window: _Window, now: float, *, is_global: bool) -> RateDecision:
        ignored = now + HONOUR_TOLERANCE < window.blocked_until
        retry_after = _round_up(window.reset_at - now)
        window.blocked_until = window.reset_at
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
