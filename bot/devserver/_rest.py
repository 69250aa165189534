"""The REST side: one middleware applies Discord's checks in Discord's order, then the route answers.

Order: authorization, rate limits, body parsing and OpenAPI validation, the route's own rules. Every
breach is recorded as a violation and answered with the error Discord would give.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable, Sequence

from aiohttp import BodyPartReader, hdrs, web

from ._config import MIB, RouteLimit
from ._errors import DiscordError, invalid_form, too_large, unauthorized
from ._http import BODY, describe, reply
from ._messages import RequestBody, UploadedFile
from ._ratelimit import RateLimiter
from ._schema import OpenApiValidator
from ._state import World

log = logging.getLogger(__name__)

API_PREFIX = "/api/v10"
BODY_METHODS = {"POST", "PUT", "PATCH"}
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class RestGuard:
    def __init__(self, world: World, validator: OpenApiValidator) -> None:
        self.world = world
        self.validator = validator
        self.limiter = RateLimiter(world.clock, world.config.global_limit)

    @web.middleware
    async def middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        headers: dict[str, str] = {}
        try:
            template = (
                request.match_info.route.resource.canonical if request.match_info.route.resource else ""
            )
            if template.startswith(API_PREFIX):
                refusal = self._apply_limits(request, template, headers)
                if refusal is not None:
                    return refusal
                request[BODY] = await self._read_body(request)
                self._validate(request)
            response = await handler(request)
        except DiscordError as error:
            if error.violation:
                self.world.record_violation(error.violation, error.detail, describe(request))
            response = reply(error.body(), status=error.status)
        except web.HTTPException:
            raise
        except Exception as error:  # a fault of this server must fail the test, not hang the bot in retries
            log.exception("devserver failed on %s", describe(request))
            self.world.record_violation("devserver-error", repr(error), describe(request))
            response = reply({"message": f"devserver error: {error!r}", "code": 0}, status=400)
        response.headers.update(headers)
        return response

    def _apply_limits(
        self, request: web.Request, template: str, headers: dict[str, str]
    ) -> web.Response | None:
        route = template[len(API_PREFIX) :]
        info = request.match_info
        config = self.world.config
        is_interaction = route.startswith(("/interactions/", "/webhooks/"))
        if not is_interaction and request.headers.get(hdrs.AUTHORIZATION) != f"Bot {self.world.token}":
            raise unauthorized()
        limit: RouteLimit
        if is_interaction:
            limit = config.webhook_limit
            major = f"{info.get('interaction_id') or info.get('webhook_id')}+{info.get('webhook_token', '')}"
        elif request.method == "POST" and route == "/channels/{channel_id}/messages":
            limit, major = config.channel_message_limit, info["channel_id"]
        else:
            limit = config.default_route_limit
            major = info.get("channel_id") or info.get("guild_id") or ""
        decision = self.limiter.check(
            route_key=f"{request.method} {route}",
            major=major,
            limit=limit,
            counts_globally=not is_interaction,
            connection=request.transport or object(),
        )
        headers.update(decision.headers)
        if decision.ignored_retry_after:
            self.world.record_violation(
                "rate-limit",
                "request sent before the retry_after of an earlier 429 had passed",
                describe(request),
            )
        if decision.allowed:
            return None
        scope = "global" if decision.is_global else "route"
        self.world.rate_limited.append(
            f"{describe(request)} ({scope}, retry after {decision.retry_after:g} s)"
        )
        return reply(decision.body(), status=429, headers=decision.headers)

    async def _read_body(self, request: web.Request) -> RequestBody:
        if request.method not in BODY_METHODS or not request.can_read_body:
            return RequestBody(json=None, files=[])
        if request.content_type == "multipart/form-data":
            return await self._read_multipart(request)
        raw = await request.read()
        return RequestBody(json=_parse_json(raw) if raw else None, files=[])

    async def _read_multipart(self, request: web.Request) -> RequestBody:
        reader = await request.multipart()
        payload: object = None
        files: list[UploadedFile] = []
        while (part := await reader.next()) is not None:
            if not isinstance(part, BodyPartReader):
                continue
            data = await part.read(decode=False)
            if part.name == "payload_json":
                payload = _parse_json(bytes(data))
            elif part.name and part.name.startswith("files["):
                content_type = part.headers.get(hdrs.CONTENT_TYPE)
                files.append(UploadedFile(part.name, part.filename or part.name, bytes(data), content_type))
        size = sum(len(f.data) for f in files)
        if size > self.world.config.max_upload_bytes:
            raise too_large(size, self.world.config.max_upload_bytes)
        return RequestBody(json=payload if payload is not None else {}, files=files)

    def _validate(self, request: web.Request) -> None:
        body = request[BODY]
        if request.method not in BODY_METHODS:
            return
        kind = "multipart" if request.content_type == "multipart/form-data" else "json"
        path = request.path[len(API_PREFIX) :]
        issues = self.validator.issues(request.method, path, kind=kind, body=body.json)
        if issues:
            raise invalid_form(issues, rule="openapi-schema")


def _parse_json(raw: bytes) -> object:
    try:
        return json.loads(raw)
    except ValueError:
        raise DiscordError(
            400, 50109, "The request body contains invalid JSON.", violation="bad-body", detail="invalid JSON"
        ) from None


def build_app(
    guard: RestGuard, routes: Sequence[Callable[[web.UrlDispatcher], None]], gateway: Handler
) -> web.Application:
    # Room for a request at the upload limit plus its JSON; a larger one gets Discord's 413 from the guard.
    app = web.Application(
        middlewares=[guard.middleware], client_max_size=guard.world.config.max_upload_bytes + 4 * MIB
    )
    app.router.add_get("/gateway/", gateway)
    app.router.add_get("/", gateway)
    for register in routes:
        register(app.router)

    async def unsupported(request: web.Request) -> web.Response:
        raise DiscordError(
            404,
            0,
            "404: Not Found",
            violation="unsupported-endpoint",
            detail="the local server does not serve this",
        )

    app.router.add_route("*", API_PREFIX + "/{tail:.*}", unsupported)
    return app
