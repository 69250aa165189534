"""The seat map a fan sees while picking seats: stage on top, sections in order, seats coloured by status."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from io import BytesIO

from PIL import Image, ImageDraw

from cogs.pictures import fit_text, font
from core.models import Seat, SeatStatus

RGB = tuple[int, int, int]

# One colour per section (Picket allows 20); none is grey or amber, which mean held and sold.
FREE_COLOURS: tuple[RGB, ...] = (
    (31, 119, 180),
    (44, 160, 44),
    (214, 39, 40),
    (148, 103, 189),
    (23, 190, 207),
    (227, 119, 194),
    (188, 189, 34),
    (255, 127, 14),
    (140, 86, 75),
    (174, 199, 232),
    (152, 223, 138),
    (255, 152, 150),
    (197, 176, 213),
    (158, 218, 229),
    (247, 182, 210),
    (102, 194, 165),
    (0, 128, 128),
    (128, 0, 64),
    (65, 105, 45),
    (60, 60, 160),
)
HELD_COLOUR: RGB = (196, 164, 104)
SOLD_COLOUR: RGB = (74, 74, 80)
BACKGROUND: RGB = (248, 248, 245)
INK: RGB = (32, 32, 36)
STAGE_COLOUR: RGB = (60, 64, 80)

MAX_WIDTH = 1600
# Tall enough for every layout core accepts (20 sections of rows A to Z, 50,000 seats) at 3 px a seat.
MAX_HEIGHT = 3200
MIN_WIDTH = 480
MARGIN = 24
ROW_LABEL_WIDTH = 32
LARGEST_PITCH = 28
SMALLEST_PITCH = 3
TITLE_SIZE = 24
TITLE_BAND = 44
STAGE_BAND = 52
SECTION_SIZE = 15
SECTION_HEADER = 24
SECTION_GAP = 14
LEGEND_SIZE = 14
LEGEND_LINE = 24
LEGEND_SWATCH = 14
LEGEND_ITEM_GAP = 22


@dataclass(frozen=True)
class SeatMapLabels:
    """The words drawn on the map, so the caller can pass them in the fan's language."""

    stage: str = "STAGE"
    free: str = "Free"
    held: str = "Held"
    sold: str = "Sold"


@dataclass(frozen=True)
class SeatMapImage:
    png: bytes
    size: tuple[int, int]
    seat_size: int
    centres: Mapping[int, tuple[int, int]] = field(repr=False)


@dataclass(frozen=True)
class _Section:
    name: str
    price: int
    colour: RGB
    column_of: Mapping[int, int]  # seat number -> column, gaps no row uses are closed up
    rows: tuple[tuple[str, tuple[Seat, ...]], ...]

    @property
    def columns(self) -> int:
        return len(self.column_of)


@dataclass(frozen=True)
class _LegendItem:
    label: str
    colours: tuple[RGB, ...]

    @property
    def width(self) -> float:
        return LEGEND_SWATCH + 6 + font(LEGEND_SIZE).getlength(self.label)


@dataclass(frozen=True)
class _Plan:
    pitch: int
    columns_per_line: int
    width: int
    height: int
    legend_lines: tuple[tuple[_LegendItem, ...], ...]


def render_seat_map(
    title: str,
    seats: Sequence[Seat],
    statuses: Mapping[int, SeatStatus] | None = None,
    *,
    price: Callable[[int], str] = "{:,}".format,
    labels: SeatMapLabels | None = None,
) -> SeatMapImage:
    """Draws the map; ``statuses`` (seat id -> status) overrides what the seats themselves say, and
    ``price`` writes a section's price as the text around the picture does."""
    labels = labels or SeatMapLabels()
    sections = _group(seats)
    legend = _legend_items(sections, labels, price)
    plan = _plan(sections, legend, font(TITLE_SIZE).getlength(title))
    image = Image.new("RGB", (plan.width, plan.height), BACKGROUND)
    draw = ImageDraw.Draw(image)
    _draw_heading(draw, plan, title, labels.stage)
    centres = _draw_sections(draw, plan, sections, statuses or {})
    _draw_legend(draw, plan)
    buffer = BytesIO()
    image.save(buffer, format="PNG")
    return SeatMapImage(buffer.getvalue(), image.size, _seat_size(plan.pitch), centres)


