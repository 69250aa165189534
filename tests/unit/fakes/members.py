"""Members' settings, interests and alerts, kept in memory."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime

from core.models import (
    Alert,
    AlertKind,
    Event,
    Interest,
    InterestKind,
    MemberPrefs,
    Recipient,
    TicketStatus,
)
from tests.unit.fakes.state import AlertRow, Repo


class FakeMembers(Repo):
    async def remember(self, locales: dict[int, str], now: datetime) -> None:
        for user_id, locale in locales.items():
            known = self.db.members.get(user_id, MemberPrefs(user_id))
            self.db.members[user_id] = replace(known, locale=locale)

    async def get(self, user_id: int) -> MemberPrefs | None:
        return self.db.members.get(user_id)

    async def save(self, prefs: MemberPrefs, now: datetime) -> None:
        known = self.db.members.get(prefs.user_id, MemberPrefs(prefs.user_id))
        self.db.members[prefs.user_id] = replace(
            prefs, dms_closed=known.dms_closed, dm_channel_id=known.dm_channel_id
        )

    async def dms_closed(self, user_id: int, now: datetime) -> None:
        known = self.db.members.get(user_id, MemberPrefs(user_id))
        self.db.members[user_id] = replace(known, dms_closed=True)

    async def dm_channel(self, user_id: int, channel_id: int) -> None:
        if user_id in self.db.members:
            self.db.members[user_id] = replace(self.db.members[user_id], dm_channel_id=channel_id)


class FakeInterests(Repo):
    async def add(self, guild_id: int, user_id: int, kind: InterestKind, value: str, now: datetime) -> bool:
        if any(
            (x.guild_id, x.user_id, x.kind, x.value) == (guild_id, user_id, kind, value) for x in self._all()
        ):
            return False
        interest_id = self.db.new_id("interests")
        self.db.interests[interest_id] = Interest(interest_id, guild_id, user_id, kind, value)
        return True

    def _all(self) -> list[Interest]:
        return list(self.db.interests.values())

    async def remove(self, interest_id: int, user_id: int) -> bool:
        found = self.db.interests.get(interest_id)
        if found is None or found.user_id != user_id:
            return False
        del self.db.interests[interest_id]
        return True

    async def of_member(self, guild_id: int, user_id: int) -> list[Interest]:
        return [x for x in self._all() if (x.guild_id, x.user_id) == (guild_id, user_id)]


def _matches(interest: Interest, event: Event) -> bool:
    words = f"{event.title} {event.description}".lower()
    return {
        InterestKind.CATEGORY: interest.value == event.category,
        InterestKind.ORGANIZER: interest.value == str(event.organizer_id),
        InterestKind.VENUE: interest.value in event.venue.lower(),
        InterestKind.KEYWORD: interest.value in words,
    }[interest.kind]


class FakeAlerts(Repo):
    async def schedule(self, event_id: int, kinds: Sequence[AlertKind], now: datetime) -> None:
        for kind in kinds:
            if not any((a.event_id, a.kind) == (event_id, kind) for a in self.db.alerts.values()):
                alert_id = self.db.new_id("alerts")
                self.db.alerts[alert_id] = AlertRow(alert_id, event_id, kind)

    async def due(self, now: datetime, sale_lead: datetime, start_lead: datetime, limit: int) -> list[Alert]:
        def moment(row: AlertRow) -> bool:
            event = self.db.events[row.event_id]
            if row.kind is AlertKind.SALE_OPENS:
                return event.sale_opens_at <= sale_lead
            if row.kind is AlertKind.STARTS_SOON:
                return event.starts_at <= start_lead
            return True

        rows = [r for r in sorted(self.db.alerts.values(), key=lambda r: r.id) if not r.done and moment(r)]
        return [r.alert() for r in rows[:limit]]

    async def take(self, alert_id: int) -> Alert | None:
        row = self.db.alerts.get(alert_id)
        return row.alert() if row is not None and not row.done else None

    def _recipients(self, users: list[int]) -> list[Recipient]:
        return [Recipient(u, self.db.members.get(u)) for u in users]

    async def matching(self, event: Event, after_user: int, limit: int) -> list[Recipient]:
        users = {
            x.user_id
            for x in self.db.interests.values()
            if x.guild_id == event.guild_id
            and x.user_id > after_user
            and x.user_id != event.organizer_id
            and _matches(x, event)
        }
        return self._recipients(sorted(users)[:limit])

    async def holders(self, event_id: int, after_user: int, limit: int) -> list[Recipient]:
        users = {
            t.holder_id
            for t in self.db.tickets.values()
            if t.event_id == event_id and t.status is TicketStatus.ACTIVE and t.holder_id > after_user
        }
        return self._recipients(sorted(users)[:limit])

    async def advance(self, alert_id: int, after_user: int, sent: int, done: bool, now: datetime) -> None:
        row = self.db.alerts[alert_id]
        row.after_user, row.sent, row.done = after_user, row.sent + sent, done
