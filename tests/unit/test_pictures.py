from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta, timezone
from io import BytesIO
from pathlib import Path

import icalendar
import pytest
import zxingcpp
from PIL import Image, ImageFont

from bot.i18n.formatting import money, price_in
from cogs.pictures import fit_text, font, load_font
from cogs.pictures.calendar import PRODID, ticket_ics
from cogs.pictures.chart import BAR_COLOUR, CHART_SIZE, LEFT, RIGHT, sales_chart
from cogs.pictures.qr import qr_png
from cogs.pictures.seat_map import (
    BACKGROUND,
    FREE_COLOURS,
    HELD_COLOUR,
    MAX_HEIGHT,
    MAX_WIDTH,
    SOLD_COLOUR,
    STAGE_COLOUR,
    SeatMapImage,
    SeatMapLabels,
    _group,
    _legend_items,
    render_seat_map,
)
from core.layout import parse_layout
from core.models import Seat, SeatStatus
from core.ticket_codes import TicketClaim, TicketCodes

RGB = tuple[int, int, int]
SMALL = "VIP:A-B x 1-10 @ 99000; R:C-J x 1-20 @ 77000; 스탠딩:K x 1-24 @ 55000"
DEJAVU = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"


def seats_for(layout: str, sold: Iterable[int] = (), held: Iterable[int] = ()) -> list[Seat]:
    """Seats numbered 1, 2, ... in the order Picket creates them from a layout."""
    sold_ids, held_ids = set(sold), set(held)
    seats: list[Seat] = []
    for section_id, spec in enumerate(parse_layout(layout), start=1):
        for row in spec.rows:
            for number in range(spec.first_number, spec.last_number + 1):
                seat_id = len(seats) + 1
                status = SeatStatus.AVAILABLE
                if seat_id in sold_ids:
                    status = SeatStatus.SOLD
                elif seat_id in held_ids:
                    status = SeatStatus.HELD
                seats.append(Seat(seat_id, section_id, spec.name, row, number, spec.price, status))
    return seats


def open_png(png: bytes) -> Image.Image:
    image = Image.open(BytesIO(png))
    assert image.format == "PNG"
    return image.convert("RGB")


def centre_colour(picture: SeatMapImage, seat_id: int) -> RGB:
    pixel = open_png(picture.png).getpixel(picture.centres[seat_id])
    assert isinstance(pixel, tuple)
    return (pixel[0], pixel[1], pixel[2])


def colours_in_band(image: Image.Image, top: int, bottom: int) -> set[RGB]:
    band = image.crop((0, top, image.width, bottom))
    counted = band.getcolors(maxcolors=band.width * band.height) or []
    return {(c[0], c[1], c[2]) for _, c in counted if isinstance(c, tuple)}


# QR codes.


def test_the_qr_decodes_to_a_ticket_code_that_verifies() -> None:
    codes = TicketCodes.generate()
    code = codes.issue(5000, 300, 2)

    barcodes = zxingcpp.read_barcodes(Image.open(BytesIO(qr_png(code))))

    assert [b.text for b in barcodes] == [code]
    assert barcodes[0].format == zxingcpp.BarcodeFormat.QRCode
    assert barcodes[0].ec_level == "M"
    assert codes.verify(barcodes[0].text) == TicketClaim(5000, 300, 2, codes.key_id)


@pytest.mark.parametrize("box_size", [2, 8, 12])
def test_the_qr_is_whole_modules_with_a_four_module_quiet_zone(box_size: int) -> None:
    image = open_png(qr_png("PK1.example", box_size=box_size))
    modules = image.width // box_size

    assert image.width == image.height
    assert image.width % box_size == 0
    assert (modules - 2 * 4 - 17) % 4 == 0  # a QR version v is 17 + 4v modules wide
    quiet = image.crop((0, 0, image.width, 4 * box_size))
    assert quiet.getcolors() == [(quiet.width * quiet.height, (255, 255, 255))]


def test_the_qr_is_the_same_each_time() -> None:
    assert qr_png("PK1.same") == qr_png("PK1.same")
    assert qr_png("PK1.same") != qr_png("PK1.other")


# Seat maps.


def test_each_status_has_its_colour_at_the_seat_centre() -> None:
    seats = seats_for(SMALL, sold=[3], held=[4])
    picture = render_seat_map("Spring Concert", seats)

    assert centre_colour(picture, 1) == FREE_COLOURS[0]
    assert centre_colour(picture, 3) == SOLD_COLOUR
    assert centre_colour(picture, 4) == HELD_COLOUR
    assert centre_colour(picture, 21) == FREE_COLOURS[1]  # first seat of the second section
    assert centre_colour(picture, len(seats)) == FREE_COLOURS[2]
    assert centre_colour(picture, 3) != centre_colour(picture, 1)


