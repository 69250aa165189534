"""The waiting room on SQLite, MariaDB and the fake, with a frozen clock and a seeded draw: the pre-queue
order is drawn at the opening, fans are let in at the rate and up to the cap, a pass that ends frees
its slot, and booking such an event needs a pass."""

from __future__ import annotations

import asyncio
import random
from datetime import timedelta
from typing import cast

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from core.batching import Batcher
from core.clock import FrozenClock
from core.models import Event
from core.ports import UnitOfWork
from core.services.booking import ConfirmHold, HoldSeats, confirm_hold, hold_seats, start_booking
from core.services.events import CreateEvent, create_event, publish_event
from core.services.gauges import read_gauges
from core.services.queue import InWaitingRoom, run_queues, tune_queue
from db.roundtrips import count_round_trips
from db.uow import SqlUnitOfWork
from tests.support.builders import fan, fund, key, organizer, set_up_guild

FANS = list(range(101, 111))
OPENS_IN = timedelta(hours=1)


async def _hot_sale(uow: UnitOfWork, clock: FrozenClock, layout: str = "R:A-E x 1-10 @ 1000") -> Event:
    await set_up_guild(uow)
    draft = await create_event(
        CreateEvent(
            caller=organizer(),
            title="Hot Sale",
            starts_at=clock.now() + timedelta(days=10),
            sale_opens_at=clock.now() + OPENS_IN,
            layout=layout,
            use_queue=True,
        ),
        uow,
        clock,
    )
    event = (await publish_event(draft.id, organizer(), uow, clock)).event
    await tune_queue(event.id, organizer(), uow, rate=60, cap=3)
    return event


async def _turn(uow: UnitOfWork, clock: FrozenClock, event: Event, user: int) -> dict[str, object] | None:
    """None when the fan may pick seats now, else what the waiting room told them."""
    try:
        await start_booking(event.id, fan(user), uow, clock)
    except InWaitingRoom as waiting:
        return waiting.params
    return None


async def _positions(uow: UnitOfWork, event: Event) -> list[int | None]:
    async with uow.for_reading():
        places = [await uow.queues.place(event.id, user) for user in FANS]
    return [p.position if p is not None else None for p in places]


async def test_the_pre_queue_is_drawn_at_random_at_the_opening(
    any_uow: UnitOfWork, clock: FrozenClock
) -> None:
    event = await _hot_sale(any_uow, clock)
    for user in FANS:
        assert (await _turn(any_uow, clock, event, user) or {})["reason"] == "pre_queue"
        clock.advance(timedelta(seconds=1))
    # Pressing again keeps the place there is: one per fan.
    assert (await _turn(any_uow, clock, event, FANS[0]) or {})["reason"] == "pre_queue"
    assert await run_queues(lambda: any_uow, clock, random.Random(7)) == []  # not open yet

    clock.set(event.sale_opens_at)
    [opened] = await run_queues(lambda: any_uow, clock, random.Random(7))
    assert (opened.drawn, opened.admitted) == (len(FANS), 0)
    order = await _positions(any_uow, event)
    assert sorted(order) == list(range(1, len(FANS) + 1))  # type: ignore[type-var]
    assert order != list(range(1, len(FANS) + 1))  # not the order they came in
    waiting = await _turn(any_uow, clock, event, FANS[0])
    assert waiting is not None and waiting["place"] == order[0]


async def test_fans_are_let_in_at_the_rate_up_to_the_cap(any_uow: UnitOfWork, clock: FrozenClock) -> None:
    event = await _hot_sale(any_uow, clock)
    for user in FANS:
        await _turn(any_uow, clock, event, user)
    clock.set(event.sale_opens_at)
    await run_queues(lambda: any_uow, clock, random.Random(3))
    first_in_line = sorted(zip(await _positions(any_uow, event), FANS, strict=True))

    clock.advance(timedelta(seconds=2))  # one a second
    [step] = await run_queues(lambda: any_uow, clock)
    assert step.admitted == 2
    clock.advance(timedelta(seconds=10))  # ten more have accrued, but only one slot is left
    [step] = await run_queues(lambda: any_uow, clock)
    assert step.admitted == 1
    admitted = [user for _, user in first_in_line[:3]]
    assert [await _turn(any_uow, clock, event, u) for u in admitted] == [None, None, None]
    fourth = await _turn(any_uow, clock, event, first_in_line[3][1])
    assert fourth is not None and fourth["place"] == 1
    # A forged click at the hold is refused the same way.
    with pytest.raises(InWaitingRoom):
        await hold_seats(
            HoldSeats(event.id, fan(first_in_line[3][1]), key(), quantity=1, section_id=1), any_uow, clock
        )

    # One admitted fan pays: their slot goes to the next fan at the next run.
    buyer = admitted[0]
    await fund(any_uow, clock, buyer, 10_000)
    section = (await start_booking(event.id, fan(buyer), any_uow, clock)).sections[0].section_id
    held = await hold_seats(
        HoldSeats(event.id, fan(buyer), key(), section_id=section, quantity=1), any_uow, clock
    )
    await confirm_hold(ConfirmHold(held.hold.id, fan(buyer), key()), any_uow, clock)
    clock.advance(timedelta(seconds=1))
    [step] = await run_queues(lambda: any_uow, clock)
    assert step.admitted == 1
    assert await _turn(any_uow, clock, event, first_in_line[3][1]) is None

    # Passes that end free their slots too.
    clock.advance(timedelta(minutes=10, seconds=1))
    [step] = await run_queues(lambda: any_uow, clock)
    assert step.admitted == 3
    late = 999
    waiting = await _turn(any_uow, clock, event, late)
    assert waiting is not None and waiting["reason"] == "waiting"
    assert waiting["place"] == len(FANS) + 1 - (4 + 3)  # behind everyone, counted from the watermark


