"""The seat-map picture for a message, with its words in the reader's language.

When a sale opens, thousands of fans open the same picture at once. It is drawn once per reading of the
seats (the reading's stamp) and language, off the event loop, and uploaded once: the first message
carries the file and every later one shows that upload by its address. Fans asking while the picture
is being drawn, or uploaded, wait for that one rather than doing it again."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from io import BytesIO

import discord

from bot.i18n import language, t
from cogs.pictures.seat_map import SeatMapLabels, render_seat_map
from core.models import Event, Seat

SEAT_MAP_NAME = "seatmap.png"
KEPT = 256
# How long a fan waits for another's upload to finish before sending the file themselves.
UPLOAD_WAIT = 2.0
# Discord signs attachment addresses for about a day; an upload older than this is sent afresh.
UPLOAD_KEPT = 3600.0


def seat_map_labels(locale: object) -> SeatMapLabels:
    return SeatMapLabels(
        stage=t("seatmap.stage", locale),
        free=t("seatmap.free", locale),
        held=t("seatmap.held", locale),
        sold=t("seatmap.sold", locale),
    )


@dataclass
class _Map:
    png: asyncio.Future[bytes]
    url: str | None = None
    uploaded_at: float = 0.0
    uploading: bool = False
    uploaded: asyncio.Event = field(default_factory=asyncio.Event)


@dataclass(frozen=True)
class SeatMap:
    """Either a file to attach (this message uploads the picture) or the address of an upload."""

    key: tuple[int, int, str]
    file: discord.File | None
    url: str


class SeatMaps:
    def __init__(self) -> None:
        self._maps: dict[tuple[int, int, str], _Map] = {}

    def _map(self, event: Event, seats: Sequence[Seat], stamp: int, lang: str) -> _Map:
        key = (event.id, stamp, lang)
        kept = self._maps.get(key)
        if kept is None:
            if len(self._maps) >= KEPT:
                self._maps.clear()
            labels = seat_map_labels(lang)
            drawing = asyncio.ensure_future(
                asyncio.to_thread(
                    lambda: render_seat_map(event.title, seats, currency=event.currency, labels=labels).png
                )
            )
            kept = self._maps[key] = _Map(drawing)
            # A drawing that failed is not kept: the next fan asking tries again.
            drawing.add_done_callback(lambda done: done.exception() and self._maps.pop(key, None))
        return kept

    async def get(self, event: Event, seats: Sequence[Seat], stamp: int, locale: object) -> SeatMap:
        lang = language(locale)
        key = (event.id, stamp, lang)
        kept = self._map(event, seats, stamp, lang)
        png = await asyncio.shield(kept.png)
        if kept.uploading and kept.url is None:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(kept.uploaded.wait(), UPLOAD_WAIT)
        if kept.url is not None and time.monotonic() - kept.uploaded_at < UPLOAD_KEPT:
            return SeatMap(key, None, kept.url)
        kept.uploading = True
        return SeatMap(
            key, discord.File(BytesIO(png), filename=SEAT_MAP_NAME), f"attachment://{SEAT_MAP_NAME}"
        )

    def sent(self, picture: SeatMap, message: discord.Message | None) -> None:
        """The message that carried the file is out: later ones show its upload by address."""
        kept = self._maps.get(picture.key)
        if kept is None or picture.file is None:
            return
        attachments = message.attachments if message is not None else []
        upload = next((a for a in attachments if a.filename == SEAT_MAP_NAME), None)
        if upload is not None:
            kept.url, kept.uploaded_at = upload.url, time.monotonic()
        # Without an address (the send failed), the next fan uploads the picture again.
        kept.uploading = False
        kept.uploaded.set()

    async def png(self, event: Event, seats: Sequence[Seat], stamp: int, locale: object) -> bytes:
        return await asyncio.shield(self._map(event, seats, stamp, language(locale)).png)


def seat_maps_of(client: object) -> SeatMaps:
    maps = getattr(client, "seat_maps", None)
    if not isinstance(maps, SeatMaps):
        raise RuntimeError("the bot was started without its seat maps")
    return maps


async def seat_map(
    client: object, event: Event, seats: Sequence[Seat], stamp: int, locale: object
) -> SeatMap | None:
    if not seats:
        return None
    return await seat_maps_of(client).get(event, seats, stamp, locale)


async def seat_map_file(
    client: object, event: Event, seats: Sequence[Seat], stamp: int, locale: object
) -> discord.File | None:
    """The picture as a file of its own: for messages whose picture must travel with them."""
    if not seats:
        return None
    png = await seat_maps_of(client).png(event, seats, stamp, locale)
    return discord.File(BytesIO(png), filename=SEAT_MAP_NAME)
