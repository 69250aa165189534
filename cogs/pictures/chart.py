"""The organizer's chart of tickets sold per day."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from datetime import date, timedelta
from io import BytesIO

from PIL import Image, ImageDraw

from cogs.pictures import fit_text, font

RGB = tuple[int, int, int]

CHART_SIZE = (800, 400)
BACKGROUND: RGB = (248, 248, 245)
INK: RGB = (32, 32, 36)
GRID: RGB = (222, 222, 216)
BAR_COLOUR: RGB = (31, 119, 180)
MUTED: RGB = (130, 130, 136)

LEFT, RIGHT, TOP, BOTTOM = 64, 24, 60, 44
MAX_DATE_LABELS = 8
MAX_GRID_LINES = 5
MAX_BAR_WIDTH = 48.0


def sales_chart(
    points: Sequence[tuple[date, int]], title: str, *, empty_label: str = "No sales yet"
) -> bytes:
    """Bars per day from the first sale to the last; days without sales are drawn as zero, not skipped."""
    days = _daily(points)
    image = Image.new("RGB", CHART_SIZE, BACKGROUND)
    draw = ImageDraw.Draw(image)
    width, height = CHART_SIZE
    draw.text(
        (LEFT, TOP // 2),
        fit_text(title, font(20), width - LEFT - RIGHT),
        font=font(20),
        fill=INK,
        anchor="lm",
    )
    plot = (LEFT, TOP, width - RIGHT, height - BOTTOM)
    top_value = _draw_grid(draw, plot, max((count for _, count in days), default=0))
    if not days or top_value == 0:
        centre = ((plot[0] + plot[2]) // 2, (plot[1] + plot[3]) // 2)
        draw.text(centre, empty_label, font=font(18), fill=MUTED, anchor="mm")
    else:
        _draw_bars(draw, plot, days, top_value)
    buffer = BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def _daily(points: Sequence[tuple[date, int]]) -> list[tuple[date, int]]:
    totals: Counter[date] = Counter()
    for day, count in points:
        if count < 0:
            raise ValueError(f"{count} tickets sold on {day}")
        totals[day] += count
    if not totals:
        return []
    first, last = min(totals), max(totals)
    return [
        (first + timedelta(days=n), totals[first + timedelta(days=n)]) for n in range((last - first).days + 1)
    ]


def _grid_step(peak: int) -> int:
    """A round step (1, 2, 5, 10, 20, ...) that needs at most MAX_GRID_LINES lines to reach ``peak``."""
    magnitude = 1
    while True:
        for factor in (1, 2, 5):
            if math.ceil(peak / (factor * magnitude)) <= MAX_GRID_LINES:
                return factor * magnitude
        magnitude *= 10


def _draw_grid(draw: ImageDraw.ImageDraw, plot: tuple[int, int, int, int], peak: int) -> int:
    """Draws horizontal lines with their values; returns the value at the top of the plot."""
    left, top, right, bottom = plot
    step = _grid_step(max(peak, 1))
    top_value = step * math.ceil(peak / step) if peak else 0
    lines = top_value // step if top_value else 0
    for index in range(lines + 1):
        y = bottom - round(index * (bottom - top) / max(lines, 1))
        draw.line((left, y, right, y), fill=GRID if index else INK, width=1)
        draw.text((left - 8, y), f"{index * step:,}", font=font(12), fill=MUTED, anchor="rm")
    return top_value


def _draw_bars(
    draw: ImageDraw.ImageDraw,
    plot: tuple[int, int, int, int],
    days: Sequence[tuple[date, int]],
    top_value: int,
) -> None:
    left, top, right, bottom = plot
    slot = (right - left) / len(days)
    bar = min(MAX_BAR_WIDTH, max(1.0, slot * 0.7))
    label_every = math.ceil(len(days) / MAX_DATE_LABELS)
    for index, (day, count) in enumerate(days):
        x0 = round(left + index * slot + (slot - bar) / 2)
        x1 = max(x0, round(left + index * slot + (slot + bar) / 2) - 1)
        if count:
            y0 = bottom - max(1, round(count * (bottom - top) / top_value))
            draw.rectangle((x0, y0, x1, bottom - 1), fill=BAR_COLOUR)
        if index % label_every == 0:
            draw.text(
                ((x0 + x1) // 2, bottom + 16), day.strftime("%m-%d"), font=font(12), fill=MUTED, anchor="mm"
            )
