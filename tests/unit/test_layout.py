"""Reading the seat layouts organizers type, and saying which part is wrong when it is."""

from __future__ import annotations

import pytest

from core.errors import InvalidLayout
from core.layout import MAX_PRICE, MAX_SEATS, MAX_SECTIONS, SectionSpec, parse_layout


def test_a_layout_reads_as_sections_in_the_order_typed() -> None:
    sections = parse_layout("VIP:A-B x 1-10 @ 99000; R:C-J x 1-20 @ 77000")

    assert sections == [
        SectionSpec("VIP", ("A", "B"), 1, 10, 99000),
        SectionSpec("R", ("C", "D", "E", "F", "G", "H", "I", "J"), 1, 20, 77000),
    ]
    assert [s.seat_count for s in sections] == [20, 160]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Balcony : c - d X 5 - 6 @ 1,500", SectionSpec("Balcony", ("C", "D"), 5, 6, 1500)),
        ("Floor:A × 1-3 @ 12_000 ;", SectionSpec("Floor", ("A",), 1, 3, 12000)),
        ("  Box 1:Z x 7-7 @ 0  ", SectionSpec("Box 1", ("Z",), 7, 7, 0)),
    ],
)
def test_a_layout_tolerates_the_ways_people_type_it(text: str, expected: SectionSpec) -> None:
    assert parse_layout(text) == [expected]


def test_the_limits_themselves_are_allowed() -> None:
    many = "; ".join(f"S{i}:{chr(ord('A') + i)} x 1-2 @ 1" for i in range(MAX_SECTIONS))
    assert len(parse_layout(many)) == MAX_SECTIONS
    assert parse_layout(f"Hall:A-Y x 1-2000 @ {MAX_PRICE}")[0].seat_count == MAX_SEATS


@pytest.mark.parametrize(
    ("text", "part", "reason"),
    [
        ("", 0, "empty"),
        (" ; ;", 0, "empty"),
        ("R:A x 1-10 @ 100; VIP seats please", 2, "syntax"),
        ("R:A x 1-10", 1, "syntax"),
        ("A name much too long for it:A x 1-2 @ 1", 1, "syntax"),
        ("R:AB x 1-2 @ 1", 1, "syntax"),
        ("R:A x 1-2 @ 1; S:D-B x 1-2 @ 1", 2, "row_order"),
        ("R:A x 0-10 @ 100", 1, "seat_order"),
        ("R:A x 10-9 @ 100", 1, "seat_order"),
        (f"R:A x 1-2 @ {MAX_PRICE + 1}", 1, "price"),
        ("R:A x 1-2 @ 1; S:B x 1-2 @ 1; r:C x 1-2 @ 1", 3, "duplicate_section"),
        ("R:A-Z x 1-1924 @ 1", 1, "too_many_seats"),
        ("R:A-M x 1-2000 @ 1; S:N-Z x 1-2000 @ 1", 2, "too_many_seats"),
    ],
)
def test_a_bad_layout_names_the_part_and_the_reason(text: str, part: int, reason: str) -> None:
    with pytest.raises(InvalidLayout) as refused:
        parse_layout(text)

    assert (refused.value.params["part"], refused.value.params["reason"]) == (part, reason)


def test_a_bad_part_is_quoted_back_as_typed() -> None:
    with pytest.raises(InvalidLayout) as refused:
        parse_layout("R:A x 1-2 @ 1;   S:B x 3-1 @ 1  ")

    assert refused.value.params["text"] == "S:B x 3-1 @ 1"


def test_too_many_sections_is_refused() -> None:
    many = "; ".join(f"S{i}:{chr(ord('A') + i)} x 1-2 @ 1" for i in range(MAX_SECTIONS + 1))

    with pytest.raises(InvalidLayout) as refused:
        parse_layout(many)

    assert (refused.value.params["part"], refused.value.params["reason"]) == (
        MAX_SECTIONS + 1,
        "too_many_sections",
    )


def test_a_section_needs_a_name() -> None:
    with pytest.raises(InvalidLayout):
        parse_layout("  :A x 1-2 @ 1")


def test_each_section_has_rows_of_its_own() -> None:
    sections = parse_layout("VIP:A-B x 1-10 @ 99000; R:A-B x 1-20 @ 77000")
    assert [(s.name, s.rows, s.seat_count) for s in sections] == [
        ("VIP", ("A", "B"), 20),
        ("R", ("A", "B"), 40),
    ]


def test_a_stadium_of_fifty_thousand_seats_fits() -> None:
    layout = "; ".join(f"S{n}:A-Y x 1-200 @ 50000" for n in range(1, 11))
    assert sum(s.seat_count for s in parse_layout(layout)) == 50_000
