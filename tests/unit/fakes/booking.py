"""Seats, general-admission capacity, holds and the per-fan cart, kept in memory.

Each method mirrors one statement of the SQL repositories, down to which rows a conditional
UPDATE would match, so a service behaves the same on either."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime

from core.errors import DuplicateKey
from core.layout import SectionSpec
from core.models import FanStanding, Hold, HoldStatus, Seat, SeatStatus, SectionAvailability
from core.ports import NewHold, SeatPage
from tests.unit.fakes.state import Repo, SeatRow, SectionRow


class FakeSeats(Repo):
    async def add_layout(self, event_id: int, sections: Sequence[SectionSpec]) -> int:
        count = 0
        for position, spec in enumerate(sections):
            section_id = self.db.new_id("sections")
            self.db.sections[section_id] = SectionRow(
                section_id, event_id, spec.name, position, spec.price, spec.first_number, spec.last_number
            )
            for row in spec.rows:
                for number in range(spec.first_number, spec.last_number + 1):
                    seat_id = self.db.new_id("seats")
                    self.db.seats[seat_id] = SeatRow(seat_id, event_id, section_id, row, number)
                    count += 1
        return count

    def _free(self, row: SeatRow, now: datetime) -> bool:
        """Claimable, except that a lapsed hold's seats are the waitlist's while fans wait."""
        line = self.db.lines.get(row.event_id)
        if line is not None and line.waiting > 0 and row.status is SeatStatus.HELD:
            return False
        return row.claimable(now)

    def _shown(self, row: SeatRow, now: datetime) -> SeatStatus:
        """What a fan sees: free if they could claim it, sold, or else held."""
        if row.status is SeatStatus.SOLD:
            return SeatStatus.SOLD
        return SeatStatus.AVAILABLE if self._free(row, now) else SeatStatus.HELD

    def _rows(self, event_id: int, seat_ids: Sequence[int]) -> list[SeatRow]:
        wanted = set(seat_ids)
        return [r for r in self.db.seats.values() if r.event_id == event_id and r.id in wanted]

    async def seats(self, event_id: int, seat_ids: Sequence[int]) -> list[Seat]:
        rows = sorted(self._rows(event_id, seat_ids), key=self.db.seat_order)
        return [self.db.seat(r) for r in rows]

    async def free_page(
        self, event_id: int, section_id: int, now: datetime, after: tuple[str, int], limit: int
    ) -> SeatPage:
        free = sorted(
            (
                r
                for r in self.db.seats.values()
                if r.event_id == event_id
                and r.section_id == section_id
                and self._free(r, now)
                and (r.row, r.number) > after
            ),
            key=lambda r: (r.row, r.number),
        )[:limit]
        section = self.db.sections.get(section_id)
        span = (section.first_number, section.last_number) if free and section is not None else None
        return SeatPage([replace(self.db.seat(r), status=SeatStatus.AVAILABLE) for r in free], span)

    async def claim(
        self, event_id: int, seat_ids: Sequence[int], hold_id: int, until: datetime, now: datetime
    ) -> int:
        # Like the UPDATE, this takes whichever of the seats it can and reports how many: the caller
        # rolls back when that is fewer than it asked for.
        claimed = [r for r in self._rows(event_id, seat_ids) if self._free(r, now)]
        for row in claimed:
            row.status, row.hold_id, row.held_until = SeatStatus.HELD, hold_id, until
        return len(claimed)

    async def sell_held(self, hold_id: int, seat_ids: Sequence[int]) -> int:
        wanted = set(seat_ids)
        sold = [
            r
            for r in self.db.seats.values()
            if r.id in wanted and r.hold_id == hold_id and r.status is SeatStatus.HELD
        ]
        for row in sold:
            row.status, row.held_until = SeatStatus.SOLD, None
        return len(sold)

    async def release_held(self, hold_id: int, to: SeatStatus = SeatStatus.AVAILABLE) -> int:
        freed = [r for r in self.db.seats.values() if r.hold_id == hold_id and r.status is SeatStatus.HELD]
        for row in freed:
            row.status, row.hold_id, row.held_until = to, None, None
        return len(freed)

    async def release_sold(self, seat_id: int, to: SeatStatus = SeatStatus.AVAILABLE) -> int:
        row = self.db.seats.get(seat_id)
        if row is None or row.status is not SeatStatus.SOLD:
            return 0
        row.status, row.hold_id, row.held_until = to, None, None
        return 1

    async def for_waitlist(self, event_id: int, limit: int) -> list[Seat]:
        rows = sorted(
            (r for r in self.db.seats.values() if r.event_id == event_id and r.status in _GIVABLE),
            key=self.db.seat_order,
        )
        return [self.db.seat(r) for r in rows[:limit]]

    async def give(self, event_id: int, seat_ids: Sequence[int], hold_id: int) -> int:
        given = [r for r in self._rows(event_id, seat_ids) if r.status in _GIVABLE]
        for row in given:
            row.status, row.hold_id, row.held_until = SeatStatus.SOLD, hold_id, None
        return len(given)

    async def reopen_returned(self, event_id: int) -> int:
        rows = [
            r for r in self.db.seats.values() if r.event_id == event_id and r.status is SeatStatus.RETURNED
        ]
        for row in rows:
            row.status = SeatStatus.AVAILABLE
        return len(rows)

    async def availability(self, event_id: int, now: datetime) -> list[SectionAvailability]:
        result = []
        sections = sorted(
            (s for s in self.db.sections.values() if s.event_id == event_id), key=lambda s: s.position
        )
        for section in sections:
            rows = [r for r in self.db.seats.values() if r.section_id == section.id]
            if not rows:
                continue
            available = sum(1 for r in rows if self._free(r, now))
            held = sum(1 for r in rows if self._shown(r, now) is SeatStatus.HELD)
            sold = sum(1 for r in rows if r.status is SeatStatus.SOLD)
            result.append(SectionAvailability(section.id, section.name, section.price, available, held, sold))
        return result

    async def seat_map(self, event_id: int, now: datetime) -> list[Seat]:
        rows = sorted((r for r in self.db.seats.values() if r.event_id == event_id), key=self.db.seat_order)
        return [replace(self.db.seat(r), status=self._shown(r, now)) for r in rows]


_GIVABLE = (SeatStatus.RETURNED, SeatStatus.AVAILABLE)


class FakeGeneralAdmission(Repo):
    async def claim(self, event_id: int, quantity: int) -> bool:
        row = self.db.general_admission.get(event_id)
        if row is None or row.taken + quantity > row.capacity:
            return False
        row.taken += quantity
        return True

    async def release(self, event_id: int, quantity: int, *, to_waitlist: bool = False) -> None:
        row = self.db.general_admission.get(event_id)
        if row is None or row.taken - row.returned < quantity:
            return
        if to_waitlist:
            row.returned += quantity
        else:
            row.taken -= quantity

    async def taken(self, event_id: int) -> int:
        row = self.db.general_admission.get(event_id)
        return row.taken if row is not None else 0

    async def for_waitlist(self, event_id: int) -> int:
        row = self.db.general_admission.get(event_id)
        return row.capacity - row.taken + row.returned if row is not None else 0

    async def give(self, event_id: int, quantity: int) -> bool:
        row = self.db.general_admission.get(event_id)
        if row is None or row.capacity - row.taken + row.returned < quantity:
            return False
        row.taken += max(quantity - row.returned, 0)
        row.returned = max(row.returned - quantity, 0)
        return True

    async def reopen_returned(self, event_id: int) -> int:
        row = self.db.general_admission.get(event_id)
        if row is None:
            return 0
        returned, row.taken, row.returned = row.returned, row.taken - row.returned, 0
        return returned


class FakeHolds(Repo):
    async def add(self, hold: NewHold) -> int:
        if await self.by_client_key(hold.client_key) is not None:
            raise DuplicateKey(hold.client_key)
        hold_id = self.db.new_id("holds")
        self.db.holds[hold_id] = Hold(
            hold_id,
            hold.event_id,
            hold.user_id,
            hold.quantity,
            hold.amount,
            tuple(hold.seat_ids),
            HoldStatus.ACTIVE,
            hold.expires_at,
            hold.client_key,
        )
        return hold_id

    async def get(self, hold_id: int) -> Hold | None:
        return self.db.holds.get(hold_id)

    async def by_client_key(self, client_key: str) -> Hold | None:
        return next((h for h in self.db.holds.values() if h.client_key == client_key), None)

    async def finish(self, hold_id: int, status: str, now: datetime, *, only_if_live: bool) -> bool:
        hold = self.db.holds.get(hold_id)
        if hold is None or hold.status is not HoldStatus.ACTIVE or (only_if_live and hold.expires_at <= now):
            return False
        self.db.holds[hold_id] = replace(hold, status=HoldStatus(status))
        return True

    async def live_for_event(self, event_id: int) -> list[int]:
        return [
            h.id for h in self.db.holds.values() if h.event_id == event_id and h.status is HoldStatus.ACTIVE
        ]

    async def due(self, now: datetime, limit: int, event_id: int | None = None) -> list[int]:
        due = [
            h
            for h in self.db.holds.values()
            if h.status is HoldStatus.ACTIVE and h.expires_at <= now and event_id in (None, h.event_id)
        ]
        return [h.id for h in sorted(due, key=lambda h: (h.expires_at, h.id))[:limit]]


_NO_STANDING = FanStanding(hold_id=None, held=0, hold_expires_at=None, bought=0, holding=0)


class FakeFans(Repo):
    async def reserve(
        self,
        event_id: int,
        user_id: int,
        hold_id: int,
        quantity: int,
        limit: int,
        now: datetime,
        expires_at: datetime,
    ) -> bool:
        # The row is created even when the reservation is refused, as INSERT IGNORE does.
        row = self.db.fans.setdefault((event_id, user_id), _NO_STANDING)
        no_open_cart = row.hold_id is None or (row.hold_expires_at is not None and row.hold_expires_at <= now)
        if not no_open_cart or row.bought + quantity > limit or row.holding + quantity > limit:
            return False
        self.db.fans[event_id, user_id] = replace(
            row, hold_id=hold_id, held=quantity, hold_expires_at=expires_at
        )
        return True

    async def standing(self, event_id: int, user_id: int) -> FanStanding:
        return self.db.fans.get((event_id, user_id), _NO_STANDING)

    async def close_cart(self, event_id: int, user_id: int, hold_id: int, bought: int) -> None:
        row = self.db.fans.get((event_id, user_id))
        if row is not None and row.hold_id == hold_id:
            self.db.fans[event_id, user_id] = FanStanding(
                None, 0, None, row.bought + bought, row.holding + bought
            )

    async def wait(self, event_id: int, user_id: int, quantity: int, limit: int, now: datetime) -> bool:
        row = self.db.fans.setdefault((event_id, user_id), _NO_STANDING)
        open_cart = row.held if row.hold_expires_at is not None and row.hold_expires_at > now else 0
        if row.bought + open_cart + quantity > limit or row.holding + open_cart + quantity > limit:
            return False
        self.db.fans[event_id, user_id] = replace(
            row, bought=row.bought + quantity, holding=row.holding + quantity
        )
        return True

    async def receive(self, event_id: int, user_id: int, quantity: int, limit: int, now: datetime) -> bool:
        row = self.db.fans.setdefault((event_id, user_id), _NO_STANDING)
        # A live cart counts too; a lapsed one no longer holds anything.
        open_cart = row.held if row.hold_expires_at is not None and row.hold_expires_at > now else 0
        if row.holding + open_cart + quantity > limit:
            return False
        self.db.fans[event_id, user_id] = replace(row, holding=row.holding + quantity)
        return True

    async def let_go(self, event_id: int, user_id: int, quantity: int) -> None:
        row = self.db.fans.get((event_id, user_id))
        if row is not None and row.holding >= quantity:
            self.db.fans[event_id, user_id] = replace(row, holding=row.holding - quantity)

    async def returned(self, event_id: int, user_id: int, quantity: int) -> None:
        row = self.db.fans.get((event_id, user_id))
        if row is not None and row.bought >= quantity:
            self.db.fans[event_id, user_id] = replace(row, bought=row.bought - quantity)