def _group(seats: Sequence[Seat]) -> list[_Section]:
    by_section: dict[int, list[Seat]] = {}
    for seat in seats:
        by_section.setdefault(seat.section_id, []).append(seat)
    sections = []
    for index, members in enumerate(by_section.values()):
        rows: dict[str, list[Seat]] = {}
        for seat in members:
            rows.setdefault(seat.row, []).append(seat)
        numbers = sorted({seat.number for seat in members})
        sections.append(
            _Section(
                name=members[0].section,
                price=min(seat.price for seat in members),
                colour=FREE_COLOURS[index % len(FREE_COLOURS)],
                column_of={number: column for column, number in enumerate(numbers)},
                rows=tuple(
                    (row, tuple(sorted(rows[row], key=lambda seat: seat.number))) for row in sorted(rows)
                ),
            )
        )
    return sections


def _legend_items(
    sections: Sequence[_Section], labels: SeatMapLabels, price: Callable[[int], str]
) -> list[_LegendItem]:
    section_items = [_LegendItem(f"{s.name} · {price(s.price)}", (s.colour,)) for s in sections]
    free = tuple(s.colour for s in sections[:4]) or (FREE_COLOURS[0],)
    return [
        *section_items,
        _LegendItem(labels.free, free),
        _LegendItem(labels.held, (HELD_COLOUR,)),
        _LegendItem(labels.sold, (SOLD_COLOUR,)),
    ]


def _plan(sections: Sequence[_Section], legend: Sequence[_LegendItem], title_width: float) -> _Plan:
    """The largest seat pitch at which everything fits in MAX_WIDTH x MAX_HEIGHT.

    Rows stay on one line if any pitch allows it, so the picture keeps the shape of the venue; only
    rows too long for the width even at the smallest pitch wrap onto further lines.
    """
    widest = max((s.columns for s in sections), default=0)
    pitches = range(LARGEST_PITCH, SMALLEST_PITCH - 1, -1)
    # When rows must wrap, they wrap no more often than they must at the smallest pitch.
    fewest_lines = math.ceil(widest / _columns_per_line(SMALLEST_PITCH))
    for allow_wrapping in (False, True):
        for pitch in pitches:
            columns_per_line = _columns_per_line(pitch)
            lines = math.ceil(widest / columns_per_line)
            if (lines > 1 and not allow_wrapping) or lines > max(1, fewest_lines):
                continue
            plan = _try_pitch(sections, legend, title_width, pitch, columns_per_line, widest)
            if plan.height <= MAX_HEIGHT:
                return plan
    raise ValueError(f"{sum(len(s.rows) for s in sections)} rows do not fit in a {MAX_HEIGHT}px seat map")


def _columns_per_line(pitch: int) -> int:
    return (MAX_WIDTH - 2 * (MARGIN + ROW_LABEL_WIDTH)) // pitch


def _try_pitch(
    sections: Sequence[_Section],
    legend: Sequence[_LegendItem],
    title_width: float,
    pitch: int,
    columns_per_line: int,
    widest: int,
) -> _Plan:
    seats_width = min(widest, columns_per_line) * pitch + 2 * (MARGIN + ROW_LABEL_WIDTH)
    width = min(MAX_WIDTH, max(MIN_WIDTH, seats_width, math.ceil(title_width) + 2 * MARGIN))
    legend_lines = _flow(legend, width - 2 * MARGIN)
    height = (
        TITLE_BAND
        + STAGE_BAND
        + sum(_section_height(s, pitch, columns_per_line) for s in sections)
        + len(legend_lines) * LEGEND_LINE
        + 2 * MARGIN
    )
    return _Plan(pitch, columns_per_line, width, height, legend_lines)


def _lines_per_row(section: _Section, columns_per_line: int) -> int:
    # A row wider than the picture wraps onto further lines rather than shrinking seats below a pixel.
    return max(1, math.ceil(section.columns / columns_per_line))


def _section_height(section: _Section, pitch: int, columns_per_line: int) -> int:
    return (
        SECTION_HEADER + len(section.rows) * _lines_per_row(section, columns_per_line) * pitch + SECTION_GAP
    )