def test_live_statuses_override_what_the_seats_say() -> None:
    seats = seats_for(SMALL, sold=[1])
    picture = render_seat_map(
        "Spring Concert", seats, {1: SeatStatus.AVAILABLE, 2: SeatStatus.SOLD, 5: SeatStatus.HELD}
    )

    assert centre_colour(picture, 1) == FREE_COLOURS[0]
    assert centre_colour(picture, 2) == SOLD_COLOUR
    assert centre_colour(picture, 5) == HELD_COLOUR


def test_the_map_is_a_png_with_stage_on_top_and_legend_below() -> None:
    picture = render_seat_map("Spring Concert", seats_for(SMALL, sold=[3], held=[4]), price=price_in("KRW"))
    image = open_png(picture.png)
    first_seat_top = min(y for _, y in picture.centres.values()) - picture.seat_size
    last_seat_bottom = max(y for _, y in picture.centres.values()) + picture.seat_size

    assert image.size == picture.size
    assert len(picture.centres) == 20 + 160 + 24
    assert STAGE_COLOUR in colours_in_band(image, 0, first_seat_top)
    legend = colours_in_band(image, last_seat_bottom, image.height)
    assert {FREE_COLOURS[0], FREE_COLOURS[1], FREE_COLOURS[2], HELD_COLOUR, SOLD_COLOUR} <= legend


def test_rows_keep_their_order_and_seats_their_numbers() -> None:
    picture = render_seat_map("Spring Concert", seats_for("R:A-C x 1-5 @ 1"))
    a1, a2, b1 = picture.centres[1], picture.centres[2], picture.centres[6]

    assert a1[1] == a2[1] < b1[1]
    assert a1[0] == b1[0] < a2[0]


def test_the_same_map_gives_the_same_bytes() -> None:
    seats = seats_for(SMALL, sold=[3], held=[4])

    assert render_seat_map("Spring Concert", seats).png == render_seat_map("Spring Concert", seats).png
    assert (
        render_seat_map("Spring Concert", seats).png
        != render_seat_map("Spring Concert", seats, {9: SeatStatus.SOLD}).png
    )


def test_a_single_seat_draws_large_and_inside_the_picture() -> None:
    picture = render_seat_map("Tiny Room", seats_for("Solo:A x 1-1 @ 5000", held=[1]))
    x, y = picture.centres[1]

    assert picture.seat_size >= 20
    assert 0 < x < picture.size[0] and 0 < y < picture.size[1]
    assert centre_colour(picture, 1) == HELD_COLOUR


@pytest.mark.parametrize(
    "layout",
    [
        "A:A-J x 1-250 @ 1000; B:K-T x 1-250 @ 2000",
        "L:A x 1-5000 @ 5",
        "; ".join(f"S{i}:{chr(65 + i)} x 1-250 @ {1000 * i}" for i in range(20)),
        "Deep:A-Z x 1-192 @ 10",
    ],
)
def test_five_thousand_seats_fit_and_every_seat_shows_its_status(layout: str) -> None:
    seats = seats_for(layout, sold=range(1, 5001, 7), held=range(2, 5001, 11))
    picture = render_seat_map("Stadium", seats)
    image = open_png(picture.png)
    pixels = image.load()
    assert pixels is not None

    expected = {SeatStatus.SOLD: SOLD_COLOUR, SeatStatus.HELD: HELD_COLOUR}
    wrong = [
        s.id
        for s in seats
        if pixels[picture.centres[s.id]] != expected.get(s.status, FREE_COLOURS[s.section_id - 1])
    ]
    assert len(seats) <= 5000
    assert image.width <= MAX_WIDTH and image.height <= MAX_HEIGHT
    assert len(set(picture.centres.values())) == len(seats)
    assert wrong == []


def test_a_small_venue_gets_bigger_seats_than_a_stadium() -> None:
    small = render_seat_map("Club", seats_for("R:A-B x 1-10 @ 1"))
    big = render_seat_map("Stadium", seats_for("R:A-J x 1-500 @ 1"))

    assert small.seat_size > big.seat_size >= 2


def test_every_section_gets_its_own_colour() -> None:
    layout = "; ".join(f"S{i}:{chr(65 + i)} x 1-3 @ {i}" for i in range(20))
    picture = render_seat_map("Twenty", seats_for(layout))
    first_of_each = [1 + 3 * i for i in range(20)]

    assert len({centre_colour(picture, seat_id) for seat_id in first_of_each}) == 20
    assert len(set(FREE_COLOURS)) == len(FREE_COLOURS) >= 20
    assert not {HELD_COLOUR, SOLD_COLOUR, BACKGROUND} & set(FREE_COLOURS)


