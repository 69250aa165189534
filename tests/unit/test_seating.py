"""Best-available seat choice: the front-most row with a run long enough, as near the centre as it gets."""

from __future__ import annotations

from dataclasses import replace
from itertools import count

from core.models import Seat, SeatStatus
from core.seating import ranked_blocks

_ids = count(1)


def best_block(seats: list[Seat], quantity: int) -> list[Seat] | None:
    """The block best available takes from these seats of a section, the centre being the whole row's."""
    if not seats:
        return None
    numbers = [s.number for s in seats]
    free = [s for s in seats if s.status is SeatStatus.AVAILABLE]
    ranked = ranked_blocks(free, quantity, (min(numbers) + max(numbers)) / 2)
    return ranked[0] if ranked else None


def seats(row: str, *numbers: int) -> list[Seat]:
    return [Seat(next(_ids), 1, "R", row, n, 1000, SeatStatus.AVAILABLE) for n in numbers]


def chosen(block: list[Seat] | None) -> list[str]:
    assert block is not None, "a block should have been found"
    return [f"{s.row}{s.number}" for s in block]


def test_a_full_row_gives_its_middle_seats() -> None:
    row = seats("A", *range(1, 11))

    assert chosen(best_block(row, 2)) == ["A5", "A6"]
    assert chosen(best_block(row, 4)) == ["A4", "A5", "A6", "A7"]
    assert chosen(best_block(row, 10)) == [f"A{n}" for n in range(1, 11)]


def test_an_odd_block_is_one_of_the_two_most_central() -> None:
    assert chosen(best_block(seats("A", *range(1, 11)), 3)) in (["A4", "A5", "A6"], ["A5", "A6", "A7"])


def test_the_front_row_wins_even_off_centre() -> None:
    free = seats("C", *range(1, 11)) + seats("B", *range(1, 11)) + seats("A", 1, 2, 9)

    assert chosen(best_block(free, 2)) == ["A1", "A2"]
    # Row A has no three together, so the block moves back a row rather than splitting.
    assert chosen(best_block(free, 3)) == ["B4", "B5", "B6"] or chosen(best_block(free, 3)) == [
        "B5",
        "B6",
        "B7",
    ]


def test_seats_across_a_gap_are_not_adjacent() -> None:
    free = seats("A", 1, 2, 4, 5, 7, 8, 9)

    assert chosen(best_block(free, 3)) == ["A7", "A8", "A9"]
    assert best_block(free, 4) is None


def test_the_order_seats_arrive_in_does_not_matter() -> None:
    free = seats("B", *range(1, 9)) + seats("A", 6, 3, 4, 5)

    assert chosen(best_block(list(reversed(free)), 3)) == chosen(best_block(free, 3))
    assert chosen(best_block(free, 3)) in (["A3", "A4", "A5"], ["A4", "A5", "A6"])


def test_nothing_free_or_no_run_long_enough_gives_none() -> None:
    assert best_block([], 1) is None
    # Two free seats in each row, but never side by side.
    assert best_block(seats("A", 1, 3) + seats("B", 5, 7), 2) is None


def test_the_seat_nearest_the_centre_of_the_row_is_chosen_as_the_row_fills() -> None:
    # Row A runs 1-10 and 6-10 are sold: seat 5 is next to the centre, not seat 3.
    sold = [replace(s, status=SeatStatus.SOLD) for s in seats("A", 6, 7, 8, 9, 10)]
    assert chosen(best_block(seats("A", 1, 2, 3, 4, 5) + sold, 1)) == ["A5"]
