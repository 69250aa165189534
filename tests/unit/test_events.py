"""Creating, publishing, showing and editing events."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest

from core.clock import FrozenClock
from core.errors import (
    EventNotEditable,
    EventNotFound,
    GuildNotConfigured,
    InvalidEvent,
    InvalidLayout,
    NotOrganizer,
    NotYourEvent,
)
from core.models import EventStatus, SeatStatus
from core.services.booking import ConfirmHold, HoldSeats, confirm_hold, hold_seats
from core.services.events import (
    CreateEvent,
    EditEvent,
    create_event,
    edit_event,
    event_details,
    publish_event,
)
from core.services.guilds import ConfigureGuild, configure_guild
from core.services.wallet import ledger_totals
from tests.support.builders import (
    ORGANIZER,
    ORGANIZER_ROLE,
    admin,
    fan,
    fund,
    key,
    on_sale_event,
    organizer,
    set_up_guild,
)
from tests.unit.fakes import FakeUnitOfWork

FAN = 7


@pytest.fixture
async def uow() -> AsyncIterator[FakeUnitOfWork]:
    fake = FakeUnitOfWork()
    await set_up_guild(fake)
    yield fake
    assert (await ledger_totals(fake)).balanced, "every scenario must leave the ledger balanced"


def at(clock: FrozenClock, changes: dict[str, Any]) -> dict[str, Any]:
    """Times in a parametrized case are offsets from now, since the clock is a fixture."""
    return {k: clock.now() + v if isinstance(v, timedelta) else v for k, v in changes.items()}


def concert(clock: FrozenClock, **changes: Any) -> CreateEvent:
    valid = CreateEvent(
        caller=organizer(),
        title="  Spring Concert ",
        starts_at=clock.now() + timedelta(days=30),
        sale_opens_at=clock.now() + timedelta(days=1),
        layout="VIP:A x 1-4 @ 5000; R:B-C x 1-5 @ 1000",
    )
    return replace(valid, **at(clock, changes))


async def test_a_new_event_is_a_draft_with_its_seats_on_the_map(
    uow: FakeUnitOfWork, clock: FrozenClock
) -> None:
    event = await create_event(concert(clock), uow, clock)

    assert (event.title, event.status, event.organizer_id) == ("Spring Concert", EventStatus.DRAFT, ORGANIZER)
    details = await event_details(event.id, fan(ORGANIZER), uow, clock)
    assert [(s.name, s.price, s.available, s.held, s.sold) for s in details.sections] == [
        ("VIP", 5000, 4, 0, 0),
        ("R", 1000, 10, 0, 0),
    ]
    assert len(details.seats) == 14 and details.free == 14


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"title": "   "}, "title"),
        ({"title": "x" * 101}, "title"),
        ({"starts_at": timedelta(0)}, "starts_in_past"),
        ({"sale_opens_at": timedelta(days=30)}, "sale_after_start"),
        ({"per_user_limit": 0}, "per_user_limit"),
        ({"per_user_limit": 11}, "per_user_limit"),
        ({"hold_minutes": 0}, "hold_minutes"),
        ({"hold_minutes": 31}, "hold_minutes"),
        ({"category": "rave"}, "category"),
        ({"layout": None}, "layout_or_capacity"),
        ({"ga_capacity": 10, "ga_price": 100}, "layout_or_capacity"),
        ({"layout": None, "ga_capacity": 0, "ga_price": 100}, "capacity"),
        ({"layout": None, "ga_capacity": 100_001, "ga_price": 100}, "capacity"),
        ({"layout": None, "ga_capacity": 10}, "price"),
        ({"layout": None, "ga_capacity": 10, "ga_price": -1}, "price"),
    ],
)
async def test_an_invalid_event_is_refused_and_nothing_is_stored(
    uow: FakeUnitOfWork, clock: FrozenClock, changes: dict[str, Any], reason: str
) -> None:
    cmd = concert(clock, **changes)
    before = uow.snapshot()

    with pytest.raises(InvalidEvent) as refused:
        await create_event(cmd, uow, clock)

    assert refused.value.params["reason"] == reason
    assert uow.snapshot() == before


async def test_an_event_with_a_bad_layout_is_refused_and_nothing_is_stored(
    uow: FakeUnitOfWork, clock: FrozenClock
) -> None:
    before = uow.snapshot()

    with pytest.raises(InvalidLayout) as refused:
        await create_event(concert(clock, layout="VIP:A x 1-4 @ 5000; vip:B x 1-5 @ 1000"), uow, clock)

    assert (refused.value.params["part"], refused.value.params["reason"]) == (2, "duplicate_section")
    assert uow.snapshot() == before


async def test_only_members_with_the_organizer_role_may_create_events(clock: FrozenClock) -> None:
    uow = FakeUnitOfWork()
    before = uow.snapshot()
    with pytest.raises(GuildNotConfigured):
        await create_event(concert(clock), uow, clock)
    assert uow.snapshot() == before

    await set_up_guild(uow)
    before = uow.snapshot()
    with pytest.raises(NotOrganizer):
        await create_event(
            concert(clock, caller=replace(organizer(), role_ids=frozenset({1, 2}))), uow, clock
        )
    # Nothing stands for "trusted": a member with no roles at all is just a member.
    with pytest.raises(NotOrganizer):
        await create_event(concert(clock, caller=fan(FAN)), uow, clock)
    assert uow.snapshot() == before

    roles = frozenset({2, ORGANIZER_ROLE})
    event = await create_event(concert(clock, caller=replace(organizer(), role_ids=roles)), uow, clock)
    assert event.status is EventStatus.DRAFT


async def test_publishing_is_for_the_organizer_and_happens_once(
    uow: FakeUnitOfWork, clock: FrozenClock
) -> None:
    await configure_guild(ConfigureGuild(admin(), ORGANIZER_ROLE, 4242), uow)
    draft = await create_event(concert(clock), uow, clock)
    before = uow.snapshot()

    # Someone else's draft is not found rather than refused by name, so its title stays private.
    with pytest.raises(EventNotFound):
        await publish_event(draft.id, fan(FAN), uow, clock)
    with pytest.raises(EventNotFound):
        await publish_event(draft.id + 1, organizer(), uow, clock)
    assert uow.snapshot() == before

    first = await publish_event(draft.id, organizer(), uow, clock)
    again = await publish_event(draft.id, organizer(), uow, clock)
    with pytest.raises(NotYourEvent):
        await publish_event(draft.id, fan(FAN), uow, clock)
    assert (first.event.status, first.announce_channel_id, first.newly) == (EventStatus.PUBLISHED, 4242, True)
    assert (again.event.status, again.newly) == (EventStatus.PUBLISHED, False)


async def test_a_draft_whose_start_has_passed_cannot_be_published(
    uow: FakeUnitOfWork, clock: FrozenClock
) -> None:
    draft = await create_event(concert(clock), uow, clock)
    clock.set(draft.starts_at)
    before = uow.snapshot()

    with pytest.raises(InvalidEvent):
        await publish_event(draft.id, organizer(), uow, clock)

    assert uow.snapshot() == before


async def test_a_draft_is_visible_to_its_organizer_only(uow: FakeUnitOfWork, clock: FrozenClock) -> None:
    draft = await create_event(concert(clock), uow, clock)

    assert (await event_details(draft.id, fan(ORGANIZER), uow, clock)).event.id == draft.id
    with pytest.raises(EventNotFound):
        await event_details(draft.id, fan(FAN), uow, clock)
    with pytest.raises(EventNotFound):
        await event_details(draft.id + 1, fan(ORGANIZER), uow, clock)

    await publish_event(draft.id, organizer(), uow, clock)
    assert (await event_details(draft.id, fan(FAN), uow, clock)).event.status is EventStatus.PUBLISHED


async def test_details_count_a_lapsed_hold_as_free(uow: FakeUnitOfWork, clock: FrozenClock) -> None:
    event = await on_sale_event(uow, clock, layout="R:A x 1-4 @ 1000", hold_minutes=10)
    await fund(uow, clock, FAN, 5000)
    seat_ids = uow.seat_ids(event.id, "R A1", "R A2")
    await hold_seats(HoldSeats(event.id, fan(FAN), key(), seat_ids=seat_ids), uow, clock)

    live = await event_details(event.id, fan(FAN), uow, clock)
    clock.advance(timedelta(minutes=10))
    lapsed = await event_details(event.id, fan(FAN), uow, clock)

    assert [(s.available, s.held) for s in live.sections] == [(2, 2)]
    assert [s.status for s in live.seats][:2] == [SeatStatus.HELD] * 2
    assert [(s.available, s.held) for s in lapsed.sections] == [(4, 0)]
    assert [s.status for s in lapsed.seats] == [SeatStatus.AVAILABLE] * 4


async def test_general_admission_details_show_places_left(uow: FakeUnitOfWork, clock: FrozenClock) -> None:
    event = await on_sale_event(uow, clock, layout=None, ga_capacity=50, ga_price=300)
    await fund(uow, clock, FAN, 5000)
    await hold_seats(HoldSeats(event.id, fan(FAN), key(), quantity=3), uow, clock)

    details = await event_details(event.id, fan(FAN), uow, clock)

    assert (details.ga_taken, details.free, details.sections, details.seats) == (3, 47, [], [])


async def test_once_a_ticket_is_sold_only_the_wording_may_change(
    uow: FakeUnitOfWork, clock: FrozenClock
) -> None:
    event = await on_sale_event(uow, clock)
    await fund(uow, clock, FAN, 5000)
    held = await hold_seats(
        HoldSeats(event.id, fan(FAN), key(), seat_ids=uow.seat_ids(event.id, "R A1")), uow, clock
    )
    await confirm_hold(ConfirmHold(held.hold.id, fan(FAN), key()), uow, clock)
    before = uow.snapshot()

    with pytest.raises(EventNotEditable) as refused:
        await edit_event(
            EditEvent(
                event.id, organizer(), title="New Title", starts_at=event.starts_at + timedelta(days=1)
            ),
            uow,
            clock,
        )
    assert refused.value.params["fields"] == ("starts_at",)
    assert uow.snapshot() == before

    edited = await edit_event(
        EditEvent(event.id, organizer(), title=" Autumn Concert ", venue="Hall B"), uow, clock
    )
    assert (edited.title, edited.venue, edited.starts_at) == ("Autumn Concert", "Hall B", event.starts_at)


@pytest.mark.parametrize(
    ("edit", "error"),
    [
        ({"sale_opens_at": timedelta(days=30)}, InvalidEvent),
        ({"starts_at": timedelta(0)}, InvalidEvent),
        ({"per_user_limit": 11}, InvalidEvent),
        ({"category": "rave"}, InvalidEvent),
        ({}, InvalidEvent),
        ({"caller": fan(FAN), "title": "Mine now"}, EventNotFound),
    ],
)
async def test_an_invalid_edit_is_refused_and_changes_nothing(
    uow: FakeUnitOfWork, clock: FrozenClock, edit: dict[str, Any], error: type[Exception]
) -> None:
    event = await create_event(concert(clock), uow, clock)
    cmd = replace(EditEvent(event.id, organizer()), **at(clock, edit))
    before = uow.snapshot()

    with pytest.raises(error):
        await edit_event(cmd, uow, clock)

    assert uow.snapshot() == before
