"""Parses the seat-layout text organizers type: ``VIP:A-B x 1-10 @ 99000; R:C-J x 1-20 @ 77000``."""

from __future__ import annotations

import re
from dataclasses import dataclass

from core.errors import InvalidLayout

MAX_SEATS = 50_000
MAX_SECTIONS = 20
MAX_PRICE = 10_000_000

_PART = re.compile(
    r"""^\s*(?P<name>[^:;@]{1,24}?)\s*:\s*
        (?P<rows>[A-Za-z](?:\s*-\s*[A-Za-z])?)\s*[xX×]\s*
        (?P<first>\d{1,4})\s*-\s*(?P<last>\d{1,4})\s*@\s*
        (?P<price>\d[\d,_]{0,11})\s*$""",
    re.VERBOSE,
)


@dataclass(frozen=True)
class SectionSpec:
    name: str
    rows: tuple[str, ...]
    first_number: int
    last_number: int
    price: int

    @property
    def seat_count(self) -> int:
        return len(self.rows) * (self.last_number - self.first_number + 1)


def _rows(text: str) -> tuple[str, ...]:
    ends = [c.strip().upper() for c in text.split("-")]
    start, stop = ends[0], ends[-1]
    if stop < start:
        raise ValueError("rows")
    return tuple(chr(c) for c in range(ord(start), ord(stop) + 1))


def parse_layout(text: str) -> list[SectionSpec]:
    """Returns the sections, or raises InvalidLayout naming the part that is wrong and why."""
    parts = [p for p in text.split(";") if p.strip()]
    if not parts:
        raise InvalidLayout(part=0, text=text, reason="empty")
    if len(parts) > MAX_SECTIONS:
        raise InvalidLayout(part=len(parts), text=parts[-1].strip(), reason="too_many_sections")
    sections: list[SectionSpec] = []
    names: set[str] = set()
    for index, part in enumerate(parts, start=1):
        match = _PART.match(part)
        if match is None:
            raise InvalidLayout(part=index, text=part.strip(), reason="syntax")
        name = match["name"].strip()
        if not name:
            raise InvalidLayout(part=index, text=part.strip(), reason="section_name")
        try:
            rows = _rows(match["rows"])
        except ValueError:
            raise InvalidLayout(part=index, text=part.strip(), reason="row_order") from None
        first, last = int(match["first"]), int(match["last"])
        price = int(match["price"].replace(",", "").replace("_", "") or "0")
        if first < 1 or last < first:
            raise InvalidLayout(part=index, text=part.strip(), reason="seat_order")
        if price > MAX_PRICE:
            raise InvalidLayout(part=index, text=part.strip(), reason="price")
        if name.casefold() in names:
            raise InvalidLayout(part=index, text=part.strip(), reason="duplicate_section")
        # Rows belong to their section, as in a venue whose every block has its own row A.
        names.add(name.casefold())
        sections.append(SectionSpec(name, rows, first, last, price))
    if sum(s.seat_count for s in sections) > MAX_SEATS:
        raise InvalidLayout(part=len(parts), text=parts[-1].strip(), reason="too_many_seats")
    return sections
