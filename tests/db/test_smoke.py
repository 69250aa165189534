from core.clock import FrozenClock
from core.services.booking import ConfirmHold, HoldSeats, confirm_hold, hold_seats
from core.services.events import event_details
from core.services.wallet import ledger_totals
from db.uow import SqlUnitOfWork
from tests.support.builders import fan, fund, key, on_sale_event


async def test_book_one(uow: SqlUnitOfWork, clock: FrozenClock) -> None:
    event = await on_sale_event(uow, clock)
    await fund(uow, clock, 7, 5000)
    details = await event_details(event.id, fan(7), uow, clock)
    section = details.sections[0]
    held = await hold_seats(
        HoldSeats(event.id, fan(7), key(), section_id=section.section_id, quantity=2), uow, clock
    )
    order = await confirm_hold(ConfirmHold(held.hold.id, fan(7), key()), uow, clock)
    assert len(order.tickets) == 2
    assert (await ledger_totals(uow)).balanced
