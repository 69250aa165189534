"""Settings of the local Discord-compatible server, and the clock it keeps Discord's deadlines with."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

MIB = 1024 * 1024


class Clock(Protocol):
    """Monotonic seconds; the server measures interaction deadlines and rate-limit windows with it."""

    def monotonic(self) -> float: ...


class SystemClock:
    def monotonic(self) -> float:
        return time.monotonic()


class ManualClock:
    """A clock that only moves when told to, so a test can step past a deadline without sleeping."""

    def __init__(self, start: float = 1000.0) -> None:
        self._now = start

    def monotonic(self) -> float:
        return self._now

    def advance(self, seconds: float) -> None:
        self._now += seconds


@dataclass(frozen=True)
class RouteLimit:
    """`limit` requests per `window` seconds, counted in fixed windows as Discord's buckets are."""

    limit: int
    window: float


def default_openapi_path() -> Path:
    # Vendored with the package so validation never depends on what sits beside a checkout.
    return Path(__file__).resolve().parent / "discord_api" / "openapi.json"


@dataclass
class DevServerConfig:
    ack_deadline: float = 3.0
    token_lifetime: float = 15 * 60.0
    max_upload_bytes: int = 10 * MIB
    heartbeat_interval_ms: int = 41_250
    recommended_shards: int = 1
    max_global_commands: int = 100
    # Discord gives 5 messages per 5 s per channel and 50 requests per second per bot.
    channel_message_limit: RouteLimit = field(default_factory=lambda: RouteLimit(5, 5.0))
    global_limit: RouteLimit = field(default_factory=lambda: RouteLimit(50, 1.0))
    # Other bot routes get their own generous bucket so discord.py sees headers and can run requests in
    # parallel; interaction and webhook routes are outside the global limit, as on Discord.
    default_route_limit: RouteLimit = field(default_factory=lambda: RouteLimit(50, 1.0))
    webhook_limit: RouteLimit = field(default_factory=lambda: RouteLimit(50, 1.0))
    openapi_path: Path = field(default_factory=default_openapi_path)
    # Privileged gateway intents enabled for the application in the developer portal, as an intents
    # bitfield (e.g. `discord.Intents(members=True).value`); none by default, as for a new bot.
    privileged_intents: int = 0
    clock: Clock = field(default_factory=SystemClock)
    bot_name: str = "Picket"
    host: str = "127.0.0.1"
    port: int = 0  # 0 lets the OS choose a free port, as tests want; the sandbox may fix one