def _seat_size(pitch: int) -> int:
    return pitch - max(1, pitch // 5)


def _flow(items: Sequence[_LegendItem], width: int) -> tuple[tuple[_LegendItem, ...], ...]:
    lines: list[list[_LegendItem]] = [[]]
    used = 0.0
    for item in items:
        if lines[-1] and used + LEGEND_ITEM_GAP + item.width > width:
            lines.append([])
            used = 0.0
        used += (LEGEND_ITEM_GAP if lines[-1] else 0) + item.width
        lines[-1].append(item)
    return tuple(tuple(line) for line in lines if line)


def _draw_heading(draw: ImageDraw.ImageDraw, plan: _Plan, title: str, stage: str) -> None:
    title_font = font(TITLE_SIZE)
    centre_x = plan.width // 2
    draw.text(
        (centre_x, MARGIN + TITLE_SIZE // 2),
        fit_text(title, title_font, plan.width - 2 * MARGIN),
        font=title_font,
        fill=INK,
        anchor="mm",
    )
    stage_width = max(160, (plan.width - 2 * (MARGIN + ROW_LABEL_WIDTH)) * 3 // 5)
    top = MARGIN + TITLE_BAND
    draw.rounded_rectangle(
        (centre_x - stage_width // 2, top, centre_x + stage_width // 2, top + 28), radius=6, fill=STAGE_COLOUR
    )
    draw.text((centre_x, top + 14), stage, font=font(16), fill=BACKGROUND, anchor="mm")


def _draw_sections(
    draw: ImageDraw.ImageDraw, plan: _Plan, sections: Sequence[_Section], statuses: Mapping[int, SeatStatus]
) -> dict[int, tuple[int, int]]:
    pitch, size = plan.pitch, _seat_size(plan.pitch)
    radius = size // 4 if size >= 6 else 0
    label_size = max(9, min(14, pitch))
    label_font = font(label_size)
    centres: dict[int, tuple[int, int]] = {}
    y = MARGIN + TITLE_BAND + STAGE_BAND
    for section in sections:
        block_columns = min(section.columns, plan.columns_per_line)
        left = (plan.width - block_columns * pitch) // 2
        header = fit_text(section.name, font(SECTION_SIZE), plan.width - 2 * MARGIN)
        draw.text(
            (plan.width // 2, y + SECTION_HEADER // 2), header, font=font(SECTION_SIZE), fill=INK, anchor="mm"
        )
        y += SECTION_HEADER
        label_clear_below = y
        for row, row_seats in section.rows:
            # Labels only where the last one left room: at tiny pitches some rows go unlabelled, none overlap.
            if y >= label_clear_below:
                draw.text((left - 6, y + size // 2), row, font=label_font, fill=INK, anchor="rm")
                label_clear_below = y + label_size
            for seat in row_seats:
                line, column = divmod(section.column_of[seat.number], plan.columns_per_line)
                x, top = left + column * pitch, y + line * pitch
                draw.rounded_rectangle(
                    (x, top, x + size - 1, top + size - 1),
                    radius=radius,
                    fill=_colour(seat, section, statuses),
                )
                centres[seat.id] = (x + (size - 1) // 2, top + (size - 1) // 2)
            y += _lines_per_row(section, plan.columns_per_line) * pitch
        y += SECTION_GAP
    return centres


def _colour(seat: Seat, section: _Section, statuses: Mapping[int, SeatStatus]) -> RGB:
    status = statuses.get(seat.id, seat.status)
    if status is SeatStatus.SOLD:
        return SOLD_COLOUR
    if status is SeatStatus.HELD:
        return HELD_COLOUR
    return section.colour


def _draw_legend(draw: ImageDraw.ImageDraw, plan: _Plan) -> None:
    legend_font = font(LEGEND_SIZE)
    y = plan.height - MARGIN - len(plan.legend_lines) * LEGEND_LINE
    for line in plan.legend_lines:
        x = float(MARGIN)
        for item in line:
            _draw_swatch(draw, int(x), y + (LEGEND_LINE - LEGEND_SWATCH) // 2, item.colours)
            text_y = y + LEGEND_LINE // 2
            draw.text((x + LEGEND_SWATCH + 6, text_y), item.label, font=legend_font, fill=INK, anchor="lm")
            x += item.width + LEGEND_ITEM_GAP
        y += LEGEND_LINE


def _draw_swatch(draw: ImageDraw.ImageDraw, x: int, y: int, colours: Sequence[RGB]) -> None:
    # "Free" has no single colour, so its swatch shows stripes of the first few section colours.
    stripe = LEGEND_SWATCH / len(colours)
    for index, colour in enumerate(colours):
        start = x + round(index * stripe)
        end = x + round((index + 1) * stripe) - 1
        draw.rectangle((start, y, end, y + LEGEND_SWATCH - 1), fill=colour)