def test_the_legend_writes_prices_as_the_text_around_the_picture_does() -> None:
    sections = _group(seats_for("VIP:A x 1-2 @ 99000; R:B x 1-2 @ 55000"))
    labels = [item.label for item in _legend_items(sections, SeatMapLabels(), price_in("KRW"))]

    assert labels[:2] == [f"VIP · {money(99_000, 'KRW')}", f"R · {money(55_000, 'KRW')}"]
    assert labels[0] == "VIP · ₩99,000"


def test_korean_names_and_an_empty_map_still_render() -> None:
    korean = render_seat_map("봄 콘서트", seats_for("스탠딩:A x 1-4 @ 55000"), price="{:,}원".format)
    empty = render_seat_map("General admission", [])

    assert centre_colour(korean, 1) == FREE_COLOURS[0]
    assert open_png(empty.png).size == empty.size
    assert empty.centres == {}


@pytest.mark.parametrize(
    "layout",
    [
        "; ".join(f"Section number {i:02} long:A-Z x 1-96 @ 9999999" for i in range(20)),
        "Wide:A-Z x 1-1000 @ 1; " + "; ".join(f"S{i}:A-Z x 1-48 @ 1" for i in range(19)),
        "Long:A x 1-9999 @ 1; " + "; ".join(f"S{i}:A-Z x 1-70 @ 1" for i in range(19)),
        "; ".join(f"S{i}:A-Z x 1-1 @ 1" for i in range(20)),
    ],
)
def test_the_tallest_layouts_core_accepts_fit(layout: str) -> None:
    seats = seats_for(layout)
    picture = render_seat_map("A very long title " * 6, seats)

    assert open_png(picture.png).height <= MAX_HEIGHT
    assert len(set(picture.centres.values())) == len(seats)


def test_more_rows_than_the_picture_can_hold_is_refused() -> None:
    seats = [Seat(i, 1, "Odd", f"R{i:04}", 1, 1, SeatStatus.AVAILABLE) for i in range(1, 5001)]

    with pytest.raises(ValueError):
        render_seat_map("Too tall", seats)


def test_a_cjk_font_is_used_when_installed_and_the_builtin_one_otherwise() -> None:
    found = load_font(16, [("/nowhere/NotoSansCJK-Regular.ttc", 1), (DEJAVU, 0)])
    fallback = load_font(16, [("/nowhere/NotoSansCJK-Regular.ttc", 1)])

    if Path(DEJAVU).is_file():
        assert isinstance(found, ImageFont.FreeTypeFont) and found.path == DEJAVU
    assert fallback.getlength("Picket") > 0
    assert font(16) is font(16)


def test_long_text_is_cut_to_fit_with_an_ellipsis() -> None:
    face = font(16)
    title = "A very long event title that goes on and on " * 4

    cut = fit_text(title, face, 200)
    assert cut.endswith("…")
    assert face.getlength(cut) <= 200
    assert fit_text("Short", face, 200) == "Short"


# Calendar files.

STARTS = datetime(2030, 5, 1, 12, 0, 0)


def test_the_ics_parses_back_with_every_field() -> None:
    made = datetime(2030, 4, 2, 9, 30)
    raw = ticket_ics(
        "ticket-42@picket",
        "Spring Concert",
        "Seoul Arena",
        STARTS,
        timedelta(hours=2),
        "Seat VIP A1",
        stamped_at=made,
    )
    calendar = icalendar.Calendar.from_ical(raw)
    events = calendar.walk("VEVENT")

    assert str(calendar["PRODID"]) == PRODID == "-//Picket//Tickets//EN"
    assert str(calendar["VERSION"]) == "2.0"
    assert len(events) == 1
    event = events[0]
    assert str(event["UID"]) == "ticket-42@picket"
    assert str(event["SUMMARY"]) == "Spring Concert"
    assert str(event["LOCATION"]) == "Seoul Arena"
    assert str(event["DESCRIPTION"]) == "Seat VIP A1"
    assert event.decoded("DTSTART") == STARTS.replace(tzinfo=UTC)
    assert event.decoded("DTEND") == datetime(2030, 5, 1, 14, 0, tzinfo=UTC)
    assert event.decoded("DTSTAMP") == made.replace(tzinfo=UTC)
    assert b"DTSTART:20300501T120000Z\r\n" in raw


def test_special_characters_and_korean_survive_the_round_trip() -> None:
    title, venue, description = "봄 콘서트; live, again", "올림픽홀, Seoul", "Seat A1\nGate 3; bring ID"
    event = icalendar.Calendar.from_ical(
        ticket_ics("t-1@picket", title, venue, STARTS, timedelta(minutes=90), description, stamped_at=STARTS)
    ).walk("VEVENT")[0]

    assert str(event["SUMMARY"]) == title
    assert str(event["LOCATION"]) == venue
    assert str(event["DESCRIPTION"]) == description


