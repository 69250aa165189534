"""The door scanner for phones: a small web page that reads QR codes with the camera and checks them in
under a staff member's scanner key, by the same rules as /checkin. ``python -m bot scanner`` serves it
alone; ``SCANNER_PORT`` serves it beside the bot."""

from __future__ import annotations

import base64
import json
from datetime import UTC
from pathlib import Path
from typing import Any

from aiohttp import web

from bot.i18n import t
from core.errors import DomainError, NotAllowed
from core.runtime import Runtime
from core.services.door import MAX_CODE_LENGTH, Refused, Scan, check_in, revocations
from core.ticket_codes import InvalidTicketCode

STATIC = Path(__file__).parent / "static"
RUNTIME = web.AppKey("runtime", Runtime)
MAX_BODY = 4096


def scanner_app(runtime: Runtime) -> web.Application:
    app = web.Application(client_max_size=MAX_BODY)
    app[RUNTIME] = runtime
    app.router.add_get("/", _page)
    app.router.add_get("/jsQR.js", _script)
    app.router.add_post("/checkin", _checkin)
    app.router.add_get("/revocations", _revocations)
    app.router.add_get("/keys", _keys)
    return app


async def _page(request: web.Request) -> web.FileResponse:
    return web.FileResponse(STATIC / "index.html", headers={"Cache-Control": "no-store"})


async def _script(request: web.Request) -> web.FileResponse:
    return web.FileResponse(STATIC / "vendor" / "jsQR.js")


def _locale(request: web.Request) -> str:
    return request.headers.get("Accept-Language", "en")[:2]


def _answer(ok: bool, headline: str, detail: str = "", status: int = 200) -> web.Response:
    return web.json_response({"ok": ok, "headline": headline, "detail": detail}, status=status)


def _staff(request: web.Request, token: object) -> tuple[int, int]:
    if not isinstance(token, str) or len(token) > MAX_CODE_LENGTH:
        raise InvalidTicketCode(reason="staff_token")
    return request.app[RUNTIME].codes.staff_of(token)


async def _checkin(request: web.Request) -> web.Response:
    runtime, locale = request.app[RUNTIME], _locale(request)
    try:
        body: Any = await request.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        body = None
    code = body.get("code") if isinstance(body, dict) else None
    if not isinstance(code, str) or not isinstance(body, dict):
        return _answer(False, t("scanner.refused", locale), t("scanner.bad_request", locale), 400)
    try:
        event_id, staff = _staff(request, body.get("token"))
    except InvalidTicketCode:
        return _answer(False, t("scanner.refused", locale), t("scanner.bad_token", locale), 403)
    try:
        welcome = await check_in(Scan(code, event_id, staff), runtime.uow(), runtime.clock, runtime.codes)
    except Refused as refused:
        return _answer(False, t("scanner.refused", locale), _why(refused, runtime, locale))
    except NotAllowed:
        return _answer(False, t("scanner.refused", locale), t("scanner.bad_token", locale), 403)
    ticket = welcome.ticket
    seat = ticket.seat_label or t("ticket.general_admission", locale)
    name = ticket.holder_name or f"#{ticket.id}"
    return _answer(
        True, t("door.welcome", locale, name=name), t("scanner.detail", locale, seat=seat, ticket=ticket.id)
    )


def _why(refused: DomainError, runtime: Runtime, locale: str) -> str:
    reason = refused.params.get("reason")
    if reason == "used":
        at = refused.params["at"].replace(tzinfo=UTC).astimezone(runtime.zone).strftime("%H:%M")
        return t("scanner.used", locale, at=at, by=refused.params["by"])
    return t(f"error.door.{reason}", locale)


async def _revocations(request: web.Request) -> web.Response:
    runtime = request.app[RUNTIME]
    try:
        event_id, staff = _staff(request, request.query.get("token"))
        listed = await revocations(event_id, staff, runtime.uow(), runtime.clock)
    except (InvalidTicketCode, NotAllowed):
        return web.json_response({"error": "invalid scanner key"}, status=403)
    return web.json_response(
        {
            "event": listed.event_id,
            "made_at": listed.made_at.replace(tzinfo=UTC).isoformat(),
            # A code of a listed ticket admits only if it carries this version (0: none does).
            "tickets": [[ticket, version] for ticket, version in listed.tickets],
        }
    )


async def _keys(request: web.Request) -> web.Response:
    keys = request.app[RUNTIME].codes.public_keys()
    return web.json_response({str(kid): base64.b64encode(raw).decode("ascii") for kid, raw in keys.items()})


async def serve_scanner(runtime: Runtime, host: str, port: int) -> web.AppRunner:
    runner = web.AppRunner(scanner_app(runtime))
    await runner.setup()
    await web.TCPSite(runner, host, port).start()
    return runner
