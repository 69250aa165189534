"""The waiting room (대기열) of a hot sale: fans who press Book before the opening wait in a pre-queue
whose order is drawn at random when the sale opens (coming early gives no advantage); later fans join
at the back. Fans are let in at a set rate with a cap on how many hold a booking pass at once, and
booking such an event needs a pass. A fan's place is their position minus the admission watermark."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from core.caller import Caller
from core.clock import Clock
from core.errors import DomainError
from core.models import Event, PlaceStatus, Queue, QueuePlace
from core.ports import UnitOfWork
from core.retry import retrying
from core.services.events import owned_event
from core.services.showing import seen_now

# An admission run may make up for at most this long without one (a paused line, a slow job).
CATCH_UP = timedelta(minutes=1)


class InWaitingRoom(DomainError):
    """Not the fan's turn yet: they are told where they stand."""

    key = "error.waiting_room"


@dataclass(frozen=True)
class QueueSettings:
    rate_per_minute: int = 300
    cap: int = 200
    pass_minutes: int = 10


DEFAULT_QUEUE = QueueSettings()


def _fresh(event: Event, settings: QueueSettings) -> Queue:
    return Queue(event.id, None, 1, 0, None, settings.rate_per_minute, settings.cap, settings.pass_minutes)


def place_in_line(queue: Queue, place: QueuePlace) -> int | None:
    """1 for the next fan to be let in; None before the opening's draw."""
    if place.position is None:
        return None
    return max(1, place.position - queue.admitted_upto)


