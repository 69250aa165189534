"""One reading of an event's seats serves every fan looking around the same moment, and no longer."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

import pytest

from core.availability import AvailabilityCache
from core.models import Event, Seat, SectionAvailability

T0 = datetime(2030, 5, 1, 12, 0, 0)
Reading = tuple[Event | None, list[SectionAvailability], list[Seat], int]


class Reader:
    def __init__(self) -> None:
        self.reads = 0
        self.gate = asyncio.Event()
        self.gate.set()

    async def __call__(self) -> Reading:
        self.reads += 1
        await self.gate.wait()
        return None, [], [], self.reads


async def test_fans_asking_at_once_share_one_read() -> None:
    cache, reader = AvailabilityCache(), Reader()
    reader.gate.clear()

    asking = [asyncio.create_task(cache.get(1, T0, reader)) for _ in range(50)]
    await asyncio.sleep(0)
    reader.gate.set()
    seen = await asyncio.gather(*asking)

    assert reader.reads == 1
    assert {s.stamp for s in seen} == {seen[0].stamp}


async def test_a_reading_serves_for_a_second_then_is_read_again() -> None:
    cache, reader = AvailabilityCache(), Reader()

    first = await cache.get(1, T0, reader)
    same = await cache.get(1, T0 + timedelta(milliseconds=999), reader)
    later = await cache.get(1, T0 + timedelta(seconds=1), reader)
    other_event = await cache.get(2, T0, reader)

    assert same is first and later is not first
    assert reader.reads == 3 and other_event.ga_taken == 3


async def test_a_change_here_is_seen_at_once_even_one_made_during_a_read() -> None:
    cache, reader = AvailabilityCache(), Reader()
    await cache.get(1, T0, reader)
    cache.changed(1)
    assert (await cache.get(1, T0, reader)).ga_taken == 2

    cache.changed(1)
    reader.gate.clear()
    reading = asyncio.create_task(cache.get(1, T0, reader))
    await asyncio.sleep(0)
    cache.changed(1)  # a seat was sold while the read was on its way
    reader.gate.set()
    await reading

    # That read may have missed the sale, so it served its own asker but is not kept for others.
    assert (await cache.get(1, T0, reader)).ga_taken == 4


async def test_a_failed_read_fails_its_askers_and_the_next_ask_reads_again() -> None:
    cache = AvailabilityCache()

    async def broken() -> Reading:
        raise RuntimeError("database away")

    with pytest.raises(RuntimeError):
        await cache.get(1, T0, broken)
    assert (await cache.get(1, T0, Reader())).ga_taken == 1
