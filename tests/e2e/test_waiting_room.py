"""A hot sale through the real bot: 2,000 fans press /book the moment sales open, each is answered in
time with their place in the waiting room, fans are let in at the line's rate, and every fan ends
with a ticket or a clear word that it sold out. No seat is sold twice."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.devserver import DevServerConfig, Member, RouteLimit, wait_for_messages
from cogs.notifications import DiscordDeliverer
from core.services.queue import tune_queue
from db.schema import tickets
from db.uow import SqlUnitOfWork
from scheduler.jobs import run_queues_job, send_notices
from tests.e2e.test_booking import buy
from tests.e2e.world import World, event_id_of, picket_world

FANS = 2_000
SEATS = 40
RATE = 600  # fans let in per minute: ten a second


async def _deliver(world: World) -> None:
    assert world.bot is not None
    deliverer = DiscordDeliverer(world.bot, world.runtime)
    while await send_notices(world.runtime, deliverer):
        pass


@pytest.fixture
async def big_world(tmp_path: Path) -> AsyncIterator[World]:
    # Two thousand fans are told by DM; Discord raises the limits of a bot that size on request.
    limit = RouteLimit(500, 1.0)
    config = DevServerConfig(global_limit=limit, default_route_limit=limit)
    # The bot shares this process with the server, two thousand members and whatever the tests before
    # left on the heap, which a bot of its own would not carry: set it aside from garbage collection,
    # so the collector's passes over it do not count against the bot's three seconds.
    gc.collect()
    gc.freeze()
    try:
        async with picket_world(tmp_path, config, requests_per_second=480) as world:
            yield world
    finally:
        gc.unfreeze()


async def test_a_crowd_at_the_opening_each_get_a_place_then_a_ticket_or_the_word(
    big_world: World,
) -> None:
    world = big_world
    await world.set_up()
    preview = await world.create_event(layout=f"R:A-D x 1-{SEATS // 4} @ 1000", queue=True, limit=1)
    event_id = event_id_of(preview)
    await world.reply(world.organizer, "event publish", event=event_id)
    await tune_queue(event_id, world.caller(world.organizer), world.runtime.uow(), rate=RATE, cap=20)
    fans = [world.server.add_member(world.guild, f"crowd{n}") for n in range(FANS)]

    async with world.runtime.uow() as uow:
        event = await uow.events.get(event_id)
    assert event is not None
    world.clock.set(event.sale_opens_at)

    # Everyone presses /book in the second the sale opens; the local server fails the test if any
    # press goes unacknowledged for 3 seconds.
    results = await asyncio.gather(*(world.command(f, "book", event=event_id) for f in fans))
    answers = await wait_for_messages(results, within=60)
    assert all(a.content.startswith("You are in the waiting room for **Spring Concert**.") for a in answers)
    # Their order is drawn at random, one place each.
    await run_queues_job(world.runtime)
    async with world.runtime.uow() as uow:
        positions = [(await uow.queues.place(event_id, f.id)) for f in fans]
    drawn = [p.position for p in positions if p is not None]
    assert sorted(drawn) == list(range(1, FANS + 1)) and drawn != sorted(drawn)  # type: ignore[type-var]

    # The line lets ten a second in; each fan let in books, until the seats run out.
    bought: list[Member] = []
    for _ in range(60):
        world.clock.advance(timedelta(seconds=1))
        admitted = await run_queues_job(world.runtime)
        assert admitted <= RATE // 60
        await _deliver(world)
        turns = [f for f in fans if f not in bought and _told(world, f, "It is your turn")]
        for fan in turns[: SEATS - len(bought)]:
            await world.fund(fan, 10_000)
            await buy(world, fan, event_id, 1, section="R")
            bought.append(fan)
        if len(bought) == SEATS:
            break
    world.clock.advance(timedelta(seconds=1))
    await run_queues_job(world.runtime)
    await _deliver(world)

    assert len(bought) == SEATS
    sold_out = [f for f in fans if _told(world, f, "sold out before your turn came")]
    ticketed = [f for f in fans if _told(world, f, "Your tickets for")]
    admitted_unused = [f for f in fans if _told(world, f, "It is your turn") and f not in ticketed]
    assert len(ticketed) == SEATS
    assert len(sold_out) + len(ticketed) + len(admitted_unused) == FANS
    # A fan let in after the last seat went finds it sold out at /book, offered the waitlist.
    if admitted_unused:
        late = await world.reply(admitted_unused[0], "book", event=event_id)
        assert late.content.endswith("is sold out.")
    uow = world.runtime.uow()
    assert isinstance(uow, SqlUnitOfWork)
    async with uow:
        sold = await uow.connection.scalar(select(func.count()).where(tickets.c.status == "active"))
        distinct = await uow.connection.scalar(select(func.count(func.distinct(tickets.c.seat_id))))
    assert sold == distinct == SEATS


def _told(world: World, member: Member, fragment: str) -> bool:
    return any(fragment in (m.content or "") for m in world.server.dms(member))


async def test_a_waiting_fans_message_follows_their_place(world: World) -> None:
    await world.set_up()
    event_id = event_id_of(await world.create_event(queue=True))
    await world.reply(world.organizer, "event publish", event=event_id)
    await tune_queue(event_id, world.caller(world.organizer), world.runtime.uow(), rate=60, cap=1)
    async with world.runtime.uow() as uow:
        event = await uow.events.get(event_id)
    assert event is not None
    world.clock.set(event.sale_opens_at)
    fans = [world.server.add_member(world.guild, f"early{n}") for n in range(3)]
    answers = [await world.reply(f, "book", event=event_id) for f in fans]
    assert all("order is drawn at random" in a.content for a in answers)

    await run_queues_job(world.runtime)  # the draw
    # Every round may edit now, and the test steps through the rounds itself rather than the timer.
    messages = world.bot.waiting_messages  # type: ignore[union-attr]
    messages.edit_every, messages.round_seconds = 0.0, 3600.0
    assert await messages.round() == 3
    places = sorted(int(a.content.split("**#")[1].split("**")[0]) for a in answers)
    assert places == [1, 2, 3]

    world.clock.advance(timedelta(seconds=1))
    assert await run_queues_job(world.runtime) == 1
    assert await messages.round() == 2  # the fan let in hears it by DM; the others move up
    # The one let in keeps the place they had (#1); the two behind now read #1 and #2.
    still = sorted(int(a.content.split("**#")[1].split("**")[0]) for a in answers)
    assert still == [1, 1, 2]
