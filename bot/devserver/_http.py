"""Small helpers for answering requests the way Discord does."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from ._errors import DiscordError
from ._messages import RequestBody


def reply(data: Any, *, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    # discord.py only parses JSON when Content-Type is exactly "application/json" (no charset).
    all_headers = {"Content-Type": "application/json", **(headers or {})}
    return web.Response(body=json.dumps(data).encode(), status=status, headers=all_headers)


def no_content() -> web.Response:
    return web.Response(status=204)


BODY = web.RequestKey("body", RequestBody)


def body_of(request: web.Request) -> RequestBody:
    return request[BODY]


def json_object(request: web.Request) -> dict[str, Any]:
    payload = body_of(request).json
    if not isinstance(payload, dict):
        raise DiscordError(400, 50109, "The request body contains invalid JSON.", violation="bad-body")
    return payload


def snowflake(request: web.Request, name: str) -> int:
    raw = request.match_info[name]
    if not raw.isdigit():
        raise DiscordError(404, 0, "404: Not Found")
    return int(raw)


def describe(request: web.Request) -> str:
    return f"{request.method} {request.path}"


def flag(request: web.Request, name: str) -> bool:
    return request.query.get(name, "").lower() in ("1", "true", "yes")
