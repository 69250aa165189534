"""Interest alerts and reminders on SQLite, MariaDB and the fake: each matching member gets exactly one
notice, in their language, never while muted or with DMs closed, and not during their quiet hours."""

from __future__ import annotations

import asyncio
import json
from datetime import datetime, timedelta
from typing import cast
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from core.clock import FrozenClock
from core.errors import InvalidInput, NotFound
from core.models import Event, InterestKind, Notice, NoticeStatus
from core.ports import UnitOfWork
from core.services.alerts import fan_out_alerts
from core.services.booking import ConfirmHold, HoldSeats, confirm_hold, hold_seats
from core.services.events import CreateEvent, create_event, event_details, publish_event
from core.services.interests import follow, following, mute, quiet_hours, unfollow, unmute
from core.services.tickets import CancelTicket, TransferTicket, cancel_ticket, transfer_ticket
from db.schema import outbox
from db.uow import SqlUnitOfWork
from tests.support.builders import (
    GUILD,
    ORGANIZER,
    OTHER_GUILD,
    fan,
    fund,
    key,
    on_sale_event,
    organizer,
    set_up_guild,
)

SEOUL = ZoneInfo("Asia/Seoul")
CONCERT_FAN, JAZZ_FAN, VENUE_FAN, ORGANIZER_FAN, BOTH, NOBODY, ELSEWHERE = 11, 12, 13, 14, 15, 16, 17


async def _publish(uow: UnitOfWork, clock: FrozenClock, *, sale_in: timedelta = timedelta(0)) -> Event:
    await set_up_guild(uow)
    draft = await create_event(
        CreateEvent(
            caller=organizer(),
            title="Winter Jazz Night",
            description="Trio and strings",
            venue="Blue Note Seoul",
            category="concert",
            starts_at=clock.now() + timedelta(days=10),
            sale_opens_at=clock.now() + sale_in,
            layout="R:A x 1-4 @ 1000",
        ),
        uow,
        clock,
    )
    return (await publish_event(draft.id, organizer(), uow, clock)).event


async def _follow(
    uow: UnitOfWork, clock: FrozenClock, user: int, kind: InterestKind, value: str, **kw: object
) -> None:
    await follow(fan(user, **kw), kind, value, "en", uow, clock)  # type: ignore[arg-type]


async def _queued(uow: UnitOfWork, clock: FrozenClock) -> list[Notice]:
    """Alert notices that may be sent now, each taken once as the sender takes it (and marked sent)."""
    async with uow:
        notices = await uow.outbox.claim(clock.now(), clock.now() + timedelta(seconds=1), 1000)
        for notice in notices:
            await uow.outbox.finish(notice.id, NoticeStatus.SENT, None, None)
        await uow.commit()
    return [n for n in notices if n.kind == "alert"]


async def _everyone_follows(uow: UnitOfWork, clock: FrozenClock) -> None:
    await _follow(uow, clock, CONCERT_FAN, InterestKind.CATEGORY, "concert")
    await _follow(uow, clock, JAZZ_FAN, InterestKind.KEYWORD, "JAZZ")
    await _follow(uow, clock, VENUE_FAN, InterestKind.VENUE, "blue note")
    await _follow(uow, clock, ORGANIZER_FAN, InterestKind.ORGANIZER, str(ORGANIZER))
    await _follow(uow, clock, BOTH, InterestKind.CATEGORY, "concert")
    await _follow(uow, clock, BOTH, InterestKind.KEYWORD, "strings")
    await _follow(uow, clock, NOBODY, InterestKind.KEYWORD, "opera")
    await _follow(uow, clock, NOBODY, InterestKind.CATEGORY, "sports")
    await _follow(uow, clock, ELSEWHERE, InterestKind.CATEGORY, "concert", guild_id=OTHER_GUILD)
    # The organizer does not need telling about their own event.
    await _follow(uow, clock, ORGANIZER, InterestKind.CATEGORY, "concert")


