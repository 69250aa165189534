"""The storage contract: what each repository method promises, on SQLite, on MariaDB and on the
in-memory fake the unit tests run on, so a rule proven against the fake holds on the databases."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import cast

import pytest
from sqlalchemy import update
from sqlalchemy.exc import IntegrityError

from core.errors import DuplicateKey, InsufficientFunds
from core.layout import parse_layout
from core.ledger import Account, AccountKind, Transfer
from core.models import (
    Event,
    EventQuery,
    EventStatus,
    GuildConfig,
    HoldStatus,
    NoticeStatus,
    SeatStatus,
    TicketStatus,
)
from core.ports import NewEvent, NewHold, NewTicket, UnitOfWork
from db.schema import accounts
from db.uow import SqlUnitOfWork
from tests.support.builders import key
from tests.unit.fakes import ConstraintViolation, FakeUnitOfWork

NOW = datetime(2030, 5, 1, 12, 0, 0)
LATER = NOW + timedelta(minutes=10)
GUILD = 1
ORGANIZER = 900
FAN = 7


def new_event(
    *,
    title: str = "Spring Concert",
    venue: str = "Olympic Hall",
    category: str = "concert",
    starts_at: datetime = NOW + timedelta(days=30),
    guild_id: int = GUILD,
    organizer_id: int = ORGANIZER,
    ga_capacity: int | None = None,
) -> NewEvent:
    return NewEvent(
        guild_id=guild_id,
        organizer_id=organizer_id,
        title=title,
        description="",
        venue=venue,
        category=category,
        starts_at=starts_at,
        sale_opens_at=NOW - timedelta(days=1),
        per_user_limit=4,
        hold_minutes=10,
        currency="KRW",
        ga_capacity=ga_capacity,
        ga_price=500 if ga_capacity is not None else None,
        refund_cutoff_hours=24,
        created_at=NOW,
    )


async def seated_event(uow: UnitOfWork, layout: str = "R:A x 1-4 @ 1000") -> tuple[int, list[int]]:
    """A committed event and its seat ids in map order."""
    async with uow:
        event_id = await uow.events.add(new_event())
        await uow.seats.add_layout(event_id, parse_layout(layout))
        seat_ids = [s.id for s in await uow.seats.seat_map(event_id, NOW)]
        await uow.commit()
    return event_id, seat_ids


async def add_hold(
    uow: UnitOfWork,
    event_id: int,
    seat_ids: list[int] | tuple[int, ...] = (),
    *,
    user_id: int = FAN,
    expires_at: datetime = LATER,
    client_key: str | None = None,
) -> int:
    """Inside an open unit of work: a hold row, with its seats claimed when there are any."""
    hold_id = await uow.holds.add(
        NewHold(
            event_id=event_id,
            user_id=user_id,
            quantity=max(len(seat_ids), 1),
            amount=1000 * len(seat_ids),
            seat_ids=tuple(seat_ids),
            expires_at=expires_at,
            client_key=client_key or key("hold"),
            created_at=NOW,
        )
    )
    if seat_ids:
        assert await uow.seats.claim(event_id, seat_ids, hold_id, expires_at, NOW) == len(seat_ids)
    return hold_id


async def statuses(uow: UnitOfWork, event_id: int, seat_ids: list[int]) -> list[SeatStatus]:
    """Stored statuses, in the order of ``seat_ids``."""
    by_id = {s.id: s.status for s in await uow.seats.seats(event_id, seat_ids)}
    return [by_id[i] for i in seat_ids]


def topup(user_id: int, amount: int, txn_key: str | None = None) -> Transfer:
    return Transfer(txn_key or key("topup"), Account.provider(), Account.wallet(user_id), amount, "topup")


# Transactions


async def test_leaving_without_commit_discards_everything(any_uow: UnitOfWork) -> None:
    event_id, seat_ids = await seated_event(any_uow)
    async with any_uow:
        ga_event = await any_uow.events.add(new_event(ga_capacity=10))
        hold_id = await add_hold(any_uow, event_id, seat_ids[:2], client_key="kept-out")
        assert await any_uow.general_admission.claim(ga_event, 3)
        assert await any_uow.fans.reserve(event_id, FAN, hold_id, 2, 4, NOW, LATER)
        await any_uow.ledger.post(topup(FAN, 5000), NOW)
        await any_uow.guilds.save(GuildConfig(GUILD, 55, None))
        # Inside the transaction its own writes are visible...
        assert await any_uow.ledger.balance(Account.wallet(FAN)) == 5000

    async with any_uow:
        # ...and after leaving without commit none of them are.
        assert await any_uow.events.get(ga_event) is None
        assert await any_uow.holds.by_client_key("kept-out") is None
        assert await statuses(any_uow, event_id, seat_ids) == [SeatStatus.AVAILABLE] * 4
        assert (await any_uow.fans.standing(event_id, FAN)).hold_id is None
        assert await any_uow.ledger.balance(Account.wallet(FAN)) == 0
        assert await any_uow.ledger.entries(Account.wallet(FAN), 10) == []
        assert await any_uow.guilds.get(GUILD) is None


async def test_an_exception_inside_the_unit_of_work_rolls_it_back(any_uow: UnitOfWork) -> None:
    with pytest.raises(RuntimeError, match="boom"):
        async with any_uow:
            await any_uow.ledger.post(topup(FAN, 700), NOW)
            await any_uow.commit()
            await any_uow.ledger.post(topup(FAN, 300), NOW)
            raise RuntimeError("boom")

    async with any_uow:
        # The first posting was committed; the second was not.
        assert await any_uow.ledger.balance(Account.wallet(FAN)) == 700
        assert len(await any_uow.ledger.entries(Account.wallet(FAN), 10)) == 1


async def test_committed_work_is_seen_by_the_next_transaction(any_uow: UnitOfWork) -> None:
    async with any_uow:
        event_id = await any_uow.events.add(new_event(title="Committed"))
        await any_uow.commit()
    async with any_uow:
        event = await any_uow.events.get(event_id)
    assert event is not None and event.title == "Committed"


# Events and guilds


async def test_an_event_reads_back_as_a_draft_with_what_was_stored(any_uow: UnitOfWork) -> None:
    stored = new_event(ga_capacity=120)
    async with any_uow:
        event_id = await any_uow.events.add(stored)
        event = await any_uow.events.get(event_id)
        missing = await any_uow.events.get(event_id + 1000)
        taken = await any_uow.general_admission.taken(event_id)
    assert event is not None and missing is None
    assert (event.id, event.status, event.title, event.starts_at) == (
        event_id,
        EventStatus.DRAFT,
        stored.title,
        stored.starts_at,
    )
    assert (event.ga_capacity, event.ga_price, event.per_user_limit, event.use_queue) == (120, 500, 4, False)
    assert taken == 0


async def test_set_status_and_update_change_only_what_they_name(any_uow: UnitOfWork) -> None:
    async with any_uow:
        event_id = await any_uow.events.add(new_event(title="Before"))
        await any_uow.events.set_status(event_id, EventStatus.PUBLISHED)
        await any_uow.events.update(event_id, {"title": "After", "per_user_limit": 2})
        await any_uow.commit()
    async with any_uow:
        event = await any_uow.events.get(event_id)
    assert event is not None
    assert (event.status, event.title, event.per_user_limit, event.venue) == (
        EventStatus.PUBLISHED,
        "After",
        2,
        "Olympic Hall",
    )


async def test_upcoming_lists_published_future_events_of_the_guild_soonest_first(
    any_uow: UnitOfWork,
) -> None:
    day = timedelta(days=1)
    async with any_uow:
        ids: dict[str, int] = {}
        for name, event in {
            "late": new_event(title="Late Show", starts_at=NOW + 9 * day),
            "early": new_event(title="Early Show", starts_at=NOW + 2 * day, venue="Jazz Club"),
            "musical": new_event(title="Cats", category="musical", starts_at=NOW + 5 * day),
            "past": new_event(title="Past Show", starts_at=NOW - day),
            "other_guild": new_event(title="Elsewhere", guild_id=2),
            "draft": new_event(title="Draft Show"),
        }.items():
            ids[name] = await any_uow.events.add(event)
            if name != "draft":
                await any_uow.events.set_status(ids[name], EventStatus.PUBLISHED)
        everything = await any_uow.events.upcoming(EventQuery(GUILD), NOW)
        page_two = await any_uow.events.upcoming(EventQuery(GUILD, offset=1, limit=1), NOW)
        concerts = await any_uow.events.upcoming(EventQuery(GUILD, category="concert"), NOW)
        by_venue = await any_uow.events.upcoming(EventQuery(GUILD, keyword="jazz"), NOW)
        by_title = await any_uow.events.upcoming(EventQuery(GUILD, keyword="SHOW"), NOW)
        window = await any_uow.events.upcoming(
            EventQuery(GUILD, starts_from=NOW + 2 * day, starts_to=NOW + 9 * day), NOW
        )
        wildcard = await any_uow.events.upcoming(EventQuery(GUILD, keyword="%"), NOW)

    def names(found: tuple[list[Event], int]) -> tuple[list[int], int]:
        events, total = found
        return [e.id for e in events], total

    assert names(everything) == ([ids["early"], ids["musical"], ids["late"]], 3)
    assert names(page_two) == ([ids["musical"]], 3)
    assert names(concerts) == ([ids["early"], ids["late"]], 2)
    assert names(by_venue) == ([ids["early"]], 1)
    assert names(by_title) == ([ids["early"], ids["late"]], 2)
    # starts_from is inclusive and starts_to exclusive.
    assert names(window) == ([ids["early"], ids["musical"]], 2)
    assert names(wildcard) == ([], 0)


async def test_search_shows_upcoming_events_and_only_the_viewers_own_drafts(any_uow: UnitOfWork) -> None:
    async with any_uow:
        published = await any_uow.events.add(new_event(title="Rock Night"))
        await any_uow.events.set_status(published, EventStatus.PUBLISHED)
        mine = await any_uow.events.add(new_event(title="rock draft", starts_at=NOW + timedelta(days=40)))
        theirs = await any_uow.events.add(new_event(title="Rock Secret", organizer_id=901))
        cancelled = await any_uow.events.add(new_event(title="Rock Cancelled"))
        await any_uow.events.set_status(cancelled, EventStatus.CANCELLED)
        await any_uow.events.add(new_event(title="Jazz Night"))
        as_organizer = await any_uow.events.search(GUILD, ORGANIZER, "ROCK", NOW, 10)
        as_other = await any_uow.events.search(GUILD, 901, "rock", NOW, 10)
        first_only = await any_uow.events.search(GUILD, ORGANIZER, "", NOW, 1)
    assert [e.id for e in as_organizer] == [published, mine]
    assert [e.id for e in as_other] == [published, theirs]
    assert [e.id for e in first_only] == [published]


async def test_guild_settings_are_saved_and_replaced(any_uow: UnitOfWork) -> None:
    async with any_uow:
        await any_uow.guilds.save(GuildConfig(GUILD, 55, 66))
        await any_uow.guilds.save(GuildConfig(GUILD, 77, None))
        await any_uow.commit()
    async with any_uow:
        assert await any_uow.guilds.get(GUILD) == GuildConfig(GUILD, 77, None)
        await any_uow.guilds.save(GuildConfig(GUILD, 77, None, "ko"))
        assert await any_uow.guilds.get(GUILD) == GuildConfig(GUILD, 77, None, "ko")
        assert await any_uow.guilds.get(2) is None


# Seats


async def test_layout_seats_come_back_in_map_order_with_section_and_price(any_uow: UnitOfWork) -> None:
    async with any_uow:
        event_id = await any_uow.events.add(new_event())
        other_event = await any_uow.events.add(new_event())
        count = await any_uow.seats.add_layout(
            event_id, parse_layout("VIP:A x 1-2 @ 5000; R:B-C x 1-2 @ 1000")
        )
        await any_uow.seats.add_layout(other_event, parse_layout("R:A x 1-2 @ 1000"))
        seat_map = await any_uow.seats.seat_map(event_id, NOW)
        others = await any_uow.seats.seat_map(other_event, NOW)
        # Asked in reverse, with a seat of another event mixed in.
        wanted = [s.id for s in reversed(seat_map)] + [others[0].id]
        fetched = await any_uow.seats.seats(event_id, wanted)
    assert count == 6
    assert [(s.label, s.price) for s in seat_map] == [
        ("VIP A1", 5000),
        ("VIP A2", 5000),
        ("R B1", 1000),
        ("R B2", 1000),
        ("R C1", 1000),
        ("R C2", 1000),
    ]
    assert fetched == seat_map


async def test_claim_returns_how_many_seats_it_took_and_refuses_held_or_sold_ones(
    any_uow: UnitOfWork,
) -> None:
    event_id, (held, sold, free, _) = await seated_event(any_uow)
    async with any_uow:
        first = await add_hold(any_uow, event_id, [held, sold])
        assert await any_uow.seats.sell_held(first, [sold]) == 1
        second = await add_hold(any_uow, event_id, [], user_id=8)
        claimed = await any_uow.seats.claim(event_id, [held, sold, free], second, LATER, NOW)
        seats = {s.id: s for s in await any_uow.seats.seats(event_id, [held, sold, free])}
    assert claimed == 1
    assert [seats[i].status for i in (held, sold, free)] == [
        SeatStatus.HELD,
        SeatStatus.SOLD,
        SeatStatus.HELD,
    ]


async def test_seats_of_a_lapsed_hold_can_be_claimed_even_before_the_sweep(any_uow: UnitOfWork) -> None:
    event_id, seat_ids = await seated_event(any_uow)
    async with any_uow:
        lapsed = await add_hold(any_uow, event_id, seat_ids[:2], expires_at=NOW)
        await any_uow.commit()
    async with any_uow:
        buyer = await add_hold(any_uow, event_id, [], user_id=8)
        claimed = await any_uow.seats.claim(event_id, seat_ids[:2], buyer, LATER, NOW)
        # The lapsed hold can no longer sell them: they belong to the new hold now.
        sold = await any_uow.seats.sell_held(lapsed, seat_ids[:2])
        released = await any_uow.seats.release_held(lapsed)
        sold_by_buyer = await any_uow.seats.sell_held(buyer, seat_ids[:2])
    assert (claimed, sold, released, sold_by_buyer) == (2, 0, 0, 2)


async def test_a_seat_is_claimable_at_the_moment_its_hold_runs_out_and_not_before(
    any_uow: UnitOfWork,
) -> None:
    event_id, seat_ids = await seated_event(any_uow)
    async with any_uow:
        await add_hold(any_uow, event_id, seat_ids[:1], expires_at=LATER)
        other = await add_hold(any_uow, event_id, [], user_id=8)
        early = await any_uow.seats.claim(event_id, seat_ids[:1], other, LATER, LATER - timedelta(seconds=1))
        on_time = await any_uow.seats.claim(
            event_id, seat_ids[:1], other, LATER + timedelta(minutes=10), LATER
        )
    assert (early, on_time) == (0, 1)


async def test_section_seats_show_lapsed_holds_as_free(any_uow: UnitOfWork) -> None:
    event_id, (live, lapsed, sold, free) = await seated_event(any_uow)
    async with any_uow:
        await add_hold(any_uow, event_id, [live])
        await add_hold(any_uow, event_id, [lapsed], expires_at=NOW - timedelta(minutes=1))
        seller = await add_hold(any_uow, event_id, [sold])
        await any_uow.seats.sell_held(seller, [sold])
        section_id = (await any_uow.seats.seats(event_id, [free]))[0].section_id
        page = await any_uow.seats.free_page(event_id, section_id, NOW, ("", 0), 10)
        availability = await any_uow.seats.availability(event_id, NOW)
        seat_map = await any_uow.seats.seat_map(event_id, NOW)
    assert [(s.id, s.status) for s in page.seats] == [
        (lapsed, SeatStatus.AVAILABLE),
        (free, SeatStatus.AVAILABLE),
    ]
    assert page.row_span == (1, 4)
    listed = seat_map
    shown = {s.id: s.status for s in listed}
    assert shown == {
        live: SeatStatus.HELD,
        lapsed: SeatStatus.AVAILABLE,
        sold: SeatStatus.SOLD,
        free: SeatStatus.AVAILABLE,
    }
    [section] = availability
    assert (section.section_id, section.name, section.price) == (section_id, "R", 1000)
    assert (section.available, section.held, section.sold) == (2, 1, 1)
    assert [s.status for s in seat_map] == [
        SeatStatus.HELD,
        SeatStatus.AVAILABLE,
        SeatStatus.SOLD,
        SeatStatus.AVAILABLE,
    ]


async def test_sell_held_sells_only_seats_held_by_that_hold(any_uow: UnitOfWork) -> None:
    event_id, (mine, theirs, free, _) = await seated_event(any_uow)
    async with any_uow:
        my_hold = await add_hold(any_uow, event_id, [mine])
        await add_hold(any_uow, event_id, [theirs], user_id=8)
        sold = await any_uow.seats.sell_held(my_hold, [mine, theirs, free])
        again = await any_uow.seats.sell_held(my_hold, [mine])
        after = await statuses(any_uow, event_id, [mine, theirs, free])
    assert (sold, again) == (1, 0)
    assert after == [SeatStatus.SOLD, SeatStatus.HELD, SeatStatus.AVAILABLE]


async def test_release_held_frees_that_holds_unsold_seats_and_release_sold_a_sold_one(
    any_uow: UnitOfWork,
) -> None:
    event_id, (kept, sold, theirs, _) = await seated_event(any_uow)
    async with any_uow:
        hold = await add_hold(any_uow, event_id, [kept, sold])
        await any_uow.seats.sell_held(hold, [sold])
        await add_hold(any_uow, event_id, [theirs], user_id=8)
        released = await any_uow.seats.release_held(hold)
        after_release = await statuses(any_uow, event_id, [kept, sold, theirs])
        not_sold = await any_uow.seats.release_sold(kept)
        refunded = await any_uow.seats.release_sold(sold)
        after_refund = await statuses(any_uow, event_id, [kept, sold, theirs])
    assert released == 1
    assert after_release == [SeatStatus.AVAILABLE, SeatStatus.SOLD, SeatStatus.HELD]
    assert (not_sold, refunded) == (0, 1)
    assert after_refund == [SeatStatus.AVAILABLE, SeatStatus.AVAILABLE, SeatStatus.HELD]


# General admission


async def test_general_admission_never_goes_past_capacity_or_below_zero(any_uow: UnitOfWork) -> None:
    async with any_uow:
        event_id = await any_uow.events.add(new_event(ga_capacity=5))
        seated = await any_uow.events.add(new_event())
        claims = [await any_uow.general_admission.claim(event_id, q) for q in (3, 3, 2, 1)]
        full = await any_uow.general_admission.taken(event_id)
        await any_uow.general_admission.release(event_id, 6)
        too_much = await any_uow.general_admission.taken(event_id)
        await any_uow.general_admission.release(event_id, 4)
        after_release = await any_uow.general_admission.taken(event_id)
        no_capacity_row = await any_uow.general_admission.claim(seated, 1)
    assert claims == [True, False, True, False]
    assert (full, too_much, after_release) == (5, 5, 1)
    assert no_capacity_row is False


# Holds


async def test_a_hold_reads_back_by_id_and_by_client_key(any_uow: UnitOfWork) -> None:
    event_id, seat_ids = await seated_event(any_uow)
    async with any_uow:
        hold_id = await add_hold(any_uow, event_id, seat_ids[1:3], client_key="cart-1")
        by_id = await any_uow.holds.get(hold_id)
        by_key = await any_uow.holds.by_client_key("cart-1")
        unknown = await any_uow.holds.by_client_key("cart-2")
    assert by_id is not None and by_id == by_key and unknown is None
    assert (by_id.event_id, by_id.user_id, by_id.quantity, by_id.amount) == (event_id, FAN, 2, 2000)
    assert (by_id.seat_ids, by_id.status, by_id.expires_at) == (
        tuple(seat_ids[1:3]),
        HoldStatus.ACTIVE,
        LATER,
    )


async def test_a_reused_hold_client_key_raises_duplicate_key_and_keeps_the_first(any_uow: UnitOfWork) -> None:
    event_id, seat_ids = await seated_event(any_uow)
    async with any_uow:
        first = await add_hold(any_uow, event_id, seat_ids[:1], client_key="cart-1")
        with pytest.raises(DuplicateKey):
            await add_hold(any_uow, event_id, [], user_id=8, client_key="cart-1")
        # The transaction survives the refusal, as a service relies on.
        kept = await any_uow.holds.by_client_key("cart-1")
    assert kept is not None and (kept.id, kept.user_id) == (first, FAN)


async def test_finish_moves_an_active_hold_once_and_only_if_live_when_asked(any_uow: UnitOfWork) -> None:
    event_id, _ = await seated_event(any_uow)
    async with any_uow:
        lapsed = await add_hold(any_uow, event_id, expires_at=NOW)
        live = await add_hold(any_uow, event_id, user_id=8)
        lapsed_confirm = await any_uow.holds.finish(lapsed, HoldStatus.CONFIRMED, NOW, only_if_live=True)
        lapsed_expire = await any_uow.holds.finish(lapsed, HoldStatus.EXPIRED, NOW, only_if_live=False)
        live_confirm = await any_uow.holds.finish(live, HoldStatus.CONFIRMED, NOW, only_if_live=True)
        live_release = await any_uow.holds.finish(live, HoldStatus.RELEASED, NOW, only_if_live=False)
        finished = [await any_uow.holds.get(h) for h in (lapsed, live)]
    assert (lapsed_confirm, lapsed_expire, live_confirm, live_release) == (False, True, True, False)
    assert [h.status for h in finished if h] == [HoldStatus.EXPIRED, HoldStatus.CONFIRMED]


async def test_due_lists_active_holds_that_ran_out_oldest_first(any_uow: UnitOfWork) -> None:
    event_id, _ = await seated_event(any_uow)
    minute = timedelta(minutes=1)
    async with any_uow:
        newer = await add_hold(any_uow, event_id, expires_at=NOW - minute)
        oldest = await add_hold(any_uow, event_id, expires_at=NOW - 5 * minute)
        on_the_dot = await add_hold(any_uow, event_id, expires_at=NOW)
        await add_hold(any_uow, event_id, expires_at=NOW + minute)
        done = await add_hold(any_uow, event_id, expires_at=NOW - 9 * minute)
        await any_uow.holds.finish(done, HoldStatus.RELEASED, NOW, only_if_live=False)
        due = await any_uow.holds.due(NOW, 10)
        first_two = await any_uow.holds.due(NOW, 2)
    assert due == [oldest, newer, on_the_dot]
    assert first_two == [oldest, newer]


# The per-fan cart


async def test_reserve_refuses_a_second_live_cart_until_the_first_runs_out(any_uow: UnitOfWork) -> None:
    event_id, _ = await seated_event(any_uow)
    async with any_uow:
        first = await add_hold(any_uow, event_id)
        second = await add_hold(any_uow, event_id)
        opened = await any_uow.fans.reserve(event_id, FAN, first, 2, 4, NOW, LATER)
        refused = await any_uow.fans.reserve(event_id, FAN, second, 1, 4, NOW, LATER)
        standing = await any_uow.fans.standing(event_id, FAN)
        after_expiry = await any_uow.fans.reserve(
            event_id, FAN, second, 1, 4, LATER, LATER + timedelta(minutes=10)
        )
        other_fan = await any_uow.fans.reserve(event_id, 8, second, 1, 4, NOW, LATER)
    assert (opened, refused, after_expiry, other_fan) == (True, False, True, True)
    assert (standing.hold_id, standing.held, standing.hold_expires_at, standing.bought) == (
        first,
        2,
        LATER,
        0,
    )
    assert standing.has_open_cart(NOW) and not standing.has_open_cart(LATER)


async def test_reserve_counts_bought_tickets_against_the_limit(any_uow: UnitOfWork) -> None:
    event_id, _ = await seated_event(any_uow)
    async with any_uow:
        first, second, third = [await add_hold(any_uow, event_id) for _ in range(3)]
        assert await any_uow.fans.reserve(event_id, FAN, first, 3, 4, NOW, LATER)
        await any_uow.fans.close_cart(event_id, FAN, first, bought=3)
        over = await any_uow.fans.reserve(event_id, FAN, second, 2, 4, NOW, LATER)
        refused_standing = await any_uow.fans.standing(event_id, FAN)
        exactly = await any_uow.fans.reserve(event_id, FAN, third, 1, 4, NOW, LATER)
    assert (over, exactly) == (False, True)
    assert (refused_standing.hold_id, refused_standing.bought) == (None, 3)


async def test_close_cart_only_closes_the_cart_of_that_hold(any_uow: UnitOfWork) -> None:
    event_id, _ = await seated_event(any_uow)
    async with any_uow:
        old, current = await add_hold(any_uow, event_id), await add_hold(any_uow, event_id)
        await any_uow.fans.reserve(event_id, FAN, current, 2, 4, NOW, LATER)
        await any_uow.fans.close_cart(event_id, FAN, old, bought=2)
        untouched = await any_uow.fans.standing(event_id, FAN)
        await any_uow.fans.close_cart(event_id, FAN, current, bought=2)
        closed = await any_uow.fans.standing(event_id, FAN)
        unknown = await any_uow.fans.standing(event_id, 8)
    assert (untouched.hold_id, untouched.held, untouched.bought) == (current, 2, 0)
    assert (closed.hold_id, closed.held, closed.hold_expires_at, closed.bought, closed.holding) == (
        None,
        0,
        None,
        2,
        2,
    )
    assert (unknown.hold_id, unknown.held, unknown.bought, unknown.holding) == (None, 0, 0, 0)


async def test_returned_gives_back_bought_places_but_never_below_zero(any_uow: UnitOfWork) -> None:
    event_id, _ = await seated_event(any_uow)
    async with any_uow:
        hold_id = await add_hold(any_uow, event_id)
        await any_uow.fans.reserve(event_id, FAN, hold_id, 2, 4, NOW, LATER)
        await any_uow.fans.close_cart(event_id, FAN, hold_id, bought=2)
        await any_uow.fans.returned(event_id, FAN, 1)
        one_left = (await any_uow.fans.standing(event_id, FAN)).bought
        await any_uow.fans.returned(event_id, FAN, 2)
        still_one = (await any_uow.fans.standing(event_id, FAN)).bought
    assert (one_left, still_one) == (1, 1)


# Orders and tickets


async def test_one_order_per_hold_and_per_client_key(any_uow: UnitOfWork) -> None:
    event_id, seat_ids = await seated_event(any_uow)
    async with any_uow:
        hold_id = await add_hold(any_uow, event_id, seat_ids[:2])
        other_id = await add_hold(any_uow, event_id, seat_ids[2:3], user_id=8)
        hold, other = await any_uow.holds.get(hold_id), await any_uow.holds.get(other_id)
        assert hold is not None and other is not None
        order_id = await any_uow.orders.add(hold, "pay-1", NOW)
        with pytest.raises(DuplicateKey):
            await any_uow.orders.add(hold, "pay-2", NOW)
        with pytest.raises(DuplicateKey):
            await any_uow.orders.add(other, "pay-1", NOW)
        order = await any_uow.orders.by_hold(hold_id)
        no_order = await any_uow.orders.by_hold(other_id)
    assert order is not None and no_order is None
    assert (order.id, order.event_id, order.user_id, order.amount, order.created_at) == (
        order_id,
        event_id,
        FAN,
        2000,
        NOW,
    )


async def test_tickets_are_issued_listed_and_cancelled_once(any_uow: UnitOfWork) -> None:
    event_id, seat_ids = await seated_event(any_uow)
    async with any_uow:
        other_event = await any_uow.events.add(new_event())
        hold = await any_uow.holds.get(await add_hold(any_uow, event_id, seat_ids[:2]))
        assert hold is not None
        order_id = await any_uow.orders.add(hold, key("pay"), NOW)
        new = [NewTicket(seat_ids[0], "R A1", 1000, "s1"), NewTicket(seat_ids[1], "R A2", 1000, "s2")]
        issued = await any_uow.tickets.add_many(order_id, event_id, FAN, "nameFAN", new, NOW)
        elsewhere = await any_uow.tickets.add_many(
            order_id, other_event, FAN, "nameFAN", [NewTicket(None, None, 0, "s3")], NOW
        )
        cancelled = await any_uow.tickets.cancel(issued[0].id, NOW)
        cancelled_again = await any_uow.tickets.cancel(issued[0].id, NOW)
        for_order = await any_uow.tickets.for_order(order_id)
        for_holder = await any_uow.tickets.for_holder(FAN)
        for_event = await any_uow.tickets.for_holder(FAN, event_id)
        got = await any_uow.tickets.get(issued[0].id)
        sold = await any_uow.events.tickets_sold(event_id)
    assert [(t.seat_label, t.price, t.status, t.version, t.secret) for t in issued] == [
        ("R A1", 1000, TicketStatus.ACTIVE, 1, "s1"),
        ("R A2", 1000, TicketStatus.ACTIVE, 1, "s2"),
    ]
    assert {(t.holder_id, t.buyer_id, t.holder_name) for t in issued} == {(FAN, FAN, "nameFAN")}
    assert (cancelled, cancelled_again) == (True, False)
    assert got is not None and (got.status, got.version) == (TicketStatus.CANCELLED, 2)
    assert [t.id for t in for_order] == [issued[0].id, issued[1].id, elsewhere[0].id]
    assert [t.id for t in for_holder] == [issued[1].id, elsewhere[0].id]
    assert [t.id for t in for_event] == [issued[1].id]
    assert sold == 1


async def test_a_seat_backs_one_live_ticket_at_a_time(any_uow: UnitOfWork) -> None:
    event_id, seat_ids = await seated_event(any_uow)
    async with any_uow:
        hold = await any_uow.holds.get(await add_hold(any_uow, event_id, seat_ids[:1]))
        assert hold is not None
        order_id = await any_uow.orders.add(hold, key("pay"), NOW)
        [first] = await any_uow.tickets.add_many(
            order_id, event_id, FAN, "nameFAN", [NewTicket(seat_ids[0], "R A1", 1, "a")], NOW
        )
        await any_uow.commit()
    with pytest.raises((IntegrityError, ConstraintViolation)):
        async with any_uow:
            await any_uow.tickets.add_many(
                order_id, event_id, 8, "name8", [NewTicket(seat_ids[0], "R A1", 1, "b")], NOW
            )
    async with any_uow:
        assert await any_uow.tickets.cancel(first.id, NOW)
        # Once its ticket is cancelled the seat may back a new one.
        [second] = await any_uow.tickets.add_many(
            order_id, event_id, 8, "name8", [NewTicket(seat_ids[0], "R A1", 1, "c")], NOW
        )
    assert second.seat_id == seat_ids[0]


# The ledger


async def test_a_transfer_moves_money_and_lists_newest_entries_first(any_uow: UnitOfWork) -> None:
    wallet, payable = Account.wallet(FAN), Account.payable(ORGANIZER)
    async with any_uow:
        await any_uow.ledger.post(topup(FAN, 5000, "topup:1"), NOW)
        await any_uow.ledger.post(Transfer("order:1", wallet, payable, 1200, "event:1"), LATER)
        balances = [await any_uow.ledger.balance(a) for a in (wallet, payable, Account.provider())]
        entries = await any_uow.ledger.entries(wallet, 10)
        latest = await any_uow.ledger.entries(wallet, 1)
        totals = await any_uow.ledger.totals()
    assert balances == [3800, 1200, -5000]
    assert [(e.txn_key, e.account_kind, e.owner_id, e.amount, e.memo) for e in entries] == [
        ("order:1", AccountKind.WALLET, FAN, -1200, "event:1"),
        ("topup:1", AccountKind.WALLET, FAN, 5000, "topup"),
    ]
    assert [e.created_at for e in entries] == [LATER, NOW]
    assert latest == entries[:1]
    assert totals.balanced, totals


async def test_a_reused_txn_key_raises_duplicate_key_and_moves_nothing(any_uow: UnitOfWork) -> None:
    async with any_uow:
        await any_uow.ledger.post(topup(FAN, 5000, "topup:same"), NOW)
        with pytest.raises(DuplicateKey):
            await any_uow.ledger.post(topup(FAN, 5000, "topup:same"), NOW)
        with pytest.raises(DuplicateKey):
            # The same key for another fan still collides on the provider's leg.
            await any_uow.ledger.post(topup(8, 100, "topup:same"), NOW)
        balances = [await any_uow.ledger.balance(Account.wallet(u)) for u in (FAN, 8)]
        entries = await any_uow.ledger.entries(Account.provider(), 10)
    assert balances == [5000, 0]
    assert len(entries) == 1


async def test_a_guarded_account_may_not_go_below_zero(any_uow: UnitOfWork) -> None:
    wallet, payable = Account.wallet(FAN), Account.payable(ORGANIZER)
    async with any_uow:
        await any_uow.ledger.post(topup(FAN, 1000), NOW)
        await any_uow.commit()
    with pytest.raises(InsufficientFunds):
        async with any_uow:
            await any_uow.ledger.post(Transfer("order:big", wallet, payable, 1001, "event:1"), NOW)
    with pytest.raises(InsufficientFunds):
        async with any_uow:
            await any_uow.ledger.post(
                Transfer("order:stranger", Account.wallet(8), payable, 1, "event:1"), NOW
            )
    async with any_uow:
        balances = [await any_uow.ledger.balance(a) for a in (wallet, payable, Account.wallet(8))]
        # Spending exactly what is there is allowed.
        await any_uow.ledger.post(Transfer("order:all", wallet, payable, 1000, "event:1"), NOW)
        emptied = await any_uow.ledger.balance(wallet)
        totals = await any_uow.ledger.totals()
    assert balances == [1000, 0, 0]
    assert emptied == 0
    assert totals.balanced, totals


async def test_an_unguarded_account_may_go_negative(any_uow: UnitOfWork) -> None:
    refund = Transfer("refund:ticket:1", Account.payable(ORGANIZER), Account.wallet(FAN), 300, "refund")
    async with any_uow:
        await any_uow.ledger.post(refund, NOW)
        payable = await any_uow.ledger.balance(Account.payable(ORGANIZER))
        wallet = await any_uow.ledger.balance(Account.wallet(FAN))
        totals = await any_uow.ledger.totals()
    assert (payable, wallet) == (-300, 300)
    assert totals.balanced, totals


async def test_opening_an_account_twice_keeps_its_balance(any_uow: UnitOfWork) -> None:
    wallet = Account.wallet(FAN)
    async with any_uow:
        await any_uow.ledger.open(wallet)
        await any_uow.ledger.post(topup(FAN, 250), NOW)
        await any_uow.ledger.open(wallet)
        await any_uow.ledger.open(Account.payable(ORGANIZER))
        balance = await any_uow.ledger.balance(wallet)
        totals = await any_uow.ledger.totals()
    assert balance == 250
    assert (totals.entries_sum, totals.balances_sum, totals.mismatched_accounts) == (0, 0, 0)


# Added with transfers, event cancellation and outbox delivery


async def test_live_for_event_lists_the_active_holds_of_that_event(any_uow: UnitOfWork) -> None:
    event_id, _ = await seated_event(any_uow)
    other_event, _ = await seated_event(any_uow)
    async with any_uow:
        live = await add_hold(any_uow, event_id)
        lapsed = await add_hold(any_uow, event_id, expires_at=NOW - timedelta(minutes=1))
        done = await add_hold(any_uow, event_id)
        await any_uow.holds.finish(done, HoldStatus.CONFIRMED, NOW, only_if_live=True)
        await add_hold(any_uow, other_event)
        found = await any_uow.holds.live_for_event(event_id)
    # A lapsed hold is still active until the sweep: cancelling an event must release it too.
    assert sorted(found) == sorted([live, lapsed])


async def test_tickets_in_hand_count_against_the_limit_and_leave_purchases_alone(
    any_uow: UnitOfWork,
) -> None:
    event_id, _ = await seated_event(any_uow)
    async with any_uow:
        hold_id = await add_hold(any_uow, event_id)
        assert await any_uow.fans.reserve(event_id, FAN, hold_id, 2, 4, NOW, LATER)
        await any_uow.fans.close_cart(event_id, FAN, hold_id, bought=2)
        first = await any_uow.fans.receive(event_id, FAN, 2, 4, NOW)
        over = await any_uow.fans.receive(event_id, FAN, 1, 4, NOW)
        newcomer = await any_uow.fans.receive(event_id, 8, 4, 4, NOW)
        await any_uow.fans.let_go(event_id, FAN, 3)
        after_giving = await any_uow.fans.standing(event_id, FAN)
        await any_uow.fans.let_go(event_id, FAN, 2)
        never_below_zero = await any_uow.fans.standing(event_id, FAN)
        # A live cart counts against what a fan may be given; a lapsed one does not.
        cart = await add_hold(any_uow, event_id)
        gifted = await add_hold(any_uow, event_id)
        other = 9
        assert await any_uow.fans.reserve(event_id, other, gifted, 3, 4, NOW, LATER)
        gift_refused = await any_uow.fans.receive(event_id, other, 2, 4, NOW)
        gift_after_lapse = await any_uow.fans.receive(event_id, other, 2, 4, LATER)
        # Tickets in hand count against a new cart as purchases do.
        in_hand_refused = await any_uow.fans.reserve(event_id, 8, cart, 1, 4, NOW, LATER)
    assert (first, over, newcomer) == (True, False, True)
    assert (gift_refused, gift_after_lapse, in_hand_refused) == (False, True, False)
    # Giving tickets away empties the fan's hands but not their purchases: the limit still counts those.
    assert (after_giving.bought, after_giving.holding) == (2, 1)
    assert (never_below_zero.bought, never_below_zero.holding) == (2, 1)


async def test_an_order_reads_back_by_id(any_uow: UnitOfWork) -> None:
    event_id, seat_ids = await seated_event(any_uow)
    async with any_uow:
        hold = await any_uow.holds.get(await add_hold(any_uow, event_id, seat_ids[:1]))
        assert hold is not None
        order_id = await any_uow.orders.add(hold, key("pay"), NOW)
        order = await any_uow.orders.get(order_id)
        missing = await any_uow.orders.get(order_id + 1000)
    assert order is not None and missing is None
    assert (order.id, order.hold_id, order.amount) == (order_id, hold.id, 1000)


async def test_a_ticket_moves_to_a_new_holder_with_a_new_secret_only_from_its_holder(
    any_uow: UnitOfWork,
) -> None:
    event_id, seat_ids = await seated_event(any_uow)
    async with any_uow:
        hold = await any_uow.holds.get(await add_hold(any_uow, event_id, seat_ids[:2]))
        assert hold is not None
        order_id = await any_uow.orders.add(hold, key("pay"), NOW)
        new = [NewTicket(seat_ids[0], "R A1", 1000, "old1"), NewTicket(seat_ids[1], "R A2", 1000, "old2")]
        kept, gone = await any_uow.tickets.add_many(order_id, event_id, FAN, "nameFAN", new, NOW)
        await any_uow.tickets.cancel(gone.id, LATER)
        not_theirs = await any_uow.tickets.transfer(kept.id, 8, 9, "Nine", "new", 2)
        cancelled = await any_uow.tickets.transfer(gone.id, FAN, 8, "Eight", "new", 2)
        moved = await any_uow.tickets.transfer(kept.id, FAN, 8, "Eight", "fresh", 2)
        twice = await any_uow.tickets.transfer(kept.id, 8, 9, "Nine", "newer", 1)
        ticket = await any_uow.tickets.get(kept.id)
        live = await any_uow.tickets.live_for_event(event_id, 10)
        attendees = await any_uow.tickets.attendees(event_id)
    assert (not_theirs, cancelled, moved, twice) == (False, False, True, False)
    assert ticket is not None
    assert (ticket.holder_id, ticket.holder_name, ticket.secret, ticket.version) == (8, "Eight", "fresh", 2)
    assert ticket.transfers == 1
    # Money stays with whoever paid: the buyer does not change with the holder.
    assert ticket.buyer_id == FAN
    assert [t.id for t in live] == [kept.id]
    shown = [
        (a.ticket_id, a.holder_id, a.holder_name, a.seat_label, a.status, a.bought_at) for a in attendees
    ]
    assert shown == [
        (kept.id, 8, "Eight", "R A1", TicketStatus.ACTIVE, NOW),
        (gone.id, FAN, "nameFAN", "R A2", TicketStatus.CANCELLED, NOW),
    ]


async def test_outbox_notices_are_leased_to_one_sender_and_finished(any_uow: UnitOfWork) -> None:
    lease = NOW + timedelta(minutes=1)
    async with any_uow:
        first = await any_uow.outbox.add("tickets_issued", {"order_id": 1, "user_id": FAN}, NOW)
        second = await any_uow.outbox.add("ticket_cancelled", {"ticket_id": 2, "user_id": FAN}, NOW)
        third = await any_uow.outbox.add("ticket_cancelled", {"ticket_id": 3, "user_id": FAN}, NOW)
        await any_uow.commit()
    async with any_uow:
        claimed = await any_uow.outbox.claim(NOW, lease, 2)
        leased_already = await any_uow.outbox.claim(NOW, lease, 10)
        only_third = await any_uow.outbox.claim(NOW, lease, 10, ids=[first, third])
        await any_uow.outbox.finish(first, NoticeStatus.SENT, None, None)
        await any_uow.outbox.finish(second, NoticeStatus.PENDING, "Timeout", NOW + timedelta(minutes=5))
        backlog = await any_uow.outbox.backlog()
        lease_over = await any_uow.outbox.claim(lease, NOW + timedelta(hours=1), 10)
        retry_due = await any_uow.outbox.claim(NOW + timedelta(minutes=5), NOW + timedelta(minutes=6), 10)
    assert [(n.id, n.kind, n.payload, n.attempts) for n in claimed] == [
        (first, "tickets_issued", {"order_id": 1, "user_id": FAN}, 1),
        (second, "ticket_cancelled", {"ticket_id": 2, "user_id": FAN}, 1),
    ]
    assert [(n.id, n.attempts) for n in leased_already] == [(third, 1)]
    assert only_third == []
    assert backlog == 2
    # Once its lease runs out a notice may be claimed again; a retry waits for its time.
    assert [(n.id, n.attempts) for n in lease_over] == [(third, 2)]
    assert [(n.id, n.attempts) for n in retry_due] == [(second, 2)]


async def test_totals_notice_a_balance_that_drifted_from_its_entries(any_uow: UnitOfWork) -> None:
    wallet = Account.wallet(FAN)
    async with any_uow:
        await any_uow.ledger.post(topup(FAN, 1000), NOW)
        await any_uow.commit()
    # No repository method can unbalance the books, so the drift is written behind their back.
    if isinstance(any_uow, FakeUnitOfWork):
        any_uow.state.accounts[wallet] += 1
    else:
        async with any_uow:
            connection = cast(SqlUnitOfWork, any_uow).connection
            a = accounts.c
            await connection.execute(
                update(accounts).where(a.kind == wallet.kind, a.owner_id == FAN).values(balance=a.balance + 1)
            )
            await any_uow.commit()
    async with any_uow:
        totals = await any_uow.ledger.totals()
    assert (totals.entries_sum, totals.balances_sum, totals.mismatched_accounts) == (0, 1, 1)
    assert not totals.balanced


async def test_free_seats_come_a_page_at_a_time_in_row_order(any_uow: UnitOfWork) -> None:
    event_id, _ = await seated_event(any_uow, "R:A-C x 1-3 @ 1000; S:A x 1-2 @ 500")
    async with any_uow:
        seats = await any_uow.seats.seat_map(event_id, NOW)
        first_section = seats[0].section_id
        taken = [s.id for s in seats if s.section_id == first_section and s.row == "A" and s.number == 2]
        await add_hold(any_uow, event_id, taken)
        first = await any_uow.seats.free_page(event_id, first_section, NOW, ("", 0), 4)
        last = first.seats[-1]
        second = await any_uow.seats.free_page(event_id, first_section, NOW, (last.row, last.number), 4)
        after_all = await any_uow.seats.free_page(event_id, first_section, NOW, ("C", 3), 4)
    assert [f"{s.row}{s.number}" for s in first.seats] == ["A1", "A3", "B1", "B2"]
    assert [f"{s.row}{s.number}" for s in second.seats] == ["B3", "C1", "C2", "C3"]
    assert {s.section_id for s in first.seats + second.seats} == {first_section}
    assert (after_all.seats, after_all.row_span) == ([], None)
