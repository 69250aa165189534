"""Members' settings, their interests, and the interest alerts fanned out to them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import and_, delete, func, insert, literal, or_, select, update
from sqlalchemy.dialects import mysql, sqlite

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
from db.errors import is_duplicate
from db.repositories._base import Repo, insert_ignoring_duplicates
from db.schema import alerts, events, interests, members, tickets

m = members.c
i = interests.c
al = alerts.c

_PREFS = (m.locale, m.time_zone, m.quiet_start, m.quiet_end, m.muted_until, m.dms_closed_at, m.dm_channel_id)


def _prefs(user_id: int, row: Any) -> MemberPrefs | None:
    if row is None or row[0] is None:
        return None
    locale, zone, start, end, muted, closed, channel = row
    return MemberPrefs(user_id, locale, zone, start, end, muted, closed is not None, channel)


class MemberRepo(Repo):
    def _upsert(self, rows: list[dict[str, Any]], columns: Sequence[str]) -> Any:
        if self.conn.dialect.name == "sqlite":
            statement = sqlite.insert(members)
            return statement.on_conflict_do_update(
                index_elements=[m.user_id], set_={c: statement.excluded[c] for c in columns}
            )
        statement_my = mysql.insert(members)
        return statement_my.on_duplicate_key_update({c: statement_my.inserted[c] for c in columns})

    async def remember(self, locales: dict[int, str], now: datetime) -> None:
        if not locales:
            return
        rows = [{"user_id": u, "locale": loc, "updated_at": now} for u, loc in sorted(locales.items())]
        await self.conn.execute(self._upsert(rows, ("locale", "updated_at")), rows)

    async def get(self, user_id: int) -> MemberPrefs | None:
        row = (await self.conn.execute(select(*_PREFS).where(m.user_id == user_id))).first()
        return _prefs(user_id, row)

    async def save(self, prefs: MemberPrefs, now: datetime) -> None:
        row = {
            "user_id": prefs.user_id,
            "locale": prefs.locale,
            "time_zone": prefs.time_zone,
            "quiet_start": prefs.quiet_start,
            "quiet_end": prefs.quiet_end,
            "muted_until": prefs.muted_until,
            "updated_at": now,
        }
        columns = ("locale", "time_zone", "quiet_start", "quiet_end", "muted_until", "updated_at")
        await self.conn.execute(self._upsert([row], columns), [row])

    async def dms_closed(self, user_id: int, now: datetime) -> None:
        await self.conn.execute(
            insert_ignoring_duplicates(members, user_id=user_id, locale="en", updated_at=now)
        )
        await self.conn.execute(update(members).where(m.user_id == user_id).values(dms_closed_at=now))

    async def dm_channel(self, user_id: int, channel_id: int) -> None:
        await self.conn.execute(update(members).where(m.user_id == user_id).values(dm_channel_id=channel_id))


class InterestRepo(Repo):
    async def add(self, guild_id: int, user_id: int, kind: InterestKind, value: str, now: datetime) -> bool:
        values = {"guild_id": guild_id, "user_id": user_id, "kind": kind, "value": value, "created_at": now}
        try:
            await self.conn.execute(insert(interests).values(**values))
        except Exception as exc:
            if is_duplicate(exc):
                return False
            raise
        return True

    async def remove(self, interest_id: int, user_id: int) -> bool:
        result = await self.conn.execute(delete(interests).where(i.id == interest_id, i.user_id == user_id))
        return result.rowcount == 1

    async def of_member(self, guild_id: int, user_id: int) -> list[Interest]:
        query = (
            select(i.id, i.guild_id, i.user_id, i.kind, i.value)
            .where(i.guild_id == guild_id, i.user_id == user_id)
            .order_by(i.id)
        )
        return [Interest(r[0], r[1], r[2], InterestKind(r[3]), r[4]) for r in await self.conn.execute(query)]


class AlertRepo(Repo):
    async def schedule(self, event_id: int, kinds: Sequence[AlertKind], now: datetime) -> None:
        for kind in kinds:
            await self.conn.execute(
                insert_ignoring_duplicates(
                    alerts, event_id=event_id, kind=kind, after_user=0, sent=0, created_at=now
                )
            )

    async def due(self, now: datetime, sale_lead: datetime, start_lead: datetime, limit: int) -> list[Alert]:
        moment = or_(
            al.kind == AlertKind.PUBLISHED,
            and_(al.kind == AlertKind.SALE_OPENS, events.c.sale_opens_at <= sale_lead),
            and_(al.kind == AlertKind.STARTS_SOON, events.c.starts_at <= start_lead),
        )
        query = (
            select(al.id, al.event_id, al.kind, al.after_user)
            .join(events, events.c.id == al.event_id)
            .where(al.done_at.is_(None), moment)
            .order_by(al.id)
            .limit(limit)
        )
        return [Alert(r[0], r[1], AlertKind(r[2]), r[3]) for r in await self.conn.execute(query)]

    async def take(self, alert_id: int) -> Alert | None:
        query = (
            select(al.id, al.event_id, al.kind, al.after_user)
            .where(al.id == alert_id, al.done_at.is_(None))
            .with_for_update(skip_locked=True)
        )
        row = (await self.conn.execute(query)).first()
        return Alert(row[0], row[1], AlertKind(row[2]), row[3]) if row is not None else None

    async def _with_prefs(self, users: Any) -> list[Recipient]:
        """Each member of the subquery ``users`` (one column, user_id) with their settings, in id order."""
        query = (
            select(users.c.user_id, *_PREFS)
            .select_from(users.outerjoin(members, m.user_id == users.c.user_id))
            .order_by(users.c.user_id)
        )
        return [Recipient(r[0], _prefs(r[0], r[1:])) for r in await self.conn.execute(query)]

    async def matching(self, event: Event, after_user: int, limit: int) -> list[Recipient]:
        words = f"{event.title} {event.description}".lower()
        matches = or_(
            and_(i.kind == InterestKind.CATEGORY, i.value == event.category),
            and_(i.kind == InterestKind.ORGANIZER, i.value == str(event.organizer_id)),
            and_(i.kind == InterestKind.VENUE, func.instr(literal(event.venue.lower()), i.value) > 0),
            and_(i.kind == InterestKind.KEYWORD, func.instr(literal(words), i.value) > 0),
        )
        users = (
            select(i.user_id)
            .where(
                i.guild_id == event.guild_id, i.user_id > after_user, i.user_id != event.organizer_id, matches
            )
            .group_by(i.user_id)
            .order_by(i.user_id)
            .limit(limit)
            .subquery()
        )
        return await self._with_prefs(users)

    async def holders(self, event_id: int, after_user: int, limit: int) -> list[Recipient]:
        t = tickets.c
        users = (
            select(t.holder_id.label("user_id"))
            .where(t.event_id == event_id, t.status == TicketStatus.ACTIVE, t.holder_id > after_user)
            .group_by(t.holder_id)
            .order_by(t.holder_id)
            .limit(limit)
            .subquery()
        )
        return await self._with_prefs(users)

    async def advance(self, alert_id: int, after_user: int, sent: int, done: bool, now: datetime) -> None:
        await self.conn.execute(
            update(alerts)
            .where(al.id == alert_id)
            .values(after_user=after_user, sent=al.sent + sent, done_at=now if done else None)
        )
