"""The box office's contract, on MariaDB (stored procedures), SQLite and the fake (the same guarded writes
one by one): the same answers, the same rows written, and nothing written by a refusal."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from core.box_office import (
    ConfirmPlan,
    ConfirmRefusal,
    FanFacts,
    HoldPlan,
    HoldRefusal,
    SeatQuery,
    ticket_secret,
)
from core.layout import parse_layout
from core.ledger import Account, Transfer
from core.models import EventStatus, HoldStatus, SeatStatus, TicketStatus
from core.ports import UnitOfWork
from db import box_office as box_office_module
from db.box_office import ProcedureBoxOffice
from tests.db.test_contract import FAN, GUILD, LATER, NOW, ORGANIZER, new_event, topup

SEED = "0123456789abcdef0123456789abcdef"


async def on_sale(uow: UnitOfWork, layout: str | None = "R:A-B x 1-4 @ 1000; VIP:A x 1-2 @ 3000") -> int:
    async with uow:
        event_id = await uow.events.add(new_event(ga_capacity=None if layout else 3))
        if layout:
            await uow.seats.add_layout(event_id, parse_layout(layout))
        await uow.events.set_status(event_id, EventStatus.PUBLISHED)
        for fan in (FAN, 8, 9):
            await uow.ledger.post(topup(fan, 10_000, f"topup:{fan}"), NOW)
        await uow.commit()
    return event_id


async def seat_ids(uow: UnitOfWork, event_id: int, *labels: str) -> tuple[int, ...]:
    async with uow:
        by_label = {s.label: s.id for s in await uow.seats.seat_map(event_id, NOW)}
    return tuple(by_label[label] for label in labels)


def plan(event_id: int, seats: tuple[int, ...] = (), **changes: object) -> HoldPlan:
    values: dict[str, object] = {
        "event_id": event_id,
        "user_id": FAN,
        "client_key": f"hold-{event_id}-{seats}-{changes.get('user_id', FAN)}",
        "quantity": len(seats) or 2,
        "amount": 1000 * (len(seats) or 2),
        "seat_ids": seats,
        "limit": 4,
        "now": NOW,
        "expires_at": LATER,
    }
    values.update(changes)
    return HoldPlan(**values)  # type: ignore[arg-type]


def paying(hold_id: int, **changes: object) -> ConfirmPlan:
    values: dict[str, object] = {
        "hold_id": hold_id,
        "user_id": FAN,
        "guild_id": GUILD,
        "client_key": f"pay-{hold_id}",
        "holder_name": "Minji",
        "locale": "ko",
        "seed": SEED,
        "now": NOW + timedelta(minutes=1),
    }
    values.update(changes)
    return ConfirmPlan(**values)  # type: ignore[arg-type]


async def state(uow: UnitOfWork, event_id: int) -> tuple[object, ...]:
    """What a refusal must leave untouched."""
    async with uow:
        return (
            [(s.id, s.status) for s in await uow.seats.seat_map(event_id, NOW)],
            await uow.fans.standing(event_id, FAN),
            await uow.holds.live_for_event(event_id),
            await uow.ledger.balance(Account.wallet(FAN)),
            await uow.general_admission.taken(event_id),
            await uow.outbox.backlog(),
        )


# Looking


async def test_a_look_shows_the_event_and_the_seats_asked_about(any_uow: UnitOfWork) -> None:
    event_id = await on_sale(any_uow)
    a1, vip2 = await seat_ids(any_uow, event_id, "R A1", "VIP A2")
    office = any_uow.box_office

    named = await office.look(event_id, SeatQuery((vip2, a1)), NOW)
    section = await office.look(event_id, SeatQuery(section_id=named.seats[0].section_id, limit=5), NOW)
    missing = await office.look(event_id + 1000, SeatQuery((a1,)), NOW)

    assert named.event is not None and (named.event.id, named.event.status) == (
        event_id,
        EventStatus.PUBLISHED,
    )
    assert [(s.label, s.price, s.status) for s in named.seats] == [
        ("R A1", 1000, SeatStatus.AVAILABLE),
        ("VIP A2", 3000, SeatStatus.AVAILABLE),
    ]
    assert [s.label for s in section.seats] == ["R A1", "R A2", "R A3", "R A4", "R B1"]
    assert section.row_span == (1, 4)
    assert (missing.event, missing.seats) == (None, [])


async def test_a_page_of_free_seats_holds_a_whole_row_at_least(any_uow: UnitOfWork) -> None:
    event_id = await on_sale(any_uow)
    async with any_uow:
        other_event = await any_uow.events.add(new_event(ga_capacity=3))
        await any_uow.commit()
    [a1] = await seat_ids(any_uow, event_id, "R A1")
    office = any_uow.box_office
    section_id = (await office.look(event_id, SeatQuery((a1,)), NOW)).seats[0].section_id

    short = await office.look(event_id, SeatQuery(section_id=section_id, limit=2), NOW)
    from_b = await office.look(event_id, SeatQuery(section_id=section_id, after=("A", 4), limit=2), NOW)
    # A section of another event has no free seats for this one.
    elsewhere = await office.look(other_event, SeatQuery(section_id=section_id, limit=2), NOW)

    assert [s.label for s in short.seats] == ["R A1", "R A2", "R A3", "R A4"]
    assert [s.label for s in from_b.seats] == ["R B1", "R B2", "R B3", "R B4"]
    assert elsewhere.event is not None and elsewhere.event.id == other_event
    assert (elsewhere.seats, elsewhere.row_span) == ([], None)


# Holding


async def test_a_hold_claims_its_seats_and_opens_the_cart(any_uow: UnitOfWork) -> None:
    event_id = await on_sale(any_uow)
    seats = await seat_ids(any_uow, event_id, "R A1", "R A2")

    result = await any_uow.box_office.hold(plan(event_id, seats))

    assert result.refusal is None and result.hold_id is not None
    async with any_uow:
        hold = await any_uow.holds.get(result.hold_id)
        standing = await any_uow.fans.standing(event_id, FAN)
        statuses = [s.status for s in await any_uow.seats.seats(event_id, seats)]
    assert hold is not None
    assert (hold.seat_ids, hold.quantity, hold.amount, hold.status) == (seats, 2, 2000, HoldStatus.ACTIVE)
    assert (standing.hold_id, standing.held, standing.hold_expires_at) == (result.hold_id, 2, LATER)
    assert statuses == [SeatStatus.HELD, SeatStatus.HELD]


async def test_general_admission_counts_places(any_uow: UnitOfWork) -> None:
    event_id = await on_sale(any_uow, layout=None)

    first = await any_uow.box_office.hold(plan(event_id, quantity=2, amount=1000))
    full = await any_uow.box_office.hold(plan(event_id, quantity=2, amount=1000, user_id=8, client_key="k8"))

    assert first.refusal is None
    assert full.refusal is HoldRefusal.SOLD_OUT
    async with any_uow:
        assert await any_uow.general_admission.taken(event_id) == 2


async def test_each_refused_hold_says_why_and_leaves_no_trace(any_uow: UnitOfWork) -> None:
    event_id = await on_sale(any_uow)
    a1, a2, a3, b1 = await seat_ids(any_uow, event_id, "R A1", "R A2", "R A3", "R B1")
    office = any_uow.box_office
    mine = await office.hold(plan(event_id, (a1,), client_key="mine"))
    assert mine.hold_id is not None
    before = await state(any_uow, event_id)

    cart = await office.hold(plan(event_id, (a2,)))
    repeat = await office.hold(plan(event_id, (a3,), client_key="mine"))
    taken = await office.hold(plan(event_id, (a1, b1), user_id=8, client_key="k8"))
    funds = await office.hold(plan(event_id, (a3,), user_id=8, client_key="k8b", amount=10_001))
    over = await office.hold(plan(event_id, (a3,), user_id=9, client_key="k9", amount=0, limit=0))
    late = await office.hold(plan(event_id, (a3,), client_key="late", now=NOW + timedelta(days=31)))

    assert (cart.refusal, cart.open_cart) == (HoldRefusal.CART, mine.hold_id)
    assert repeat.refusal is HoldRefusal.REPEAT
    assert taken.refusal is HoldRefusal.TAKEN
    assert funds.refusal is HoldRefusal.FUNDS
    assert (over.refusal, over.bought) == (HoldRefusal.LIMIT, 0)
    assert late.refusal is HoldRefusal.CLOSED
    assert all(r.hold_id is None for r in (cart, repeat, taken, funds, over, late))
    assert await state(any_uow, event_id) == before


async def test_tickets_in_hand_and_bought_both_count_against_the_limit(any_uow: UnitOfWork) -> None:
    event_id = await on_sale(any_uow)
    a1, a2, a3 = await seat_ids(any_uow, event_id, "R A1", "R A2", "R A3")
    office = any_uow.box_office
    held = await office.hold(plan(event_id, (a1, a2), limit=2))
    assert held.hold_id is not None
    await office.confirm(paying(held.hold_id))

    again = await office.hold(plan(event_id, (a3,), limit=2, client_key="again"))

    assert (again.refusal, again.bought) == (HoldRefusal.LIMIT, 2)


async def test_a_lapsed_hold_gives_way_to_a_new_claim(any_uow: UnitOfWork) -> None:
    event_id = await on_sale(any_uow)
    seats = await seat_ids(any_uow, event_id, "R A1")
    office = any_uow.box_office
    await office.hold(plan(event_id, seats, client_key="old"))

    later = NOW + timedelta(minutes=11)
    newer = await office.hold(
        plan(event_id, seats, client_key="new", now=later, expires_at=later + timedelta(minutes=10))
    )

    assert newer.refusal is None


# Confirming


async def test_confirming_issues_tickets_pays_and_queues_the_dm(any_uow: UnitOfWork) -> None:
    event_id = await on_sale(any_uow)
    seats = await seat_ids(any_uow, event_id, "VIP A2", "R A1")
    office = any_uow.box_office
    held = await office.hold(plan(event_id, seats, amount=4000))
    assert held.hold_id is not None

    paid = await office.confirm(paying(held.hold_id))

    assert paid.refusal is None and paid.order is not None and paid.event is not None
    assert (paid.order.hold_id, paid.order.amount, paid.order.user_id, paid.event.id) == (
        held.hold_id,
        4000,
        FAN,
        event_id,
    )
    vip, r = seats
    assert [(t.seat_label, t.price, t.secret, t.buyer_id, t.holder_name, t.status) for t in paid.tickets] == [
        ("R A1", 1000, ticket_secret(SEED, r), FAN, "Minji", TicketStatus.ACTIVE),
        ("VIP A2", 3000, ticket_secret(SEED, vip), FAN, "Minji", TicketStatus.ACTIVE),
    ]
    async with any_uow:
        wallet = await any_uow.ledger.balance(Account.wallet(FAN))
        payable = await any_uow.ledger.balance(Account.payable(ORGANIZER))
        standing = await any_uow.fans.standing(event_id, FAN)
        statuses = {s.label: s.status for s in await any_uow.seats.seats(event_id, seats)}
        notices = await any_uow.outbox.claim(NOW, LATER, 10)
        totals = await any_uow.ledger.totals()
    assert (wallet, payable) == (6000, 4000) and totals.balanced
    assert paid.balance == wallet  # what the receipt shows
    assert (standing.hold_id, standing.bought, standing.holding) == (None, 2, 2)
    assert statuses == {"R A1": SeatStatus.SOLD, "VIP A2": SeatStatus.SOLD}
    [notice] = notices
    assert (notice.id, notice.kind) == (paid.notice_id, "tickets_issued")
    assert notice.payload == {"order_id": paid.order.id, "user_id": FAN, "locale": "ko"}


async def test_a_fan_is_seen_as_the_latest_payment_left_them(any_uow: UnitOfWork) -> None:
    event_id = await on_sale(any_uow)
    office = any_uow.box_office
    assert await office.fan(event_id, 12345) == FanFacts(bought=0, balance=0)
    assert await office.fan(event_id, FAN) == FanFacts(bought=0, balance=10_000)

    held = await office.hold(plan(event_id, await seat_ids(any_uow, event_id, "VIP A1"), amount=3000))
    assert held.hold_id is not None
    assert (await office.confirm(paying(held.hold_id))).refusal is None

    assert await office.fan(event_id + 1, FAN) == FanFacts(bought=0, balance=7000)

    # Two reads at once keep two pooled connections busy; a top-up then commits elsewhere. Each
    # connection read again sees it: a read leaves no transaction (and its old snapshot) behind.
    twice = [office.fan(event_id, FAN), office.fan(event_id, FAN)]
    assert await asyncio.gather(*twice) == [FanFacts(bought=1, balance=7000)] * 2
    async with any_uow:
        await any_uow.ledger.post(topup(FAN, 500, "topup:again"), NOW)
        await any_uow.commit()
    twice = [office.fan(event_id, FAN), office.fan(event_id, FAN)]
    assert await asyncio.gather(*twice) == [FanFacts(bought=1, balance=7500)] * 2


async def test_general_admission_tickets_take_the_events_price(any_uow: UnitOfWork) -> None:
    event_id = await on_sale(any_uow, layout=None)
    held = await any_uow.box_office.hold(plan(event_id, quantity=3, amount=1500))
    assert held.hold_id is not None

    paid = await any_uow.box_office.confirm(paying(held.hold_id))

    assert [(t.seat_id, t.seat_label, t.price, t.secret) for t in paid.tickets] == [
        (None, None, 500, ticket_secret(SEED, n)) for n in (1, 2, 3)
    ]


async def test_each_refused_payment_says_why_and_leaves_no_trace(any_uow: UnitOfWork) -> None:
    event_id = await on_sale(any_uow)
    a1, a2 = await seat_ids(any_uow, event_id, "R A1", "R A2")
    office = any_uow.box_office
    held = await office.hold(plan(event_id, (a1,)))
    assert held.hold_id is not None
    before = await state(any_uow, event_id)

    stranger = await office.confirm(paying(held.hold_id, user_id=8))
    elsewhere = await office.confirm(paying(held.hold_id, guild_id=GUILD + 1))
    unknown = await office.confirm(paying(held.hold_id + 1000))
    lapsed = await office.confirm(paying(held.hold_id, now=LATER + timedelta(seconds=1)))

    assert [r.refusal for r in (stranger, elsewhere, unknown)] == [ConfirmRefusal.NOT_FOUND] * 3
    assert lapsed.refusal is ConfirmRefusal.EXPIRED and lapsed.event is not None
    assert await state(any_uow, event_id) == before

    paid = await office.confirm(paying(held.hold_id))
    twin = await office.confirm(paying(held.hold_id, client_key="another-click"))
    other = await office.hold(plan(event_id, (a2,), client_key="other"))
    assert other.hold_id is not None
    reused = await office.confirm(paying(other.hold_id, client_key=f"pay-{held.hold_id}"))
    assert paid.refusal is None
    assert twin.refusal is ConfirmRefusal.CONFIRMED
    assert reused.refusal is ConfirmRefusal.REPEAT


async def test_no_money_no_tickets_and_a_cancelled_event_charges_nothing(any_uow: UnitOfWork) -> None:
    event_id = await on_sale(any_uow)
    (a1,) = await seat_ids(any_uow, event_id, "R A1")
    office = any_uow.box_office
    broke = await office.hold(plan(event_id, (a1,), amount=10_000, client_key="broke"))
    assert broke.hold_id is not None
    async with any_uow:
        # The wallet was spent elsewhere between the hold and the payment.
        await any_uow.ledger.post(Transfer("spent", Account.wallet(FAN), Account.payable(1), 4999, "x"), NOW)
        await any_uow.commit()

    funds = await office.confirm(paying(broke.hold_id))
    async with any_uow:
        await any_uow.events.set_status(event_id, EventStatus.CANCELLED)
        await any_uow.commit()
    closed = await office.confirm(paying(broke.hold_id, client_key="later"))

    assert (funds.refusal, funds.amount) == (ConfirmRefusal.FUNDS, 10_000)
    assert closed.refusal is ConfirmRefusal.CLOSED
    async with any_uow:
        assert await any_uow.tickets.live_for_event(event_id, 10) == []
        assert await any_uow.ledger.balance(Account.wallet(FAN)) == 5001
        assert await any_uow.outbox.backlog() == 0


async def test_an_event_unchanged_since_the_last_call_is_not_sent_again(
    any_uow: UnitOfWork, monkeypatch: pytest.MonkeyPatch
) -> None:
    office = any_uow.box_office
    if not isinstance(office, ProcedureBoxOffice):
        pytest.skip("only MariaDB's procedures send the event by version")
    event_id = await on_sale(any_uow)
    parsed: list[int] = []
    parse = box_office_module.event_from
    monkeypatch.setattr(box_office_module, "event_from", lambda doc: parsed.append(doc["id"]) or parse(doc))
    seats = await seat_ids(any_uow, event_id, "R A1")

    first = await office.look(event_id, SeatQuery(seats), NOW)
    again = await office.look(event_id, SeatQuery(seats), NOW)
    held = await office.hold(plan(event_id, seats, amount=1000))
    assert held.hold_id is not None
    paid = await office.confirm(paying(held.hold_id))

    assert first.event == again.event == paid.event and again.event is not None
    assert again.event.version > 1, "published, so past the first version"
    assert parsed == [event_id], "sent once, then known by its version"
