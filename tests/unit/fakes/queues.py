"""The waiting room, kept in memory."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime

from core.models import EventStatus, PlaceStatus, Queue, QueuePlace
from tests.unit.fakes.state import Repo


class FakeQueues(Repo):
    async def get(self, event_id: int) -> Queue | None:
        return self.db.queues.get(event_id)

    async def lock(self, event_id: int) -> Queue | None:
        # One transaction at a time here, as one writer at a time on SQLite.
        return self.db.queues.get(event_id)

    async def create(self, queue: Queue) -> None:
        self.db.queues.setdefault(queue.event_id, queue)

    async def save(self, queue: Queue) -> None:
        self.db.queues[queue.event_id] = queue

    async def place(self, event_id: int, user_id: int) -> QueuePlace | None:
        return self.db.places.get((event_id, user_id))

    async def places(self, event_id: int, user_ids: Sequence[int]) -> dict[int, QueuePlace]:
        return {u: self.db.places[event_id, u] for u in user_ids if (event_id, u) in self.db.places}

    async def join(self, places: Sequence[QueuePlace], now: datetime) -> None:
        for place in places:
            key = (place.event_id, place.user_id)
            assert key not in self.db.places, "a fan has one place per event (the primary key)"
            self.db.places[key] = place
            self.db.joined[key] = now

    async def set_place(self, place: QueuePlace) -> None:
        self.db.places[place.event_id, place.user_id] = place

    async def pre_queue(self, event_id: int) -> list[int]:
        waiting = [
            (self.db.joined[key], key[1])
            for key, p in self.db.places.items()
            if key[0] == event_id and p.position is None and p.status is PlaceStatus.WAITING
        ]
        return [user for _, user in sorted(waiting)]

    async def number(self, event_id: int, positions: Sequence[tuple[int, int]]) -> None:
        for user, number in positions:
            self.db.places[event_id, user] = replace(self.db.places[event_id, user], position=number)

    async def holding_passes(self, event_id: int, now: datetime) -> int:
        return sum(1 for (e, _), p in self.db.places.items() if e == event_id and p.has_pass(now))

    async def admit(self, event_id: int, after: int, upto: int, until: datetime) -> list[QueuePlace]:
        admitted = []
        for key, place in self.db.places.items():
            in_window = place.position is not None and after < place.position <= upto
            if key[0] == event_id and in_window and place.status is PlaceStatus.WAITING:
                self.db.places[key] = replace(place, status=PlaceStatus.ADMITTED, pass_until=until)
                admitted.append(self.db.places[key])
        return admitted

    async def to_open(self, now: datetime, limit: int) -> list[int]:
        def due(queue: Queue) -> bool:
            event = self.db.events.get(queue.event_id)
            on = event is not None and event.status is EventStatus.PUBLISHED and event.sale_opens_at <= now
            return on and (queue.opened_at is None or queue.next_position - 1 > queue.admitted_upto)

        return sorted(e for e, queue in self.db.queues.items() if due(queue))[:limit]

    async def waiting_total(self) -> int:
        published = {e.id for e in self.db.events.values() if e.status is EventStatus.PUBLISHED}
        return sum(
            1 for p in self.db.places.values() if p.status is PlaceStatus.WAITING and p.event_id in published
        )

    async def waiting(self, event_id: int, limit: int) -> list[QueuePlace]:
        waiting = [
            p for (e, _), p in self.db.places.items() if e == event_id and p.status is PlaceStatus.WAITING
        ]
        return sorted(waiting, key=lambda p: (p.position is None, p.position or 0, p.user_id))[:limit]