async def test_each_matching_member_is_told_once(any_uow: UnitOfWork, clock: FrozenClock) -> None:
    await _everyone_follows(any_uow, clock)
    event = await _publish(any_uow, clock)
    # Small batches, so the fan-out takes several transactions and the job several turns.
    await fan_out_alerts(lambda: any_uow, clock, SEOUL, batch=2, rounds=1)
    await fan_out_alerts(lambda: any_uow, clock, SEOUL, batch=2)
    await fan_out_alerts(lambda: any_uow, clock, SEOUL, batch=2)
    notices = await _queued(any_uow, clock)
    told = sorted(n.payload["user_id"] for n in notices if n.payload["alert"] == "published")
    assert told == [CONCERT_FAN, JAZZ_FAN, VENUE_FAN, ORGANIZER_FAN, BOTH]
    assert {n.payload["event_id"] for n in notices} == {event.id}
    assert await fan_out_alerts(lambda: any_uow, clock, SEOUL) == []


async def test_muted_closed_and_quiet_members(any_uow: UnitOfWork, clock: FrozenClock) -> None:
    for user in (CONCERT_FAN, JAZZ_FAN, VENUE_FAN, BOTH):
        await _follow(any_uow, clock, user, InterestKind.CATEGORY, "concert")
    await mute(fan(CONCERT_FAN), None, "en", any_uow, clock)
    async with any_uow:
        await any_uow.members.dms_closed(JAZZ_FAN, clock.now())
        await any_uow.commit()
    # 21:00 UTC is 06:00 in Seoul, inside 23:00-08:00: the alert waits until 08:00 there.
    clock.set(datetime(2030, 5, 1, 21, 0))
    await quiet_hours(fan(VENUE_FAN), 23 * 60, 8 * 60, "Asia/Seoul", "ko", any_uow, clock)
    await _publish(any_uow, clock)
    await fan_out_alerts(lambda: any_uow, clock, SEOUL)

    now = await _queued(any_uow, clock)
    assert [(n.payload["user_id"], n.payload["locale"]) for n in now] == [(BOTH, "en")]
    clock.advance(timedelta(hours=1, minutes=59))
    assert await _queued(any_uow, clock) == []
    clock.advance(timedelta(minutes=1))
    later = await _queued(any_uow, clock)
    assert [(n.payload["user_id"], n.payload["locale"]) for n in later] == [(VENUE_FAN, "ko")]


async def test_a_mute_ends_and_settings_can_be_undone(any_uow: UnitOfWork, clock: FrozenClock) -> None:
    await _follow(any_uow, clock, CONCERT_FAN, InterestKind.CATEGORY, "concert")
    with pytest.raises(InvalidInput):
        await mute(fan(CONCERT_FAN), clock.now() - timedelta(hours=1), "en", any_uow, clock)
    prefs = await mute(fan(CONCERT_FAN), clock.now() + timedelta(days=1), "en", any_uow, clock)
    assert prefs.muted_until == clock.now() + timedelta(days=1)
    assert (await unmute(fan(CONCERT_FAN), "en", any_uow, clock)).muted_until is None
    await quiet_hours(fan(CONCERT_FAN), 60, 60, None, "en", any_uow, clock)
    mine = await following(fan(CONCERT_FAN), any_uow)
    assert mine.prefs is not None and (mine.prefs.quiet_start, mine.prefs.muted_until) == (None, None)
    await _publish(any_uow, clock)
    await fan_out_alerts(lambda: any_uow, clock, SEOUL)
    assert [n.payload["user_id"] for n in await _queued(any_uow, clock)] == [CONCERT_FAN]


async def test_interests_are_kept_clean_and_per_server(any_uow: UnitOfWork, clock: FrozenClock) -> None:
    assert await follow(fan(1), InterestKind.KEYWORD, "  Jazz   Trio ", "en", any_uow, clock)
    assert not await follow(fan(1), InterestKind.KEYWORD, "jazz trio", "en", any_uow, clock)
    with pytest.raises(InvalidInput):
        await follow(fan(1), InterestKind.CATEGORY, "knitting", "en", any_uow, clock)
    with pytest.raises(InvalidInput):
        await follow(fan(1), InterestKind.ORGANIZER, "not-a-member", "en", any_uow, clock)
    with pytest.raises(InvalidInput):
        await follow(fan(1), InterestKind.KEYWORD, "x" * 61, "en", any_uow, clock)
    mine = await following(fan(1), any_uow)
    assert [(x.kind, x.value, x.guild_id) for x in mine.interests] == [
        (InterestKind.KEYWORD, "jazz trio", GUILD)
    ]
    assert (await following(fan(1, guild_id=OTHER_GUILD), any_uow)).interests == []
    with pytest.raises(NotFound):
        await unfollow(fan(2), mine.interests[0].id, any_uow)
    await unfollow(fan(1), mine.interests[0].id, any_uow)
    assert (await following(fan(1), any_uow)).interests == []


