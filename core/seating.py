"""Chooses the best adjacent seats: the front-most row that has a run long enough, nearest the centre."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from core.models import Seat


def ranked_blocks(free: Sequence[Seat], quantity: int, centre: float) -> list[list[Seat]]:
    """Every run of ``quantity`` adjacent free seats, best first: front rows first, then nearest the
    centre of the row (``centre`` is the seat number in the middle of the section's rows)."""
    by_row: dict[str, list[Seat]] = defaultdict(list)
    for seat in free:
        by_row[seat.row].append(seat)
    ranked: list[list[Seat]] = []
    for row in sorted(by_row):
        runs = _adjacent_runs(sorted(by_row[row], key=lambda s: s.number), quantity)
        ranked.extend(sorted(runs, key=lambda run: abs((run[0].number + run[-1].number) / 2 - centre)))
    return ranked


def _adjacent_runs(seats: list[Seat], quantity: int) -> list[list[Seat]]:
    runs: list[list[Seat]] = []
    for start in range(len(seats) - quantity + 1):
        block = seats[start : start + quantity]
        if block[-1].number - block[0].number == quantity - 1:
            runs.append(block)
    return runs
