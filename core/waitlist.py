"""The cancellation waitlist's rules: what a place in line holds in escrow, and which returned seats
fit an entry (the same section, within its price, side by side when they can be)."""

from __future__ import annotations

from collections.abc import Sequence
from itertools import groupby

from core.errors import InvalidInput
from core.models import Seat, WaitlistEntry
from core.seating import ranked_blocks


def price_cap(prices: Sequence[int], max_price: int | None) -> int:
    """The most one ticket of the entry may cost: the fan's own limit, or else the dearest ticket it
    could get. A limit below every price could never be met, so it is refused at once."""
    if not prices:
        raise InvalidInput(reason="no_section")
    if max_price is None:
        return max(prices)
    if max_price < min(prices):
        raise InvalidInput(reason="max_price", cheapest=min(prices))
    return min(max_price, max(prices))


def seats_for(entry: WaitlistEntry, free: Sequence[Seat]) -> list[Seat] | None:
    """The seats to give ``entry`` out of ``free`` (in section, row and number order), or None when
    they do not fit it. Side by side in one row when such a run exists, else together in one section."""
    eligible = [
        s
        for s in free
        if (entry.section_id is None or s.section_id == entry.section_id) and s.price <= entry.max_price
    ]
    if len(eligible) < entry.quantity:
        return None
    by_section = [list(seats) for _, seats in groupby(eligible, key=lambda s: s.section_id)]
    for seats in by_section:
        numbers = [s.number for s in seats]
        blocks = ranked_blocks(seats, entry.quantity, (min(numbers) + max(numbers)) / 2)
        if blocks:
            return blocks[0]
    for seats in by_section:
        if len(seats) >= entry.quantity:
            return seats[: entry.quantity]
    return eligible[: entry.quantity]
