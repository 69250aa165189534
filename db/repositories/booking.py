"""Seats, general-admission capacity, holds and the per-fan cart row: the contended part of Picket.

Every claim here is one conditional UPDATE whose rowcount says whether it won."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import and_, case, exists, func, insert, literal, or_, select, update

from core.errors import DuplicateKey
from core.layout import SectionSpec
from core.models import FanStanding, Hold, HoldStatus, Seat, SeatStatus, SectionAvailability
from core.ports import NewHold, SeatPage
from db.errors import is_duplicate
from db.repositories._base import Repo, insert_ignoring_duplicates, new_id
from db.schema import fan_events, general_admission, holds, seats, sections, waitlist_lines

_SEAT_COLUMNS = (
    seats.c.id,
    seats.c.section_id,
    sections.c.name,
    seats.c.row_label,
    seats.c.number,
    sections.c.price,
    seats.c.status,
)


def _seat(row: Any) -> Seat:
    return Seat(row[0], row[1], row[2], row[3], row[4], row[5], SeatStatus(row[6]))


def _claimable(now: datetime, event_id: int) -> Any:
    """Free, or held by a hold whose time has run out (the sweeper may not have tidied it yet), unless
    fans wait for the event: then a lapsed hold's seats are the waitlist's, given out by its job. The
    line is looked up once for the event, not once per seat."""
    line_waiting = exists().where(waitlist_lines.c.event_id == event_id, waitlist_lines.c.waiting > 0)
    return or_(
        seats.c.status == SeatStatus.AVAILABLE,
        and_(seats.c.status == SeatStatus.HELD, seats.c.held_until <= now, ~line_waiting),
    )


_GIVABLE = (SeatStatus.RETURNED.value, SeatStatus.AVAILABLE.value)


def _shown_status(now: datetime, event_id: int) -> Any:
    """What fans see: free if they could claim it, sold, or else held (a live cart, or kept for the
    waitlist)."""
    return case(
        (seats.c.status == SeatStatus.SOLD, SeatStatus.SOLD.value),
        (_claimable(now, event_id), SeatStatus.AVAILABLE.value),
        else_=SeatStatus.HELD.value,
    )


class SeatRepo(Repo):
    async def add_layout(self, event_id: int, specs: Sequence[SectionSpec]) -> int:
        count = 0
        for position, spec in enumerate(specs):
            result = await self.conn.execute(
                insert(sections).values(
                    event_id=event_id,
                    name=spec.name,
                    position=position,
                    price=spec.price,
                    first_number=spec.first_number,
                    last_number=spec.last_number,
                )
            )
            section_id = new_id(result)
            rows = [
                {
                    "event_id": event_id,
                    "section_id": section_id,
                    "row_label": row,
                    "number": number,
                    "status": SeatStatus.AVAILABLE,
                }
                for row in spec.rows
                for number in range(spec.first_number, spec.last_number + 1)
            ]
            await self.conn.execute(insert(seats), rows)
            count += len(rows)
        return count

    async def seats(self, event_id: int, seat_ids: Sequence[int]) -> list[Seat]:
        if not seat_ids:
            return []
        query = (
            select(*_SEAT_COLUMNS)
            .join(sections, sections.c.id == seats.c.section_id)
            .where(seats.c.event_id == event_id, seats.c.id.in_(list(seat_ids)))
            .order_by(sections.c.position, seats.c.row_label, seats.c.number)
        )
        return [_seat(row) for row in await self.conn.execute(query)]

    async def free_page(
        self, event_id: int, section_id: int, now: datetime, after: tuple[str, int], limit: int
    ) -> SeatPage:
        row, number = after
        past = or_(seats.c.row_label > row, and_(seats.c.row_label == row, seats.c.number > number))
        query = (
            select(
                *_SEAT_COLUMNS[:-1],
                literal(SeatStatus.AVAILABLE.value),
                sections.c.first_number,
                sections.c.last_number,
            )
            .join(sections, sections.c.id == seats.c.section_id)
            .where(
                seats.c.event_id == event_id,
                seats.c.section_id == section_id,
                _claimable(now, event_id),
                past,
            )
            .order_by(seats.c.row_label, seats.c.number)
            .limit(limit)
        )
        rows = list(await self.conn.execute(query))
        span = (int(rows[0][7]), int(rows[0][8])) if rows else None
        return SeatPage([_seat(row) for row in rows], span)

    async def claim(
        self, event_id: int, seat_ids: Sequence[int], hold_id: int, until: datetime, now: datetime
    ) -> int:
        statement = (
            update(seats)
            .where(seats.c.event_id == event_id, seats.c.id.in_(list(seat_ids)), _claimable(now, event_id))
            .values(status=SeatStatus.HELD, hold_id=hold_id, held_until=until)
        )
        return (await self.conn.execute(statement)).rowcount

    async def sell_held(self, hold_id: int, seat_ids: Sequence[int]) -> int:
        statement = (
            update(seats)
            .where(
                seats.c.id.in_(list(seat_ids)), seats.c.hold_id == hold_id, seats.c.status == SeatStatus.HELD
            )
            .values(status=SeatStatus.SOLD, held_until=None)
        )
        return (await self.conn.execute(statement)).rowcount

    async def release_held(self, hold_id: int, to: SeatStatus = SeatStatus.AVAILABLE) -> int:
        statement = (
            update(seats)
            .where(seats.c.hold_id == hold_id, seats.c.status == SeatStatus.HELD)
            .values(status=to, hold_id=None, held_until=None)
        )
        return (await self.conn.execute(statement)).rowcount

    async def release_sold(self, seat_id: int, to: SeatStatus = SeatStatus.AVAILABLE) -> int:
        statement = (
            update(seats)
            .where(seats.c.id == seat_id, seats.c.status == SeatStatus.SOLD)
            .values(status=to, hold_id=None, held_until=None)
        )
        return (await self.conn.execute(statement)).rowcount

    async def for_waitlist(self, event_id: int, limit: int) -> list[Seat]:
        query = (
            select(*_SEAT_COLUMNS)
            .join(sections, sections.c.id == seats.c.section_id)
            .where(seats.c.event_id == event_id, seats.c.status.in_(_GIVABLE))
            .order_by(sections.c.position, seats.c.row_label, seats.c.number)
            .limit(limit)
        )
        return [_seat(row) for row in await self.conn.execute(query)]

    async def give(self, event_id: int, seat_ids: Sequence[int], hold_id: int) -> int:
        statement = (
            update(seats)
            .where(seats.c.event_id == event_id, seats.c.id.in_(list(seat_ids)), seats.c.status.in_(_GIVABLE))
            .values(status=SeatStatus.SOLD, hold_id=hold_id, held_until=None)
        )
        return (await self.conn.execute(statement)).rowcount

    async def reopen_returned(self, event_id: int) -> int:
        statement = (
            update(seats)
            .where(seats.c.event_id == event_id, seats.c.status == SeatStatus.RETURNED)
            .values(status=SeatStatus.AVAILABLE)
        )
        return (await self.conn.execute(statement)).rowcount

    async def availability(self, event_id: int, now: datetime) -> list[SectionAvailability]:
        claimable = _claimable(now, event_id)
        held = and_(~claimable, seats.c.status != SeatStatus.SOLD)
        query = (
            select(
                sections.c.id,
                sections.c.name,
                sections.c.price,
                func.sum(case((claimable, 1), else_=0)),
                func.sum(case((held, 1), else_=0)),
                func.sum(case((seats.c.status == SeatStatus.SOLD, 1), else_=0)),
            )
            .join(seats, seats.c.section_id == sections.c.id)
            .where(sections.c.event_id == event_id)
            .group_by(sections.c.id, sections.c.name, sections.c.price, sections.c.position)
            .order_by(sections.c.position)
        )
        rows = await self.conn.execute(query)
        return [SectionAvailability(r[0], r[1], r[2], int(r[3]), int(r[4]), int(r[5])) for r in rows]

    async def seat_map(self, event_id: int, now: datetime) -> list[Seat]:
        query = (
            select(*_SEAT_COLUMNS[:-1], _shown_status(now, event_id))
            .join(sections, sections.c.id == seats.c.section_id)
            .where(seats.c.event_id == event_id)
            .order_by(sections.c.position, seats.c.row_label, seats.c.number)
        )
        return [_seat(row) for row in await self.conn.execute(query)]


class GeneralAdmissionRepo(Repo):
    async def claim(self, event_id: int, quantity: int) -> bool:
        ga = general_admission.c
        statement = (
            update(general_admission)
            .where(ga.event_id == event_id, ga.taken + quantity <= ga.capacity)
            .values(taken=ga.taken + quantity)
        )
        return (await self.conn.execute(statement)).rowcount == 1

    async def release(self, event_id: int, quantity: int, *, to_waitlist: bool = False) -> None:
        ga = general_admission.c
        # Set aside for the waitlist, a place stays taken for everyone else.
        change = {"returned": ga.returned + quantity} if to_waitlist else {"taken": ga.taken - quantity}
        statement = (
            update(general_admission)
            .where(ga.event_id == event_id, ga.taken - ga.returned >= quantity)
            .values(**change)
        )
        await self.conn.execute(statement)

    async def for_waitlist(self, event_id: int) -> int:
        ga = general_admission.c
        query = select(ga.capacity - ga.taken + ga.returned).where(ga.event_id == event_id)
        return int((await self.conn.execute(query)).scalar() or 0)

    async def give(self, event_id: int, quantity: int) -> bool:
        ga = general_admission.c
        # Returned places first, then places never sold. Both databases read the old values on the
        # right of every assignment here (MariaDB would not, had "returned" been assigned first).
        from_new = case((ga.returned < quantity, quantity - ga.returned), else_=0)
        from_returned = case((ga.returned > quantity, ga.returned - quantity), else_=0)
        statement = (
            update(general_admission)
            .where(ga.event_id == event_id, ga.capacity - ga.taken + ga.returned >= quantity)
            .values(taken=ga.taken + from_new, returned=from_returned)
        )
        return (await self.conn.execute(statement)).rowcount == 1

    async def reopen_returned(self, event_id: int) -> int:
        ga = general_admission.c
        returned = (await self.conn.execute(select(ga.returned).where(ga.event_id == event_id))).scalar() or 0
        if returned:
            statement = (
                update(general_admission)
                .where(ga.event_id == event_id)
                .values(taken=ga.taken - ga.returned, returned=0)
            )
            await self.conn.execute(statement)
        return int(returned)

    async def taken(self, event_id: int) -> int:
        query = select(general_admission.c.taken).where(general_admission.c.event_id == event_id)
        return int((await self.conn.execute(query)).scalar() or 0)


def _hold(row: Any) -> Hold:
    m = row._mapping
    seat_ids = tuple(int(s) for s in m["seat_ids"].split(",") if s)
    return Hold(
        m["id"],
        m["event_id"],
        m["user_id"],
        m["quantity"],
        m["amount"],
        seat_ids,
        HoldStatus(m["status"]),
        m["expires_at"],
        m["client_key"],
    )


class HoldRepo(Repo):
    async def add(self, hold: NewHold) -> int:
        values = {
            "event_id": hold.event_id,
            "user_id": hold.user_id,
            "quantity": hold.quantity,
            "amount": hold.amount,
            "seat_ids": ",".join(str(s) for s in hold.seat_ids),
            "status": HoldStatus.ACTIVE,
            "expires_at": hold.expires_at,
            "client_key": hold.client_key,
            "created_at": hold.created_at,
        }
        try:
            result = await self.conn.execute(insert(holds).values(**values))
        except Exception as exc:
            if is_duplicate(exc):
                raise DuplicateKey(hold.client_key) from exc
            raise
        return new_id(result)

    async def get(self, hold_id: int) -> Hold | None:
        row = (await self.conn.execute(select(holds).where(holds.c.id == hold_id))).first()
        return _hold(row) if row is not None else None

    async def by_client_key(self, client_key: str) -> Hold | None:
        row = (await self.conn.execute(select(holds).where(holds.c.client_key == client_key))).first()
        return _hold(row) if row is not None else None

    async def finish(self, hold_id: int, status: str, now: datetime, *, only_if_live: bool) -> bool:
        condition = and_(holds.c.id == hold_id, holds.c.status == HoldStatus.ACTIVE)
        if only_if_live:
            condition = and_(condition, holds.c.expires_at > now)
        result = await self.conn.execute(update(holds).where(condition).values(status=status))
        return result.rowcount == 1

    async def live_for_event(self, event_id: int) -> list[int]:
        query = select(holds.c.id).where(holds.c.event_id == event_id, holds.c.status == HoldStatus.ACTIVE)
        return [int(r[0]) for r in await self.conn.execute(query)]

    async def due(self, now: datetime, limit: int, event_id: int | None = None) -> list[int]:
        query = (
            select(holds.c.id)
            .where(holds.c.status == HoldStatus.ACTIVE, holds.c.expires_at <= now)
            .order_by(holds.c.expires_at)
            .limit(limit)
        )
        if event_id is not None:
            query = query.where(holds.c.event_id == event_id)
        return [int(r[0]) for r in await self.conn.execute(query)]


class FanRepo(Repo):
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
        await self.conn.execute(
            insert_ignoring_duplicates(fan_events, event_id=event_id, user_id=user_id, held=0, bought=0)
        )
        f = fan_events.c
        no_open_cart = or_(f.hold_id.is_(None), f.hold_expires_at <= now)
        # Purchases count against the limit (giving tickets away does not free it), and so do tickets
        # in hand (gifts cannot gather past it).
        within_limit = and_(f.bought + quantity <= limit, f.holding + quantity <= limit)
        statement = (
            update(fan_events)
            .where(f.event_id == event_id, f.user_id == user_id, no_open_cart, within_limit)
            .values(hold_id=hold_id, held=quantity, hold_expires_at=expires_at)
        )
        return (await self.conn.execute(statement)).rowcount == 1

    async def standing(self, event_id: int, user_id: int) -> FanStanding:
        f = fan_events.c
        query = select(f.hold_id, f.held, f.hold_expires_at, f.bought, f.holding).where(
            f.event_id == event_id, f.user_id == user_id
        )
        row = (await self.conn.execute(query)).first()
        if row is None:
            return FanStanding(None, 0, None, 0, 0)
        return FanStanding(row[0], row[1], row[2], row[3], row[4])

    async def close_cart(self, event_id: int, user_id: int, hold_id: int, bought: int) -> None:
        f = fan_events.c
        statement = (
            update(fan_events)
            .where(f.event_id == event_id, f.user_id == user_id, f.hold_id == hold_id)
            .values(
                hold_id=None,
                held=0,
                hold_expires_at=None,
                bought=f.bought + bought,
                holding=f.holding + bought,
            )
        )
        await self.conn.execute(statement)

    async def wait(self, event_id: int, user_id: int, quantity: int, limit: int, now: datetime) -> bool:
        f = fan_events.c
        return await self._add_within(event_id, user_id, now, quantity, limit, (f.bought, f.holding))

    async def receive(self, event_id: int, user_id: int, quantity: int, limit: int, now: datetime) -> bool:
        return await self._add_within(event_id, user_id, now, quantity, limit, (fan_events.c.holding,))

    async def _add_within(
        self, event_id: int, user_id: int, now: datetime, quantity: int, limit: int, counts: tuple[Any, ...]
    ) -> bool:
        """Adds ``quantity`` to each of ``counts`` unless one, with a live cart, would pass ``limit``."""
        await self.conn.execute(
            insert_ignoring_duplicates(fan_events, event_id=event_id, user_id=user_id, held=0, bought=0)
        )
        f = fan_events.c
        open_cart = case((f.hold_expires_at > now, f.held), else_=0)
        within = [count + open_cart + quantity <= limit for count in counts]
        statement = (
            update(fan_events)
            .where(f.event_id == event_id, f.user_id == user_id, *within)
            .values({count: count + quantity for count in counts})
        )
        return (await self.conn.execute(statement)).rowcount == 1

    async def let_go(self, event_id: int, user_id: int, quantity: int) -> None:
        f = fan_events.c
        statement = (
            update(fan_events)
            .where(f.event_id == event_id, f.user_id == user_id, f.holding >= quantity)
            .values(holding=f.holding - quantity)
        )
        await self.conn.execute(statement)

    async def returned(self, event_id: int, user_id: int, quantity: int) -> None:
        f = fan_events.c
        statement = (
            update(fan_events)
            .where(f.event_id == event_id, f.user_id == user_id, f.bought >= quantity)
            .values(bought=f.bought - quantity)
        )
        await self.conn.execute(statement)
