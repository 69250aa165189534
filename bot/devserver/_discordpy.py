"""Pointing the real discord.py at another Discord: its REST base and its gateway are class attributes."""

from __future__ import annotations

from collections.abc import Callable

import discord.gateway
import discord.http
import yarl


def point_discord_py_at(api_base: str, gateway_url: str) -> Callable[[], None]:
    """Send discord.py's REST calls to `api_base` (ending in /api/v10) and its gateway to `gateway_url`.

    Returns a function that restores the previous addresses. The setting is process-wide.
    """
    previous_base = discord.http.Route.BASE
    previous_gateway = discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY
    discord.http.Route.BASE = api_base
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(gateway_url)

    def restore() -> None:
        discord.http.Route.BASE = previous_base
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = previous_gateway

    return restore
