"""Interest alerts through the real bot: members follow what they like, an event is announced, and each
of them gets exactly one DM in their language, when they want it, with a way to the event's post."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from bot.devserver import DevServerConfig, RouteLimit
from cogs.notifications import DiscordDeliverer
from scheduler.jobs import fan_out_alerts_job, send_notices
from tests.e2e.test_booking import cid
from tests.e2e.world import World, event_id_of, picket_world, real_now

FOLLOW = "picket:follow:"


async def _deliver(world: World) -> int:
    assert world.bot is not None
    return await send_notices(world.runtime, DiscordDeliverer(world.bot, world.runtime))


async def _announce(world: World, title: str = "Spring Concert") -> int:
    event_id = await world.published_event(title=title)
    await fan_out_alerts_job(world.runtime)
    await _deliver(world)
    return event_id


def _six_in_the_morning_in_seoul() -> datetime:
    """The next 21:00 UTC: inside quiet hours of 23:00-08:00 in Seoul, two hours before they end."""
    now = real_now()
    moment = now.replace(hour=21, minute=0, second=0)
    return moment if moment > now else moment + timedelta(days=1)


async def _post_link(world: World, event_id: int) -> str:
    async with world.runtime.uow() as uow:
        post = await uow.events.announcement(event_id)
    assert post is not None
    return f"https://discord.com/channels/{world.guild.id}/{post[0]}/{post[1]}"


async def test_each_follower_is_told_once_in_their_language_when_they_want(world: World) -> None:
    eager, sleeper, muted = world.fans
    await world.set_up()
    added = await world.reply(eager, "interests add", category="concert")
    assert added.content == "Done. You will get a DM when a matching event is announced here."
    await world.reply(world.korean_fan, "interests add", "ko", category="concert")
    await world.reply(world.shy_fan, "interests add", category="concert")
    await world.reply(sleeper, "interests add", keyword="Spring")
    quiet = await world.reply(sleeper, "interests quiet", start=23, end=8, timezone="Asia/Seoul")
    assert "Quiet from 23:00 to 08:00 (Asia/Seoul)" in quiet.embeds[0]["fields"][0]["value"]
    await world.reply(muted, "interests add", category="concert")
    await world.reply(muted, "interests mute")

    world.clock.set(_six_in_the_morning_in_seoul())
    event_id = await _announce(world)
    [dm] = world.server.dms(eager)
    assert dm.content.startswith("New in your interests: **Spring Concert**, <t:")
    assert [(b["label"], b["url"]) for b in dm.buttons] == [("Book", await _post_link(world, event_id))]
    [korean] = world.server.dms(world.korean_fan)
    assert korean.content.startswith("관심 공연 알림: **Spring Concert**")
    assert world.server.dms(muted) == [] and world.server.dms(sleeper) == []
    # Closed DMs are tried once and remembered: later alerts do not knock again.
    assert world.server.rejected_dms == [world.shy_fan.id]

    world.clock.advance(timedelta(hours=2))
    await _deliver(world)
    assert len(world.server.dms(sleeper)) == 1

    await fan_out_alerts_job(world.runtime)
    await _deliver(world)
    await _announce(world, title="Autumn Concert")
    assert [len(world.server.dms(m)) for m in (eager, world.korean_fan, sleeper, muted)] == [2, 2, 1, 0]
    assert world.server.rejected_dms == [world.shy_fan.id]


async def test_following_an_organizer_from_their_post(world: World) -> None:
    fan = world.fans[0]
    await world.set_up()
    first = await _announce(world, title="First Night")
    post = world.server.channel_messages(world.announcements)[-1]
    assert event_id_of(post) == first
    followed = await (await world.server.click(fan, post, custom_id=cid(post, FOLLOW))).wait_for_message()
    assert followed.content == f"You follow <@{world.organizer.id}> now: their next events come to you by DM."
    await _announce(world, title="Second Night")
    [dm] = world.server.dms(fan)
    assert dm.content.startswith("New in your interests: **Second Night**")
    listed = await world.reply(fan, "interests list")
    assert listed.embeds[0]["description"].endswith(f"Organizer: <@{world.organizer.id}>")


@pytest.fixture
async def slow_dms(tmp_path: Path) -> AsyncIterator[World]:
    """A Discord that allows far fewer requests a second than the real one, unknown to the bot."""
    async with picket_world(tmp_path, DevServerConfig(global_limit=RouteLimit(3, 0.3))) as world:
        yield world


async def test_a_rate_limited_dm_waits_its_turn_and_arrives_once(slow_dms: World) -> None:
    world, fan = slow_dms, slow_dms.fans[0]
    await world.set_up()
    await world.reply(fan, "interests add", category="concert")
    titles = ["Spring", "Summer", "Autumn", "Winter"]
    for title in titles:
        await world.published_event(title=title)
    await fan_out_alerts_job(world.runtime)

    assert await _deliver(world) == len(titles)
    # DMs met 429s, waited as Discord asked and went through, once each (the server would have
    # recorded a violation had a wait been ignored).
    assert any("global" in hit for hit in world.server.rate_limited)
    assert sorted(m.content.split("**")[1] for m in world.server.dms(fan)) == sorted(titles)