def test_the_ics_is_reproducible_for_the_same_moment_of_making() -> None:
    def make(at: datetime) -> bytes:
        return ticket_ics("t-1@picket", "Show", "Hall", STARTS, timedelta(hours=1), "", stamped_at=at)

    later = datetime(2030, 4, 2, 9, 30)
    restamped = icalendar.Calendar.from_ical(make(later)).walk("VEVENT")[0]

    assert make(later) == make(later) != make(STARTS)
    assert restamped.decoded("DTSTAMP") == later.replace(tzinfo=UTC)


def test_an_aware_start_is_converted_to_utc() -> None:
    seoul = timezone(timedelta(hours=9))
    raw = ticket_ics(
        "t-1@picket",
        "Show",
        "Hall",
        datetime(2030, 5, 1, 21, 0, tzinfo=seoul),
        timedelta(hours=1),
        "",
        stamped_at=STARTS,
    )

    assert b"DTSTART:20300501T120000Z" in raw


def test_an_event_without_duration_is_refused() -> None:
    with pytest.raises(ValueError):
        ticket_ics("t-1@picket", "Show", "Hall", STARTS, timedelta(0), "", stamped_at=STARTS)


# Sales charts.

DAY = date(2030, 4, 1)


def bar_runs(png: bytes) -> list[tuple[int, int, int]]:
    """(left x, width, tallest height) of each run of adjacent pixel columns holding bar colour."""
    image = open_png(png)
    pixels = image.load()
    assert pixels is not None
    heights = [sum(pixels[x, y] == BAR_COLOUR for y in range(image.height)) for x in range(image.width)]
    runs: list[tuple[int, int, int]] = []
    for x, height in enumerate(heights):
        if height and (x == 0 or not heights[x - 1]):
            runs.append((x, 0, 0))
        if height:
            left, width, tallest = runs[-1]
            runs[-1] = (left, width + 1, max(tallest, height))
    return runs


def test_the_chart_is_a_png_of_the_fixed_size() -> None:
    assert open_png(sales_chart([(DAY, 3)], "Sales")).size == CHART_SIZE
    assert open_png(sales_chart([], "Sales")).size == CHART_SIZE


def test_bars_are_proportional_to_sales() -> None:
    runs = bar_runs(sales_chart([(DAY, 10), (DAY + timedelta(days=1), 5)], "Sales"))

    assert len(runs) == 2
    assert abs(runs[0][2] - 2 * runs[1][2]) <= 2


def test_days_without_sales_keep_their_place() -> None:
    apart = bar_runs(sales_chart([(DAY, 4), (DAY + timedelta(days=2), 4)], "Sales"))
    together = bar_runs(sales_chart([(DAY, 4), (DAY + timedelta(days=1), 4)], "Sales"))
    plot_width = CHART_SIZE[0] - LEFT - RIGHT

    def centre(run: tuple[int, int, int]) -> float:
        return run[0] + run[1] / 2

    assert len(apart) == len(together) == 2
    # Bars sit in the middle of their day's slot: three slots for the gap, two without it.
    assert abs(centre(apart[1]) - centre(apart[0]) - 2 * plot_width / 3) <= 2
    assert abs(centre(together[1]) - centre(together[0]) - plot_width / 2) <= 2


def test_sales_on_the_same_day_add_up() -> None:
    assert sales_chart([(DAY, 3), (DAY, 2)], "Sales") == sales_chart([(DAY, 5)], "Sales")


def test_different_data_draws_a_different_chart() -> None:
    one = sales_chart([(DAY, 3), (DAY + timedelta(days=1), 7)], "Sales")

    assert one == sales_chart([(DAY + timedelta(days=1), 7), (DAY, 3)], "Sales")
    assert one != sales_chart([(DAY, 3), (DAY + timedelta(days=1), 8)], "Sales")
    assert one != sales_chart([(DAY, 3), (DAY + timedelta(days=1), 7)], "Other title")


@pytest.mark.parametrize("points", [[], [(DAY, 0), (DAY + timedelta(days=3), 0)]])
def test_a_chart_without_sales_draws_no_bars(points: list[tuple[date, int]]) -> None:
    png = sales_chart(points, "Sales")

    assert bar_runs(png) == []
    assert png != sales_chart(points, "Sales", empty_label="아직 판매 없음")


def test_a_year_of_days_still_draws_every_selling_day() -> None:
    points = [(DAY + timedelta(days=n), 1 + n % 5) for n in range(0, 365, 2)]

    assert len(bar_runs(sales_chart(points, "Sales"))) == len(points)


def test_negative_sales_are_refused() -> None:
    with pytest.raises(ValueError):
        sales_chart([(DAY, -1)], "Sales")
