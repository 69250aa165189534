"""Best available on every back end, with rows longer than a page of free seats: the block chosen is
the one a fan would pick from the whole row, and a block is found wherever it is in the row."""

from __future__ import annotations

from core.clock import FrozenClock
from core.models import Event
from core.ports import UnitOfWork
from core.services.booking import HoldSeats, hold_seats
from core.services.events import event_details
from tests.support.builders import ORGANIZER, fan, fund, key, on_sale_event

FAN = 7


async def take(uow: UnitOfWork, clock: FrozenClock, event: Event, *labels: str) -> None:
    """Other fans hold these seats, ten at most each."""
    async with uow.for_reading():
        by_label = {s.label: s.id for s in await uow.seats.seat_map(event.id, clock.now())}
    for start in range(0, len(labels), 10):
        other = 1000 + start
        await fund(uow, clock, other, 100)
        seat_ids = tuple(by_label[label] for label in labels[start : start + 10])
        await hold_seats(HoldSeats(event.id, fan(other), key(), seat_ids=seat_ids), uow, clock)


async def best(uow: UnitOfWork, clock: FrozenClock, event: Event, quantity: int) -> list[str]:
    section_id = (await event_details(event.id, fan(ORGANIZER), uow, clock)).sections[0].section_id
    await fund(uow, clock, FAN, 100_000)
    wanted = HoldSeats(event.id, fan(FAN), key(), section_id=section_id, quantity=quantity)
    return [s.label for s in (await hold_seats(wanted, uow, clock)).seats]


async def test_a_long_front_row_gives_its_centre(any_uow: UnitOfWork, clock: FrozenClock) -> None:
    event = await on_sale_event(any_uow, clock, layout="R:A-C x 1-40 @ 1")

    assert await best(any_uow, clock, event, 2) == ["R A20", "R A21"]


async def test_the_only_block_left_is_found_at_the_end_of_a_long_row(
    any_uow: UnitOfWork, clock: FrozenClock
) -> None:
    event = await on_sale_event(any_uow, clock, layout="R:A x 1-30 @ 1", per_user_limit=10)
    # Every other seat up to 22, and 25 to 30, are taken: A23 and A24 are the only two side by side.
    taken = [*range(2, 23, 2), *range(25, 31)]
    await take(any_uow, clock, event, *(f"R A{n}" for n in taken))

    assert await best(any_uow, clock, event, 2) == ["R A23", "R A24"]


async def test_a_row_past_the_first_page_is_reached(any_uow: UnitOfWork, clock: FrozenClock) -> None:
    event = await on_sale_event(any_uow, clock, layout="R:A-C x 1-40 @ 1", per_user_limit=10)
    # Row A is scattered single seats; row B is full; row C is free.
    await take(
        any_uow, clock, event, *(f"R A{n}" for n in range(2, 41, 2)), *(f"R B{n}" for n in range(1, 41))
    )

    assert await best(any_uow, clock, event, 3) == ["R C19", "R C20", "R C21"]
