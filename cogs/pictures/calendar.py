"""The .ics file a fan adds to a calendar from a ticket."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from icalendar import Calendar, Event

PRODID = "-//Picket//Tickets//EN"


def ticket_ics(
    uid: str,
    title: str,
    venue: str,
    starts_at: datetime,
    duration: timedelta,
    description: str,
    *,
    stamped_at: datetime | None = None,
) -> bytes:
    """One VEVENT in UTC. ``starts_at`` and ``stamped_at`` are naive UTC, as everywhere in Picket.

    DTSTAMP defaults to the start time rather than the wall clock, so the same ticket always yields
    the same file; pass ``stamped_at`` when the ticket changed and calendars should take the update.
    """
    if duration <= timedelta(0):
        raise ValueError("an event must last some time")
    event = Event()
    event.add("uid", uid)
    event.add("dtstamp", _utc(stamped_at or starts_at))
    event.add("dtstart", _utc(starts_at))
    event.add("dtend", _utc(starts_at + duration))
    event.add("summary", title)
    event.add("location", venue)
    event.add("description", description)
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add_component(event)
    return bytes(calendar.to_ical())


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
