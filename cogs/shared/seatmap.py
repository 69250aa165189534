"""The seat-map picture as a Discord attachment, with its words in the reader's language.

Drawing a map of thousands of seats takes long enough to matter when thousands of fans ask at once, so
a picture is drawn once per reading of the seats (the reading's stamp) and language, off the event
loop, and fans asking while it is being drawn wait for that one drawing."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from io import BytesIO

import discord

from bot.i18n import language, t
from cogs.pictures.seat_map import SeatMapLabels, render_seat_map
from core.models import Event, Seat

SEAT_MAP_NAME = "seatmap.png"
KEPT = 256


def seat_map_labels(locale: object) -> SeatMapLabels:
    return SeatMapLabels(
        stage=t("seatmap.stage", locale),
        free=t("seatmap.free", locale),
        held=t("seatmap.held", locale),
        sold=t("seatmap.sold", locale),
    )


class SeatMaps:
    """Seat-map pictures by reading and language, each drawn once."""

    def __init__(self) -> None:
        self._drawn: dict[tuple[int, int, str], asyncio.Future[bytes]] = {}

    async def png(self, event: Event, seats: Sequence[Seat], stamp: int, locale: object) -> bytes:
        lang = language(locale)
        key = (event.id, stamp, lang)
        drawing = self._drawn.get(key)
        if drawing is None:
            if len(self._drawn) >= KEPT:
                self._drawn.clear()
            labels = seat_map_labels(lang)
            drawing = asyncio.ensure_future(
                asyncio.to_thread(
                    lambda: render_seat_map(event.title, seats, currency=event.currency, labels=labels).png
                )
            )
            self._drawn[key] = drawing
            # A drawing that failed is not kept: the next fan asking tries again.
            drawing.add_done_callback(lambda done: done.exception() and self._drawn.pop(key, None))
        return await asyncio.shield(drawing)


def _maps_of(client: object) -> SeatMaps:
    maps = getattr(client, "seat_maps", None)
    if not isinstance(maps, SeatMaps):
        maps = SeatMaps()
        setattr(client, "seat_maps", maps)  # noqa: B010 - kept on whichever client runs the cogs
    return maps


async def seat_map_file(
    client: object, event: Event, seats: Sequence[Seat], stamp: int, locale: object
) -> discord.File | None:
    if not seats:
        return None
    png = await _maps_of(client).png(event, seats, stamp, locale)
    return discord.File(BytesIO(png), filename=SEAT_MAP_NAME)
