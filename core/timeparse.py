"""Reads the dates organizers and fans type, in the server's time zone, into naive UTC."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from core.errors import InvalidInput

_DATE_TIME = re.compile(r"^\s*(\d{4})[-./](\d{1,2})[-./](\d{1,2})(?:[ T]+(\d{1,2}):(\d{2}))?\s*$")


class InvalidDate(InvalidInput):
    key = "error.invalid_date"


def parse_local(text: str, zone: ZoneInfo, *, default_hour: int = 0) -> datetime:
    """``2026-12-24 19:30`` (also with . or / between the date parts) as naive UTC."""
    return _parse(text, zone, default_hour, whole_day=False)


def parse_local_until(text: str, zone: ZoneInfo) -> datetime:
    """The end of a range someone typed, as an exclusive bound: a date alone takes in all of that day,
    a date with a time ends at that time."""
    return _parse(text, zone, 0, whole_day=True)


def _parse(text: str, zone: ZoneInfo, default_hour: int, *, whole_day: bool) -> datetime:
    match = _DATE_TIME.match(text)
    if match is None:
        raise InvalidDate(text=text.strip()[:40])
    year, month, day = int(match[1]), int(match[2]), int(match[3])
    hour = int(match[4]) if match[4] is not None else default_hour
    minute = int(match[5]) if match[5] is not None else 0
    try:
        moment = datetime(year, month, day, hour, minute, tzinfo=zone)
        if whole_day and match[4] is None:
            # Midnight after the day in the zone's own calendar, whatever its clocks do that night.
            following = date(year, month, day) + timedelta(days=1)
            moment = datetime(following.year, following.month, following.day, tzinfo=zone)
        return moment.astimezone(UTC).replace(tzinfo=None)
    except (ValueError, OverflowError):
        # Also the first and last days of the calendar, which have no UTC time on the other side.
        raise InvalidDate(text=text.strip()[:40]) from None
