"""Anti-scalping rules on SQLite, MariaDB and the fake: a presale for a role, a minimum account age,
and a ticket that may change hands only so often."""

from __future__ import annotations

from datetime import datetime

import pytest

from core.caller import Caller
from core.clock import FrozenClock
from core.errors import InvalidTransfer, NotAllowed
from core.models import EventRules
from core.ports import UnitOfWork
from core.rules import DISCORD_EPOCH_MS, account_created
from core.services.booking import ConfirmHold, HoldSeats, confirm_hold, hold_seats, start_booking
from core.services.door import change_rules, set_rules
from core.services.events import event_details
from core.services.tickets import TransferTicket, transfer_ticket
from core.services.waitlist import JoinWaitlist, join_waitlist
from tests.support.builders import GUILD, fan, fund, key, on_sale_event, organizer

PRESALE_ROLE = 555


def _snowflake(created: datetime) -> int:
    """A Discord id made at ``created`` (naive UTC)."""
    ms = int((created - datetime(1970, 1, 1)).total_seconds() * 1000)
    return (ms - DISCORD_EPOCH_MS) << 22


async def _section(uow: UnitOfWork, clock: FrozenClock, event_id: int) -> int:
    return (await event_details(event_id, fan(1), uow, clock)).sections[0].section_id


async def test_a_presale_is_for_its_role_and_young_accounts_wait(
    any_uow: UnitOfWork, clock: FrozenClock
) -> None:
    event = await on_sale_event(any_uow, clock)
    section = await _section(any_uow, clock, event.id)
    await set_rules(
        EventRules(event.id, buyer_role_id=PRESALE_ROLE, min_account_days=30), organizer(), any_uow
    )
    member = Caller(11, GUILD, frozenset({PRESALE_ROLE}), name="member")
    outsider = fan(12)
    newcomer_id = _snowflake(datetime(2030, 4, 20))  # eleven days before the test's clock
    newcomer = Caller(newcomer_id, GUILD, frozenset({PRESALE_ROLE}), name="new")
    assert account_created(newcomer_id) == datetime(2030, 4, 20)
    for who in (member, outsider, newcomer):
        await fund(any_uow, clock, who.user_id, 10_000)

    with pytest.raises(NotAllowed) as refused:
        await start_booking(event.id, outsider, any_uow, clock)
    assert refused.value.params == {"reason": "buyer_role", "role": PRESALE_ROLE}
    # A forged click straight at the hold is refused the same way.
    with pytest.raises(NotAllowed):
        await hold_seats(HoldSeats(event.id, outsider, key(), section_id=section, quantity=1), any_uow, clock)
    with pytest.raises(NotAllowed) as young:
        await hold_seats(HoldSeats(event.id, newcomer, key(), section_id=section, quantity=1), any_uow, clock)
    assert young.value.params["reason"] == "account_age"
    held = await hold_seats(
        HoldSeats(event.id, member, key(), section_id=section, quantity=1), any_uow, clock
    )
    assert held.hold.user_id == member.user_id

    # The presale ends: anyone with an old enough account may buy.
    await set_rules(EventRules(event.id, min_account_days=30), organizer(), any_uow)
    await hold_seats(HoldSeats(event.id, outsider, key(), section_id=section, quantity=1), any_uow, clock)


async def test_the_waitlist_keeps_the_same_rules(any_uow: UnitOfWork, clock: FrozenClock) -> None:
    event = await on_sale_event(any_uow, clock, layout="R:A x 1-1 @ 1000")
    await set_rules(EventRules(event.id, buyer_role_id=PRESALE_ROLE), organizer(), any_uow)
    with pytest.raises(NotAllowed):
        await join_waitlist(JoinWaitlist(event.id, fan(12), key()), any_uow, clock, close_hours=3)


async def test_a_ticket_changes_hands_only_so_often(any_uow: UnitOfWork, clock: FrozenClock) -> None:
    event = await on_sale_event(any_uow, clock)
    section = await _section(any_uow, clock, event.id)
    await fund(any_uow, clock, 1, 10_000)
    held = await hold_seats(
        HoldSeats(event.id, fan(1), key(), section_id=section, quantity=1), any_uow, clock
    )
    ticket = (await confirm_hold(ConfirmHold(held.hold.id, fan(1), key()), any_uow, clock)).tickets[0].id

    await transfer_ticket(TransferTicket(ticket, fan(1), 2, max_transfers=2), any_uow, clock)
    await transfer_ticket(TransferTicket(ticket, fan(2), 3, max_transfers=2), any_uow, clock)
    with pytest.raises(InvalidTransfer) as refused:
        await transfer_ticket(TransferTicket(ticket, fan(3), 4, max_transfers=2), any_uow, clock)
    assert refused.value.params == {"reason": "too_many", "maximum": 2}


async def test_rules_change_a_part_at_a_time(any_uow: UnitOfWork, clock: FrozenClock) -> None:
    event = await on_sale_event(any_uow, clock)
    changed = await change_rules(
        event.id, organizer(), any_uow, buyer_role_id=PRESALE_ROLE, min_account_days=7
    )
    assert changed == EventRules(event.id, static_codes=False, min_account_days=7, buyer_role_id=PRESALE_ROLE)
    changed = await change_rules(event.id, organizer(), any_uow, static_codes=True)
    assert changed == EventRules(event.id, static_codes=True, min_account_days=7, buyer_role_id=PRESALE_ROLE)
    # No minimum is 0 days; the server's @everyone role (the server's own id) lets anyone buy.
    changed = await change_rules(event.id, organizer(), any_uow, buyer_role_id=GUILD, min_account_days=0)
    assert changed == EventRules(event.id, static_codes=True)
    with pytest.raises(NotAllowed):
        await change_rules(event.id, organizer(), any_uow, min_account_days=5000)
