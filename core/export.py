"""Files that leave Picket for an organizer's spreadsheet: the attendee list as CSV."""

from __future__ import annotations

import csv
from collections.abc import Sequence
from io import StringIO

from core.models import Attendee

# A cell starting with one of these is read as a formula by spreadsheet programs (OWASP, CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

HEADER = (
    "ticket",
    "order",
    "seat",
    "holder_id",
    "holder",
    "price",
    "status",
    "bought_at_utc",
    "checked_in_at_utc",
)


def spreadsheet_safe(value: str) -> str:
    """The text as a spreadsheet shows it and never runs it: a leading quote makes it plain text."""
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def attendees_csv(attendees: Sequence[Attendee]) -> bytes:
    buffer = StringIO()
    writer = csv.writer(buffer)
    writer.writerow(HEADER)
    for a in attendees:
        row = (
            a.ticket_id,
            a.order_id,
            a.seat_label or "GA",
            a.holder_id,
            a.holder_name,
            a.price,
            a.status.value,
            a.bought_at.isoformat(sep=" "),
            a.checked_in_at.isoformat(sep=" ") if a.checked_in_at is not None else "",
        )
        writer.writerow([spreadsheet_safe(str(cell)) for cell in row])
    # The byte-order mark makes spreadsheet programs read Korean names right.
    return buffer.getvalue().encode("utf-8-sig")
