"""Events and per-server settings, kept in memory."""

from __future__ import annotations

from dataclasses import asdict, replace
from datetime import datetime, timedelta
from typing import Any

from core.models import Event, EventQuery, EventRules, EventStatus, GuildConfig, TicketStatus
from core.ports import NewEvent
from tests.unit.fakes.state import CapacityRow, Repo


class FakeEvents(Repo):
    async def add(self, event: NewEvent) -> int:
        event_id = self.db.new_id("events")
        self.db.events[event_id] = Event(id=event_id, status=EventStatus.DRAFT, **asdict(event))
        if event.ga_capacity is not None:
            self.db.general_admission[event_id] = CapacityRow(event.ga_capacity)
        return event_id

    async def get(self, event_id: int) -> Event | None:
        return self.db.events.get(event_id)

    async def set_status(self, event_id: int, status: str, *, only_from: str | None = None) -> bool:
        event = self.db.events.get(event_id)
        if event is None or (only_from is not None and event.status != only_from):
            return False
        await self.update(event_id, {"status": EventStatus(status)})
        return True

    async def update(self, event_id: int, changes: dict[str, Any]) -> None:
        if event_id in self.db.events:
            old = self.db.events[event_id]
            self.db.events[event_id] = replace(old, **changes, version=old.version + 1)

    async def upcoming(self, query: EventQuery, now: datetime) -> tuple[list[Event], int]:
        def matches(e: Event) -> bool:
            return (
                e.guild_id == query.guild_id
                and e.status is EventStatus.PUBLISHED
                and e.starts_at > now
                and (not query.category or e.category == query.category)
                and (not query.starts_from or e.starts_at >= query.starts_from)
                and (not query.starts_to or e.starts_at < query.starts_to)
                and (
                    not query.keyword
                    or _contains(e.title, query.keyword)
                    or _contains(e.venue, query.keyword)
                )
            )

        found = sorted(filter(matches, self.db.events.values()), key=lambda e: (e.starts_at, e.id))
        return found[query.offset : query.offset + query.limit], len(found)

    async def search(
        self, guild_id: int, viewer_id: int, text: str, now: datetime, limit: int
    ) -> list[Event]:
        def visible(e: Event) -> bool:
            if e.status is EventStatus.PUBLISHED:
                return e.starts_at > now
            return e.status is EventStatus.DRAFT and e.organizer_id == viewer_id

        found = [
            e
            for e in self.db.events.values()
            if e.guild_id == guild_id and visible(e) and (not text or _contains(e.title, text))
        ]
        return sorted(found, key=lambda e: (e.starts_at, e.id))[:limit]

    async def tickets_sold(self, event_id: int) -> int:
        return sum(
            1 for t in self.db.tickets.values() if t.event_id == event_id and t.status is TicketStatus.ACTIVE
        )

    async def announced(
        self, event_id: int, channel_id: int, message_id: int, shown: str | None = None
    ) -> None:
        if event_id not in self.db.announcements:
            self.db.announcements[event_id] = (channel_id, message_id)
            if shown is not None:
                self.db.posts_shown[event_id] = shown

    async def announcement(self, event_id: int) -> tuple[int, int] | None:
        return self.db.announcements.get(event_id)

    async def posts(self, since: datetime, limit: int) -> list[tuple[int, str | None]]:
        live = (EventStatus.PUBLISHED, EventStatus.CANCELLED)
        found = [
            self.db.events[event_id]
            for event_id in self.db.announcements
            if self.db.events[event_id].starts_at > since and self.db.events[event_id].status in live
        ]
        found.sort(key=lambda e: (e.starts_at, e.id))
        return [(e.id, self.db.posts_shown.get(e.id)) for e in found[:limit]]

    async def post_shows(self, event_id: int, was: str | None, now: str) -> bool:
        if event_id not in self.db.announcements or self.db.posts_shown.get(event_id) != was:
            return False
        self.db.posts_shown[event_id] = now
        return True

    async def rules(self, event_id: int) -> EventRules:
        return self.db.rules.get(event_id, EventRules(event_id))

    async def set_rules(self, rules: EventRules) -> None:
        self.db.rules[rules.event_id] = rules

    async def staff(self, event_id: int) -> list[int]:
        return sorted(u for e, u in self.db.staff if e == event_id)

    async def add_staff(self, event_id: int, user_id: int) -> bool:
        if (event_id, user_id) in self.db.staff:
            return False
        self.db.staff.add((event_id, user_id))
        return True

    async def remove_staff(self, event_id: int, user_id: int) -> bool:
        if (event_id, user_id) not in self.db.staff:
            return False
        self.db.staff.discard((event_id, user_id))
        return True

    async def awaiting_refunds(self, limit: int) -> list[int]:
        pending = [
            e
            for e in self.db.events.values()
            if e.status is EventStatus.CANCELLED and e.refunds_done_at is None
        ]
        pending.sort(key=lambda e: (e.cancelled_at or e.created_at, e.id))
        return [e.id for e in pending[:limit]]


def _contains(text: str, fragment: str) -> bool:
    """ILIKE '%fragment%': a case-insensitive substring, with no wildcards of its own."""
    return fragment.casefold() in text.casefold()


class FakeGuilds(Repo):
    async def get(self, guild_id: int) -> GuildConfig | None:
        return self.db.guilds.get(guild_id)

    async def save(self, config: GuildConfig) -> None:
        self.db.guilds[config.guild_id] = config


class FakeAppState(Repo):
    async def get(self, name: str) -> str | None:
        return self.db.app_state.get(name)

    async def put(self, name: str, value: str) -> None:
        self.db.app_state[name] = value

    async def claim_lease(self, name: str, holder: str, now: datetime, until: datetime) -> bool:
        current = self.db.leases.get(name)
        if current is not None and current[0] != holder and current[1] >= now:
            return False
        self.db.leases[name] = (holder, until)
        return True

    async def release_leases(self, holder: str, now: datetime) -> int:
        mine = [name for name, (owner, _) in self.db.leases.items() if owner == holder]
        for name in mine:
            self.db.leases[name] = (holder, now - timedelta(seconds=1))
        return len(mine)