async def test_reminders_before_the_sale_and_before_the_start(
    any_uow: UnitOfWork, clock: FrozenClock
) -> None:
    await _follow(any_uow, clock, CONCERT_FAN, InterestKind.CATEGORY, "concert")
    event = await _publish(any_uow, clock, sale_in=timedelta(days=2))
    await fan_out_alerts(lambda: any_uow, clock, SEOUL)
    assert [n.payload["alert"] for n in await _queued(any_uow, clock)] == ["published"]
    clock.advance(timedelta(days=2) - timedelta(minutes=61))
    await fan_out_alerts(lambda: any_uow, clock, SEOUL)
    assert await _queued(any_uow, clock) == []
    clock.advance(timedelta(minutes=2))
    await fan_out_alerts(lambda: any_uow, clock, SEOUL)
    assert [(n.payload["alert"], n.payload["user_id"]) for n in await _queued(any_uow, clock)] == [
        ("sale_opens", CONCERT_FAN)
    ]
    # A day before the start, ticket holders (none here) are reminded; the alert still ends.
    clock.set(event.starts_at - timedelta(hours=23))
    await fan_out_alerts(lambda: any_uow, clock, SEOUL)
    assert await _queued(any_uow, clock) == []
    assert await fan_out_alerts(lambda: any_uow, clock, SEOUL) == []


async def test_two_runners_tell_each_member_once(engine: AsyncEngine, clock: FrozenClock) -> None:
    def new_uow() -> UnitOfWork:
        return cast(UnitOfWork, SqlUnitOfWork(engine))

    followers = range(100, 130)
    for user in followers:
        await _follow(new_uow(), clock, user, InterestKind.CATEGORY, "concert")
    await _publish(new_uow(), clock)
    while any(
        await asyncio.gather(*(fan_out_alerts(new_uow, clock, SEOUL, batch=4, rounds=1) for _ in range(2)))
    ):
        pass
    async with engine.connect() as conn:
        payloads = [json.loads(p) for p in (await conn.execute(select(outbox.c.payload))).scalars()]
    told = [p["user_id"] for p in payloads if p.get("alert") == "published"]
    assert sorted(told) == list(followers)


async def test_dms_nobody_asked_for_speak_their_members_language(
    any_uow: UnitOfWork, clock: FrozenClock
) -> None:
    buyer, holder = 21, 22
    event = await on_sale_event(any_uow, clock)
    await fund(any_uow, clock, buyer, 10_000)
    async with any_uow:
        await any_uow.members.remember({buyer: "ko"}, clock.now())
        await any_uow.commit()
    section = (await event_details(event.id, fan(buyer), any_uow, clock)).sections[0].section_id
    held = await hold_seats(
        HoldSeats(event.id, fan(buyer), key(), section_id=section, quantity=1), any_uow, clock
    )
    order = await confirm_hold(ConfirmHold(held.hold.id, fan(buyer), key()), any_uow, clock)
    ticket = order.tickets[0].id
    await transfer_ticket(TransferTicket(ticket, fan(buyer), holder, locale="ko"), any_uow, clock)
    await cancel_ticket(CancelTicket(ticket, fan(holder), locale="en"), any_uow, clock)
    async with any_uow:
        notices = await any_uow.outbox.claim(clock.now(), clock.now(), 100)
    spoken = {(n.kind, n.payload["user_id"]): n.payload["locale"] for n in notices}
    # The receiver has not used Picket yet: the giver's language is the best guess; later, their own.
    assert spoken[("ticket_transferred", holder)] == "ko"
    assert spoken[("ticket_cancelled", holder)] == "en"
    assert spoken[("ticket_refunded", buyer)] == "ko"