def minutes_to_wait(queue: Queue, ahead: int) -> int:
    return max(1, -(-ahead // max(1, queue.rate_per_minute)))


async def require_pass(
    event: Event, caller: Caller, locale: str, uow: UnitOfWork, clock: Clock, settings: QueueSettings
) -> None:
    """Lets the fan through if they hold a live pass; otherwise puts them in line (once) and raises
    InWaitingRoom saying where they stand. A second press keeps the place it has, and writes nothing."""
    now = clock.now()
    queue, place = await _standing(event.id, caller.user_id, uow)
    if place is not None and place.has_pass(now):
        return
    if queue is None or place is None or place.status is not PlaceStatus.WAITING:

        async def write(fans: list[tuple[int, str]]) -> list[tuple[Queue, QueuePlace]]:
            return await _join(event, fans, uow, clock, settings)

        queue, place = await uow.box_office.joins.submit(event.id, (caller.user_id, locale), write)
        if place.has_pass(now):
            return
    ahead = place_in_line(queue, place)
    if ahead is None:
        raise InWaitingRoom(reason="pre_queue", event=event.title, opens=event.sale_opens_at)
    raise InWaitingRoom(
        reason="waiting", event=event.title, place=ahead, minutes=minutes_to_wait(queue, ahead)
    )


@retrying
async def _standing(event_id: int, user_id: int, uow: UnitOfWork) -> tuple[Queue | None, QueuePlace | None]:
    async with uow.for_reading():
        return await uow.queues.get(event_id), await uow.queues.place(event_id, user_id)


@retrying
async def _join(
    event: Event, fans: list[tuple[int, str]], uow: UnitOfWork, clock: Clock, settings: QueueSettings
) -> list[tuple[Queue, QueuePlace]]:
    """Everyone in ``fans`` joins the line in one transaction, in the order they came; a fan already
    waiting or holding a pass keeps what they have."""
    now = clock.now()
    async with uow:
        await uow.queues.create(_fresh(event, settings))
        queue = await uow.queues.lock(event.id)
        assert queue is not None
        known = await uow.queues.places(event.id, [user for user, _ in fans])
        new: dict[int, QueuePlace] = {}
        position = queue.next_position
        for user, locale in fans:
            place = new.get(user) or known.get(user)
            if place is not None and (place.has_pass(now) or place.status is PlaceStatus.WAITING):
                continue
            joined = QueuePlace(
                event.id, user, position if queue.opened_at else None, PlaceStatus.WAITING, None, locale
            )
            position += 1 if queue.opened_at else 0
            if place is None:
                new[user] = joined
            else:
                await uow.queues.set_place(joined)
                known[user] = joined
        await uow.queues.join(list(new.values()), now)
        if position != queue.next_position:
            queue = replace(queue, next_position=position)
            await uow.queues.save(queue)
        await uow.commit()
    return [(queue, new.get(user) or known[user]) for user, _ in fans]


@retrying
async def pass_used(event_id: int, user_id: int, uow: UnitOfWork) -> None:
    """The fan paid: their slot goes to the next fan in line."""
    async with uow:
        place = await uow.queues.place(event_id, user_id)
        if place is not None and place.status is PlaceStatus.ADMITTED:
            await uow.queues.set_place(replace(place, status=PlaceStatus.DONE))
            await uow.commit()


@dataclass(frozen=True)
class Admitted:
    event_id: int
    drawn: int  # fans whose pre-queue places were drawn in this run
    admitted: int


async def run_queues(
    new_uow: Callable[[], UnitOfWork], clock: Clock, rng: random.Random | None = None
) -> list[Admitted]:
    """The job: draws the order of every pre-queue whose sale has opened, then lets fans in."""
    async with new_uow().for_reading() as uow:
        due = await uow.queues.to_open(clock.now(), limit=50)
    served = []
    for event_id in due:
        seen = await seen_now(event_id, new_uow(), clock)
        if seen.event is not None and seen.free <= 0:
            # Nobody more is let in to a sold-out event; everyone waiting hears it now.
            while await _tell_sold_out(seen.event, new_uow(), clock):
                pass
            continue
        served.append(await _serve(event_id, new_uow(), clock, rng or random.SystemRandom()))
    return served


@retrying
async def _tell_sold_out(event: Event, uow: UnitOfWork, clock: Clock, batch: int = 500) -> int:
    """Sold out: everyone still waiting is told at once (and pointed to the cancellation waitlist)
    instead of waiting for a turn that cannot come. A batch per transaction; how many were told."""
    now = clock.now()
    async with uow:
        waiting = await uow.queues.waiting(event.id, batch)
        for place in waiting:
            await uow.queues.set_place(replace(place, status=PlaceStatus.LEFT))
            payload = {"user_id": place.user_id, "event_id": event.id, "locale": place.locale}
            await uow.outbox.add("queue_sold_out", payload, now)
        if len(waiting) < batch:
            # Nobody is left to let in: the line rests until someone joins again.
            queue = await uow.queues.lock(event.id)
            if queue is not None:
                await uow.queues.save(replace(queue, admitted_upto=queue.next_position - 1))
        await uow.commit()
    return len(waiting)


@retrying
async def _serve(event_id: int, uow: UnitOfWork, clock: Clock, rng: random.Random) -> Admitted:
    now = clock.now()
    async with uow:
        queue = await uow.queues.lock(event_id)
        event = await uow.events.get(event_id)
        if queue is None or event is None:
            return Admitted(event_id, 0, 0)
        drawn = 0
        if queue.opened_at is None:
            fans = await uow.queues.pre_queue(event_id)
            # A cryptographically random order: arriving early gives no advantage.
            rng.shuffle(fans)
            await uow.queues.number(event_id, [(fan, n) for n, fan in enumerate(fans, start=1)])
            queue = replace(queue, opened_at=now, admitted_at=now, next_position=len(fans) + 1)
            drawn = len(fans)
        admitted = await _admit(uow, queue, event, now)
        await uow.commit()
    return Admitted(event_id, drawn, admitted)


async def _admit(uow: UnitOfWork, queue: Queue, event: Event, now: datetime) -> int:
    since = max(queue.admitted_at or now, now - CATCH_UP)
    allowance = int((now - since).total_seconds() * queue.rate_per_minute / 60)
    room = queue.cap - await uow.queues.holding_passes(event.id, now)
    waiting = queue.next_position - 1 - queue.admitted_upto
    count = 0 if queue.paused else max(0, min(allowance, room, waiting))
    if count:
        upto = queue.admitted_upto + count
        until = now + timedelta(minutes=queue.pass_minutes)
        for fan in await uow.queues.admit(event.id, queue.admitted_upto, upto, until):
            payload = {
                "user_id": fan.user_id,
                "event_id": event.id,
                "locale": fan.locale,
                "minutes": queue.pass_minutes,
            }
            await uow.outbox.add("queue_admitted", payload, now)
        # Admissions are paid for in time at the rate, so the next run lets in only what has accrued.
        since += timedelta(seconds=count * 60 / queue.rate_per_minute)
        queue = replace(queue, admitted_upto=upto)
    queue = replace(queue, admitted_at=since)
    await uow.queues.save(queue)
    return count


@retrying
async def tune_queue(
    event_id: int,
    caller: Caller,
    uow: UnitOfWork,
    settings: QueueSettings = DEFAULT_QUEUE,
    *,
    rate: int | None = None,
    cap: int | None = None,
    paused: bool | None = None,
) -> Queue:
    """The organizer changes the rate, the cap, or pauses and resumes the line, live."""
    async with uow:
        event = await owned_event(uow, event_id, caller)
        await uow.queues.create(_fresh(event, settings))
        queue = await uow.queues.lock(event.id)
        assert queue is not None
        if rate is not None:
            queue = replace(queue, rate_per_minute=max(1, rate))
        if cap is not None:
            queue = replace(queue, cap=max(1, cap))
        if paused is not None:
            queue = replace(queue, paused=paused)
        await uow.queues.save(queue)
        await uow.commit()
    return queue


@dataclass(frozen=True)
class Standing:
    """Where a fan stands in a waiting room now: their place (None before the draw), their wait."""

    user_id: int
    waiting: bool
    place: int | None
    minutes: int


@retrying
async def standings(event_id: int, user_ids: list[int], uow: UnitOfWork) -> list[Standing]:
    """Many fans' places in one read: for keeping their waiting messages current."""
    async with uow.for_reading():
        queue = await uow.queues.get(event_id)
        places = await uow.queues.places(event_id, user_ids)
    found = []
    for user in user_ids:
        place = places.get(user)
        if queue is None or place is None or place.status is not PlaceStatus.WAITING:
            found.append(Standing(user, False, None, 0))
            continue
        ahead = place_in_line(queue, place)
        found.append(Standing(user, True, ahead, minutes_to_wait(queue, ahead) if ahead else 0))
    return found
