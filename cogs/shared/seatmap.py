"""The seat-map picture as a Discord attachment, with its words in the reader's language."""

from __future__ import annotations

from collections.abc import Sequence
from io import BytesIO

import discord

from bot.i18n import t
from cogs.pictures.seat_map import SeatMapLabels, render_seat_map
from core.models import Event, Seat

SEAT_MAP_NAME = "seatmap.png"


def seat_map_labels(locale: object) -> SeatMapLabels:
    return SeatMapLabels(
        stage=t("seatmap.stage", locale),
        free=t("seatmap.free", locale),
        held=t("seatmap.held", locale),
        sold=t("seatmap.sold", locale),
    )


def seat_map_file(event: Event, seats: Sequence[Seat], locale: object) -> discord.File | None:
    if not seats:
        return None
    picture = render_seat_map(event.title, seats, currency=event.currency, labels=seat_map_labels(locale))
    return discord.File(BytesIO(picture.png), filename=SEAT_MAP_NAME)
