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
    stamped_at: datetime,
) -> bytes:
    """One VEVENT in UTC. ``starts_at`` and ``stamped_at`` are naive UTC, as everywhere in Picket.

    DTSTAMP is when the file was made (RFC 5545): a calendar that sees a later stamp for the same UID
    takes the newer copy, so a ticket re-sent after the event moved updates the entry.
    """
    if duration <= timedelta(0):
        raise ValueError("an event must last some time")
    event = Event()
    event.add("uid", uid)
    event.add("dtstamp", _utc(stamped_at))
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
