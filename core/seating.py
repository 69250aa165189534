"""Chooses the best adjacent seats: the front-most row that has a run long enough, nearest the centre."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from core.models import Seat, SeatStatus


def best_block(seats: Sequence[Seat], quantity: int) -> list[Seat] | None:
    """``seats`` are a section's seats with their statuses; the centre is the whole row's, so the
    choice stays in the middle as a row fills rather than drifting towards the aisle."""
    by_row: dict[str, list[Seat]] = defaultdict(list)
    for seat in seats:
        by_row[seat.row].append(seat)
    for row in sorted(by_row):
        numbers = [s.number for s in by_row[row]]
        centre = (min(numbers) + max(numbers)) / 2
        free = sorted((s for s in by_row[row] if s.status is SeatStatus.AVAILABLE), key=lambda s: s.number)
        runs = _adjacent_runs(free, quantity)
        if runs:
            return min(runs, key=lambda run: abs((run[0].number + run[-1].number) / 2 - centre))
    return None


def _adjacent_runs(seats: list[Seat], quantity: int) -> list[list[Seat]]:
    runs: list[list[Seat]] = []
    for start in range(len(seats) - quantity + 1):
        block = seats[start : start + quantity]
        if block[-1].number - block[0].number == quantity - 1:
            runs.append(block)
    return runs
