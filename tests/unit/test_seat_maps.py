"""The seat-map pictures the bot keeps: drawn once per event and language while seats change quickly,
uploaded once, and a picture that cannot be drawn leaves the message without one."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import pytest

from cogs.shared import seatmap
from cogs.shared.seatmap import REDRAW_AFTER, SEAT_MAP_NAME, UPLOAD_KEPT, SeatMaps
from core.models import Event, EventStatus, Seat, SeatStatus

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
EVENT = Event(
    id=1,
    guild_id=1,
    organizer_id=9,
    title="Spring Concert",
    description="",
    venue="Hall",
    category="concert",
    starts_at=NOW + timedelta(days=9),
    sale_opens_at=NOW,
    status=EventStatus.PUBLISHED,
    per_user_limit=4,
    hold_minutes=10,
    currency="KRW",
    ga_capacity=None,
    ga_price=None,
    refund_cutoff_hours=24,
    created_at=NOW,
)
SEATS = [Seat(n, 1, "R", "A", n, 1000, SeatStatus.AVAILABLE) for n in range(1, 5)]


@pytest.fixture
def drawn(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The titles drawn, in order; a title starting "Broken" cannot be drawn."""
    titles: list[str] = []

    def render(title: str, seats: Any, **_: Any) -> SimpleNamespace:
        titles.append(title)
        if title.startswith("Broken"):
            raise ValueError("cannot be drawn")
        return SimpleNamespace(png=f"png of {title} {len(titles)}".encode())

    monkeypatch.setattr(seatmap, "render_seat_map", render)
    return titles


def uploaded(url: str) -> Any:
    return SimpleNamespace(attachments=[SimpleNamespace(filename=SEAT_MAP_NAME, url=url)])


async def test_fans_asking_at_once_share_one_drawing_and_one_upload(drawn: list[str]) -> None:
    maps = SeatMaps()
    first, second = await asyncio.gather(
        maps.png(EVENT, SEATS, 1, "en-US", NOW), maps.png(EVENT, SEATS, 1, "en-US", NOW)
    )
    assert first == second and drawn == ["Spring Concert"]

    uploading = await maps.get(EVENT, SEATS, 1, "en-US", NOW)
    assert uploading is not None and uploading.file is not None
    # The next fan asks while that message is on its way: they wait for its address.
    waiting = asyncio.create_task(maps.get(EVENT, SEATS, 1, "en-US", NOW))
    await asyncio.sleep(0)  # lets the task reach its wait; the result is the same if it had not
    maps.sent(uploading, uploaded("https://cdn/seatmap.png"))
    later = await waiting
    assert later is not None and (later.file, later.url) == (None, "https://cdn/seatmap.png")
    assert drawn == ["Spring Concert"]


async def test_changing_seats_redraw_at_most_every_few_seconds(drawn: list[str]) -> None:
    maps = SeatMaps()
    await maps.png(EVENT, SEATS, 1, "en-US", NOW)
    await maps.png(EVENT, SEATS, 2, "en-US", NOW + REDRAW_AFTER / 2)
    assert len(drawn) == 1, "a newer reading within the interval shows the picture already drawn"

    await maps.png(EVENT, SEATS, 3, "en-US", NOW + REDRAW_AFTER)
    await maps.png(EVENT, SEATS, 3, "ko", NOW + REDRAW_AFTER)
    assert len(drawn) == 3, "drawn again once the interval has passed, and once for each language"


async def test_a_failed_upload_is_tried_again_and_an_old_one_renewed(drawn: list[str]) -> None:
    maps = SeatMaps()
    first = await maps.get(EVENT, SEATS, 1, "en-US", NOW)
    assert first is not None and first.file is not None
    maps.sent(first, None)
    again = await maps.get(EVENT, SEATS, 1, "en-US", NOW)
    assert again is not None and again.file is not None
    maps.sent(again, uploaded("https://cdn/a.png"))

    renewed = await maps.get(EVENT, SEATS, 1, "en-US", NOW + UPLOAD_KEPT)
    assert renewed is not None and renewed.file is not None


async def test_a_picture_that_cannot_be_drawn_is_left_out(drawn: list[str]) -> None:
    maps = SeatMaps()
    broken = replace(EVENT, title="Broken map")

    assert await maps.get(broken, SEATS, 1, "en-US", NOW) is None
    assert await maps.png(broken, SEATS, 1, "en-US", NOW) is None
