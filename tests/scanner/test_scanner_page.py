"""The door scanner page in a real headless Chromium: it loads, reads a ticket's QR code from a photo,
lets the holder in once and turns the same code away the second time."""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from aiohttp import web
from playwright.async_api import async_playwright, expect

from bot.scanner import scanner_app
from cogs.pictures.qr import qr_png
from core.clock import FrozenClock
from core.runtime import Runtime
from core.services.booking import ConfirmHold, HoldSeats, confirm_hold, hold_seats
from core.services.door import set_staff
from core.services.events import event_details
from core.ticket_codes import TicketCodes
from db.engine import make_engine
from db.migrate import migrate
from db.uow import SqlUnitOfWork
from tests.support.builders import fan, fund, key, on_sale_event, organizer

BUYER, STAFF = 41, 42
# CI installs Chromium and sets this, so that a missing browser fails the run instead of skipping.
REQUIRE_BROWSER = os.environ.get("PICKET_REQUIRE_BROWSER", "") == "1"


def chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        if REQUIRE_BROWSER:
            pytest.fail("Chromium is not installed (PICKET_REQUIRE_BROWSER=1)")
        pytest.skip("Chromium is not installed (apt-get install chromium)")
    return found


@pytest.fixture
async def door(tmp_path: Path, clock: FrozenClock) -> AsyncIterator[tuple[str, str, str]]:
    """The scanner page served on loopback, a sold ticket's live code, and a staff member's key."""
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'picket.db'}")
    await migrate(engine)
    runtime = Runtime(lambda: SqlUnitOfWork(engine), clock, ZoneInfo("Asia/Seoul"), TicketCodes.generate())
    event = await on_sale_event(runtime.uow(), clock)
    await fund(runtime.uow(), clock, BUYER, 10_000)
    section = (await event_details(event.id, fan(BUYER), runtime.uow(), clock)).sections[0].section_id
    held = await hold_seats(
        HoldSeats(event.id, fan(BUYER, name="Minji"), key(), section_id=section, quantity=1),
        runtime.uow(),
        clock,
    )
    order = await confirm_hold(
        ConfirmHold(held.hold.id, fan(BUYER, name="Minji"), key()), runtime.uow(), clock
    )
    await set_staff(event.id, STAFF, True, organizer(), runtime.uow())
    ticket = order.tickets[0]
    live = runtime.codes.rotating(ticket.id, ticket.secret, BUYER, clock.now())
    runner = web.AppRunner(scanner_app(runtime))
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        yield f"http://127.0.0.1:{port}/", live, runtime.codes.staff_token(event.id, STAFF)
    finally:
        await runner.cleanup()
        await engine.dispose()


async def test_the_page_checks_a_photographed_ticket_in_once(door: tuple[str, str, str]) -> None:
    url, live, token = door
    photo = {"name": "ticket.png", "mimeType": "image/png", "buffer": qr_png(live)}
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=chromium(), args=["--no-sandbox"])
        try:
            page = await browser.new_page()
            await page.goto(url)
            await expect(page.locator("header")).to_have_text("Picket door scanner")
            await page.fill("#token", token)
            await page.dispatch_event("#token", "change")

            await page.set_input_files("#photo", files=[photo])
            result = page.locator("#result")
            await expect(result).to_have_text("Welcome, Minji!")
            await expect(result).to_have_class("ok")
            await expect(page.locator("#detail")).to_contain_text("R A")

            await page.set_input_files("#photo", files=[photo])
            await expect(result).to_have_text("Not admitted")
            await expect(result).to_have_class("no")
            await expect(page.locator("#detail")).to_contain_text("Already checked in at")
            await expect(page.locator("#detail")).to_contain_text(f"by member {STAFF}")

            # The key was kept for the next shift on this phone.
            await page.reload()
            await expect(page.locator("#token")).to_have_value(token)
        finally:
            await browser.close()
