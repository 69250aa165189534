"""One read of an event's seats, shared by every fan looking at it around the same moment.

When a sale opens, thousands of fans open the same seat picker within a second: each needs the same
seat statuses, so one read serves them all. The copy is only ever shown, never relied on: every claim
is still guarded by the database. A change this process makes is seen at once; one made elsewhere
within ``max_age`` seconds.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from core.models import Event, Seat, SectionAvailability

# How long a read may serve others; short enough that a fan never sees a sold-out section for long.
MAX_AGE = timedelta(seconds=1)
KEPT = 1000


@dataclass(frozen=True)
class Availability:
    """An event and its seats as fans see them at one moment. ``stamp`` names this reading, so
    pictures drawn from it can be kept and shared too."""

    event: Event | None
    sections: list[SectionAvailability]
    seats: list[Seat]
    ga_taken: int
    stamp: int

    @property
    def free(self) -> int:
        if self.event is not None and self.event.ga_capacity is not None:
            return self.event.ga_capacity - self.ga_taken
        return sum(s.available for s in self.sections)


Loader = Callable[[], Awaitable[tuple[Event | None, list[SectionAvailability], list[Seat], int]]]
_stamps = itertools.count(1)


class AvailabilityCache:
    def __init__(self, max_age: timedelta = MAX_AGE) -> None:
        self._max_age = max_age
        self._kept: dict[int, tuple[datetime, int, Availability]] = {}
        self._loading: dict[int, asyncio.Future[Availability]] = {}
        self._generation: dict[int, int] = {}

    def changed(self, event_id: int) -> None:
        """Seats or the event changed here: the next look reads them afresh."""
        self._generation[event_id] = self._generation.get(event_id, 0) + 1
        self._kept.pop(event_id, None)

    async def get(self, event_id: int, now: datetime, load: Loader) -> Availability:
        """The event as of ``now`` (the injected clock's time: a hold lapses as that time passes)."""
        generation = self._generation.get(event_id, 0)
        kept = self._kept.get(event_id)
        if kept is not None:
            read_at, kept_generation, availability = kept
            if kept_generation == generation and read_at <= now < read_at + self._max_age:
                return availability
        pending = self._loading.get(event_id)
        if pending is not None:
            # Another fan is reading these seats right now: that read serves this one too.
            return await asyncio.shield(pending)
        future: asyncio.Future[Availability] = asyncio.get_running_loop().create_future()
        self._loading[event_id] = future
        try:
            event, sections, seats, ga_taken = await load()
            availability = Availability(event, sections, seats, ga_taken, next(_stamps))
            if self._generation.get(event_id, 0) == generation:
                # A change that happened during the read may be missing from it: then it is not kept.
                if len(self._kept) >= KEPT:
                    self._kept.clear()
                self._kept[event_id] = (now, generation, availability)
            future.set_result(availability)
            return availability
        except asyncio.CancelledError:
            future.cancel()
            raise
        except Exception as error:
            future.set_exception(error)
            # Nobody else may be waiting: keep the loop from reporting an exception nobody read.
            future.exception()
            raise
        finally:
            self._loading.pop(event_id, None)
