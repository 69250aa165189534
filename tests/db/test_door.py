"""The door on SQLite, MariaDB and the fake: every kind of bad code refused with its reason, a ticket let
in once, two scanners racing on one ticket with exactly one welcome, and the keys a deployment signs with."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import timedelta
from typing import cast

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from core.clock import FrozenClock
from core.errors import Misconfigured, NotAllowed
from core.models import EventRules
from core.ports import UnitOfWork
from core.services.booking import ConfirmHold, HoldSeats, confirm_hold, hold_seats
from core.services.door import (
    Refused,
    Scan,
    check_in,
    claim_signing_key,
    event_rules,
    revocations,
    set_rules,
    set_staff,
)
from core.services.events import event_details
from core.services.tickets import CancelTicket, TransferTicket, cancel_ticket, transfer_ticket
from core.ticket_codes import TicketCodes
from db.uow import SqlUnitOfWork
from tests.support.builders import fan, fund, key, on_sale_event, organizer

CODES = TicketCodes.from_private_bytes(bytes(range(32)))
BUYER, STAFF, STRANGER, FRIEND = 31, 32, 33, 34
ORGANIZER_ID = organizer().user_id


async def _sold(uow: UnitOfWork, clock: FrozenClock, quantity: int = 2) -> tuple[int, list[int]]:
    event = await on_sale_event(uow, clock)
    await fund(uow, clock, BUYER, 50_000)
    section = (await event_details(event.id, fan(BUYER), uow, clock)).sections[0].section_id
    held = await hold_seats(
        HoldSeats(event.id, fan(BUYER), key(), section_id=section, quantity=quantity), uow, clock
    )
    order = await confirm_hold(ConfirmHold(held.hold.id, fan(BUYER), key()), uow, clock)
    await set_staff(event.id, STAFF, True, organizer(), uow)
    return event.id, [t.id for t in order.tickets]


async def _live(uow: UnitOfWork, clock: FrozenClock, ticket_id: int) -> str:
    async with uow.for_reading():
        ticket = await uow.tickets.get(ticket_id)
    assert ticket is not None
    return CODES.rotating(ticket.id, ticket.secret, ticket.holder_id, clock.now())


async def _static(uow: UnitOfWork, ticket_id: int) -> str:
    async with uow.for_reading():
        ticket = await uow.tickets.get(ticket_id)
    assert ticket is not None
    return CODES.issue(ticket.id, ticket.event_id, ticket.version)


async def _refusal(uow: UnitOfWork, clock: FrozenClock, scan: Scan) -> str:
    with pytest.raises(Refused) as refused:
        await check_in(scan, uow, clock, CODES)
    return str(refused.value.params["reason"])


async def test_a_live_code_lets_its_holder_in_once(any_uow: UnitOfWork, clock: FrozenClock) -> None:
    event_id, (first, _) = await _sold(any_uow, clock)
    live = await _live(any_uow, clock, first)
    welcome = await check_in(Scan(live, event_id, STAFF), any_uow, clock, CODES)
    assert (welcome.ticket.id, welcome.ticket.holder_id, welcome.ticket.checked_in_by) == (
        first,
        BUYER,
        STAFF,
    )

    clock.advance(timedelta(minutes=3))
    with pytest.raises(Refused) as again:
        await check_in(Scan(await _live(any_uow, clock, first), event_id, STAFF), any_uow, clock, CODES)
    assert again.value.params == {"reason": "used", "at": clock.now() - timedelta(minutes=3), "by": STAFF}
    async with any_uow.for_reading():
        attendees = await any_uow.tickets.attendees(event_id)
    assert [a.checked_in_at is not None for a in attendees] == [True, False]


async def test_every_bad_code_is_refused_with_its_reason(any_uow: UnitOfWork, clock: FrozenClock) -> None:
    event_id, (first, second) = await _sold(any_uow, clock)
    static = await _static(any_uow, first)
    assert await _refusal(any_uow, clock, Scan(static, event_id, STAFF)) == "static"
    assert await _refusal(any_uow, clock, Scan("PK2.nonsense", event_id, STAFF)) == "forged"
    assert (
        await _refusal(
            any_uow, clock, Scan(TicketCodes.generate().issue(first, event_id, 1), event_id, STAFF)
        )
        == "forged"
    )
    assert await _refusal(any_uow, clock, Scan(CODES.issue(999, event_id, 1), event_id, STAFF)) == "forged"
    assert await _refusal(any_uow, clock, Scan("PR2.1.123", event_id, STAFF)) == "forged"

    stale = await _live(any_uow, clock, first)
    clock.advance(timedelta(minutes=2))
    assert await _refusal(any_uow, clock, Scan(stale, event_id, STAFF)) == "stale"
    other = await on_sale_event(any_uow, clock, layout="S:A x 1-3 @ 1000")
    assert (
        await _refusal(
            any_uow, clock, Scan(await _live(any_uow, clock, first), other.id, organizer().user_id)
        )
        == "other_event"
    )
    with pytest.raises(NotAllowed):
        await check_in(Scan(await _live(any_uow, clock, first), event_id, STRANGER), any_uow, clock, CODES)

    # Passed on or cancelled, a ticket's earlier codes admit nobody.
    rules = await event_rules(event_id, organizer(), any_uow)
    await set_rules(replace(rules, static_codes=True), organizer(), any_uow)
    old_live = await _live(any_uow, clock, first)
    await transfer_ticket(TransferTicket(first, fan(BUYER), FRIEND), any_uow, clock)
    assert await _refusal(any_uow, clock, Scan(static, event_id, STAFF)) == "revoked"
    assert await _refusal(any_uow, clock, Scan(old_live, event_id, STAFF)) == "stale"
    second_static = await _static(any_uow, second)
    await cancel_ticket(CancelTicket(second, fan(BUYER)), any_uow, clock)
    assert await _refusal(any_uow, clock, Scan(second_static, event_id, STAFF)) == "revoked"
    # The new holder's codes work, the static one too now that the organizer allows it.
    welcome = await check_in(Scan(await _static(any_uow, first), event_id, STAFF), any_uow, clock, CODES)
    assert welcome.ticket.holder_id == FRIEND

    listed = await revocations(event_id, STAFF, any_uow, clock)
    assert listed.tickets == [(first, 2), (second, 0)]
    assert await event_rules(event_id, organizer(), any_uow) == EventRules(event_id, static_codes=True)


async def test_two_scanners_racing_on_one_ticket_let_one_in(engine: AsyncEngine, clock: FrozenClock) -> None:
    def new_uow() -> UnitOfWork:
        return cast(UnitOfWork, SqlUnitOfWork(engine))

    event_id, tickets = await _sold(new_uow(), clock, quantity=4)
    for ticket_id in tickets:
        live = await _live(new_uow(), clock, ticket_id)
        scans = [
            check_in(Scan(live, event_id, who), new_uow(), clock, CODES) for who in (STAFF, ORGANIZER_ID) * 3
        ]
        outcomes = await asyncio.gather(*scans, return_exceptions=True)
        welcomes = [o for o in outcomes if not isinstance(o, BaseException)]
        refusals = [o for o in outcomes if isinstance(o, Refused)]
        assert len(welcomes) == 1 and len(refusals) == 5, outcomes
        assert {r.params["reason"] for r in refusals} == {"used"}


async def test_a_process_with_a_foreign_key_refuses_to_start(any_uow: UnitOfWork, clock: FrozenClock) -> None:
    # Fixed keys with different key ids: random ones share their one-byte id one time in 256.
    await claim_signing_key(CODES, any_uow)
    stranger = TicketCodes.from_private_bytes(bytes(range(100, 132)))
    # No ticket yet: a new key may still take over.
    await claim_signing_key(stranger, any_uow)
    await _sold(any_uow, clock)
    with pytest.raises(Misconfigured):
        await claim_signing_key(TicketCodes.from_private_bytes(bytes(range(200, 232))), any_uow)
    rotated = TicketCodes(
        TicketCodes.from_private_bytes(bytes(range(150, 182)))._private_key,
        [CODES.public_bytes(), stranger.public_bytes()],
    )
    await claim_signing_key(rotated, any_uow)