async def test_a_paused_line_lets_nobody_in(any_uow: UnitOfWork, clock: FrozenClock) -> None:
    event = await _hot_sale(any_uow, clock)
    for user in FANS[:3]:
        await _turn(any_uow, clock, event, user)
    await tune_queue(event.id, organizer(), any_uow, paused=True)
    clock.set(event.sale_opens_at + timedelta(seconds=30))
    [step] = await run_queues(lambda: any_uow, clock)
    assert (step.drawn, step.admitted) == (3, 0)
    await tune_queue(event.id, organizer(), any_uow, paused=False)
    clock.advance(timedelta(seconds=5))
    [step] = await run_queues(lambda: any_uow, clock)
    assert step.admitted == 3


async def test_a_sell_out_tells_everyone_still_waiting_at_once(
    any_uow: UnitOfWork, clock: FrozenClock
) -> None:
    event = await _hot_sale(any_uow, clock, layout="R:A x 1-2 @ 1000")
    for user in FANS[:5]:
        await _turn(any_uow, clock, event, user)
    clock.set(event.sale_opens_at)
    await run_queues(lambda: any_uow, clock, random.Random(1))
    clock.advance(timedelta(seconds=1))
    await run_queues(lambda: any_uow, clock)
    [first] = [u for u in FANS[:5] if await _turn(any_uow, clock, event, u) is None]
    await fund(any_uow, clock, first, 10_000)
    async with any_uow.for_reading():
        seats = tuple(s.id for s in await any_uow.seats.seat_map(event.id, clock.now()))
    held = await hold_seats(HoldSeats(event.id, fan(first), key(), seat_ids=seats), any_uow, clock)
    await confirm_hold(ConfirmHold(held.hold.id, fan(first), key()), any_uow, clock)

    clock.advance(timedelta(seconds=2))
    await run_queues(lambda: any_uow, clock)
    async with any_uow:
        notices = await any_uow.outbox.claim(clock.now(), clock.now(), 500)
        places = [await any_uow.queues.place(event.id, u) for u in FANS[:5] if u != first]
    told = [n.payload["user_id"] for n in notices if n.kind == "queue_sold_out"]
    assert sorted(told) == sorted(u for u in FANS[:5] if u != first)
    assert {p.status.value for p in places if p is not None} == {"left"}


async def test_big_events_get_a_waiting_room_unless_their_organizer_says_no(
    any_uow: UnitOfWork, clock: FrozenClock
) -> None:
    await set_up_guild(any_uow)

    async def made(capacity: int, use_queue: bool | None) -> bool:
        command = CreateEvent(
            caller=organizer(),
            title="Size",
            starts_at=clock.now() + timedelta(days=10),
            sale_opens_at=clock.now(),
            ga_capacity=capacity,
            ga_price=0,
            use_queue=use_queue,
            queue_from=1000,
        )
        return (await create_event(command, any_uow, clock)).use_queue

    assert [await made(999, None), await made(1000, None), await made(5000, False), await made(10, True)] == [
        False,
        True,
        False,
        True,
    ]


async def test_fans_joining_at_once_are_written_together(engine: AsyncEngine, clock: FrozenClock) -> None:
    def new_uow() -> UnitOfWork:
        return cast(UnitOfWork, SqlUnitOfWork(engine))

    event = await _hot_sale(new_uow(), clock)
    clock.set(event.sale_opens_at)
    await run_queues(new_uow, clock)  # the line opens with nobody in the pre-queue
    crowd = list(range(1000, 1060))
    trips = count_round_trips(engine)
    before = trips.count
    told = await asyncio.gather(*(_turn(new_uow(), clock, event, user) for user in crowd))
    places = [t["place"] for t in told if t is not None]
    assert sorted(places) == list(range(1, len(crowd) + 1))  # one place each, none shared, none skipped
    # Far fewer round trips than one transaction per fan would take (five statements each).
    assert trips.count - before < len(crowd) * 5


async def test_a_batch_answers_each_request_from_one_write() -> None:
    batcher: Batcher[int, int, int] = Batcher()
    writes: list[list[int]] = []

    async def write(items: list[int]) -> list[int]:
        writes.append(items)
        await asyncio.sleep(0)
        return [item * 10 for item in items]

    answers = await asyncio.gather(*(batcher.submit(7, n, write) for n in range(20)))
    assert answers == [n * 10 for n in range(20)]
    assert sorted(n for batch in writes for n in batch) == list(range(20))
    assert len(writes) < 20


async def test_the_operators_gauge_counts_fans_still_waiting(any_uow: UnitOfWork, clock: FrozenClock) -> None:
    event = await _hot_sale(any_uow, clock)
    for user in FANS:
        await _turn(any_uow, clock, event, user)
    assert (await read_gauges(any_uow)).queue_waiting == len(FANS), "the pre-queue waits too"
    clock.set(event.sale_opens_at)
    await run_queues(lambda: any_uow, clock, random.Random(3))
    clock.advance(timedelta(seconds=3))
    [step] = await run_queues(lambda: any_uow, clock)
    assert step.admitted == 3
    assert (await read_gauges(any_uow)).queue_waiting == len(FANS) - 3
