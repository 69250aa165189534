"""Interest alerts' rules: what an interest may say, and when a member may be sent a DM they did not
ask for (never while muted or with DMs closed; after their quiet hours end, in their own time zone)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from core.errors import InvalidInput
from core.models import CATEGORIES, InterestKind, MemberPrefs

MAX_INTEREST = 60
MAX_INTERESTS_PER_MEMBER = 25
MINUTES_A_DAY = 24 * 60


def interest_value(kind: InterestKind, value: str) -> str:
    """The interest as it is kept and matched: trimmed, lower case; categories and organizers checked."""
    cleaned = " ".join(value.split()).lower()
    if not cleaned or len(cleaned) > MAX_INTEREST or not cleaned.isprintable():
        raise InvalidInput(reason="interest", maximum=MAX_INTEREST)
    if kind is InterestKind.CATEGORY and cleaned not in CATEGORIES:
        raise InvalidInput(reason="interest_category")
    if kind is InterestKind.ORGANIZER and not (
        cleaned.isascii() and cleaned.isdigit() and len(cleaned) <= 19
    ):
        raise InvalidInput(reason="interest")
    return cleaned


def zone_named(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidInput(reason="time_zone", zone=name[:40]) from None


def send_after(prefs: MemberPrefs | None, now: datetime, fallback_zone: ZoneInfo) -> datetime | None:
    """When a DM the member did not ask for may go out (naive UTC, ``now`` at once), or None when it
    must not go at all (muted, or DMs closed)."""
    if prefs is None:
        return now
    if prefs.dms_closed or (prefs.muted_until is not None and prefs.muted_until > now):
        return None
    start, end = prefs.quiet_start, prefs.quiet_end
    if start is None or end is None or start == end:
        return now
    zone = ZoneInfo(prefs.time_zone) if prefs.time_zone else fallback_zone
    local = now.replace(tzinfo=UTC).astimezone(zone)
    minute = local.hour * 60 + local.minute
    quiet = start <= minute < end if start < end else minute >= start or minute < end
    if not quiet:
        return now
    wait = (end - minute) % MINUTES_A_DAY
    ends = (local + timedelta(minutes=wait)).replace(second=0, microsecond=0)
    return ends.astimezone(UTC).replace(tzinfo=None)
