"""The seat-map picture for a message, with its words in the reader's language.

When a sale opens, thousands of fans open the same picture while seats change by the second. The
picture only shows the seats (the menus and the database decide), so each event and language has one
at a time: drawn off the event loop, drawn again at most every REDRAW_AFTER when the seats have
changed, and uploaded once: the first message carries the file and every later one shows that
upload by its address. Fans asking while it is being drawn, or uploaded, wait for that one."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from io import BytesIO
from typing import Any

import discord

from bot.i18n import language, t
from bot.i18n.formatting import price_in
from cogs.pictures.seat_map import SeatMapLabels, render_seat_map
from cogs.shared.replies import send_message
from cogs.shared.runtime import runtime_of
from core.models import Event, Seat

log = logging.getLogger(__name__)

SEAT_MAP_NAME = "seatmap.png"
KEPT = 256
REDRAW_AFTER = timedelta(seconds=2)
# How long a fan waits for another's upload to finish before sending the file themselves.
UPLOAD_WAIT = 2.0
# Discord signs attachment addresses for about a day; an upload older than this is sent afresh.
UPLOAD_KEPT = timedelta(hours=1)


def seat_map_labels(locale: object) -> SeatMapLabels:
    return SeatMapLabels(
        stage=t("seatmap.stage", locale),
        free=t("seatmap.free", locale),
        held=t("seatmap.held", locale),
        sold=t("seatmap.sold", locale),
    )


@dataclass
class _Picture:
    stamp: int
    drawn_at: datetime
    png: asyncio.Future[bytes | None]
    # The upload's address once a message carried the file; None while nobody has sent it.
    upload: asyncio.Future[str | None] | None = None
    uploaded_at: datetime | None = None


@dataclass(frozen=True)
class SeatMap:
    """Either a file to attach (this message uploads the picture) or the address of an upload."""

    key: tuple[int, str]
    file: discord.File | None
    url: str


class SeatMaps:
    def __init__(self) -> None:
        self._pictures: dict[tuple[int, str], _Picture] = {}

    def _picture(self, event: Event, seats: Sequence[Seat], stamp: int, lang: str, now: datetime) -> _Picture:
        key = (event.id, lang)
        kept = self._pictures.get(key)
        if kept is not None and (kept.stamp == stamp or now - kept.drawn_at < REDRAW_AFTER):
            return kept
        if len(self._pictures) >= KEPT:
            self._pictures.clear()
        labels = seat_map_labels(lang)

        def draw() -> bytes | None:
            try:
                return render_seat_map(event.title, seats, price=price_in(event.currency), labels=labels).png
            except Exception:
                # A picture that cannot be drawn leaves the message without one, not the fan unanswered.
                log.exception("could not draw the seat map of event %s", event.id)
                return None

        picture = self._pictures[key] = _Picture(stamp, now, asyncio.ensure_future(asyncio.to_thread(draw)))
        return picture

    async def get(
        self, event: Event, seats: Sequence[Seat], stamp: int, locale: object, now: datetime
    ) -> SeatMap | None:
        lang = language(locale)
        picture = self._picture(event, seats, stamp, lang, now)
        png = await asyncio.shield(picture.png)
        if png is None:
            return None
        upload = picture.upload
        if upload is not None and not upload.done():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.shield(upload), UPLOAD_WAIT)
        fresh = picture.uploaded_at is not None and now - picture.uploaded_at < UPLOAD_KEPT
        if upload is not None and upload.done() and upload.result() is not None and fresh:
            return SeatMap((event.id, lang), None, str(upload.result()))
        if picture.upload is upload:
            # This fan's message carries the file; the fans after wait for its address.
            picture.upload = asyncio.get_running_loop().create_future()
            picture.uploaded_at = now
        file = discord.File(BytesIO(png), filename=SEAT_MAP_NAME)
        return SeatMap((event.id, lang), file, f"attachment://{SEAT_MAP_NAME}")

    def sent(self, picture: SeatMap, message: discord.Message | None) -> None:
        """The message that carried the file is out (or failed: None): later ones show its upload."""
        kept = self._pictures.get(picture.key)
        if kept is None or picture.file is None or kept.upload is None or kept.upload.done():
            return
        attachments = message.attachments if message is not None else []
        upload = next((a for a in attachments if a.filename == SEAT_MAP_NAME), None)
        kept.upload.set_result(upload.url if upload is not None else None)
        if upload is None:
            # Without an address the next fan uploads the picture again.
            kept.upload = None

    async def png(
        self, event: Event, seats: Sequence[Seat], stamp: int, locale: object, now: datetime
    ) -> bytes | None:
        return await asyncio.shield(self._picture(event, seats, stamp, language(locale), now).png)


def seat_maps_of(client: object) -> SeatMaps:
    maps = getattr(client, "seat_maps", None)
    if not isinstance(maps, SeatMaps):
        raise RuntimeError("the bot was started without its seat maps")
    return maps


async def seat_map(
    client: discord.Client, event: Event, seats: Sequence[Seat], stamp: int, locale: object
) -> SeatMap | None:
    """The picture to show, by upload when one is fresh; None for an event without seats."""
    if not seats:
        return None
    now = runtime_of(client).clock.now()
    return await seat_maps_of(client).get(event, seats, stamp, locale, now)


async def seat_map_file(
    client: discord.Client, event: Event, seats: Sequence[Seat], stamp: int, locale: object
) -> discord.File | None:
    """The picture as a file of its own: for messages whose picture must travel with them."""
    if not seats:
        return None
    png = await seat_maps_of(client).png(event, seats, stamp, locale, runtime_of(client).clock.now())
    return discord.File(BytesIO(png), filename=SEAT_MAP_NAME) if png is not None else None


async def send_with_map(interaction: discord.Interaction, picture: SeatMap | None, **message: Any) -> None:
    """Answers with the message and its seat map: the file when this message uploads it, else the
    map is shown by its upload's address (the embed names ``picture.url``)."""
    if picture is not None and picture.file is not None:
        message["file"] = picture.file
    sent: discord.Message | None = None
    try:
        sent = await send_message(interaction, keep="file" in message, **message)
    finally:
        if picture is not None:
            seat_maps_of(interaction.client).sent(picture, sent)


def shown_picture(interaction: discord.Interaction) -> str | None:
    """The seat map the clicked message shows. Messages that follow from it (the picker redrawn,
    the cart, the receipt) keep showing it, and keep its file: the upload other fans' pickers show
    by address lives on the message that carried it."""
    embeds = interaction.message.embeds if interaction.message is not None else []
    return embeds[0].image.url or embeds[0].thumbnail.url if embeds else None
