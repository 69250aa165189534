"""A fan's tickets: listing them and cancelling one for a refund."""

from __future__ import annotations

from dataclasses import dataclass

from core.clock import Clock
from core.errors import DuplicateKey, RefundClosed, TicketNotFound
from core.ledger import Account, Transfer
from core.models import Ticket, TicketStatus
from core.ports import UnitOfWork
from core.retry import retrying


@dataclass(frozen=True)
class CancelTicket:
    ticket_id: int
    user_id: int


@retrying
async def list_tickets(user_id: int, uow: UnitOfWork, event_id: int | None = None) -> list[Ticket]:
    async with uow:
        return await uow.tickets.for_holder(user_id, event_id)


@retrying
async def cancel_ticket(cmd: CancelTicket, uow: UnitOfWork, clock: Clock) -> int:
    """Cancels one ticket, frees its seat and refunds its price to the wallet. Returns the refund."""
    now = clock.now()
    async with uow:
        ticket = await uow.tickets.get(cmd.ticket_id)
        if ticket is None or ticket.holder_id != cmd.user_id or ticket.status is not TicketStatus.ACTIVE:
            raise TicketNotFound(ticket_id=cmd.ticket_id)
        event = await uow.events.get(ticket.event_id)
        assert event is not None
        if now >= event.refund_deadline():
            raise RefundClosed(deadline=event.refund_deadline())
        if not await uow.tickets.cancel(ticket.id, now):
            raise TicketNotFound(ticket_id=cmd.ticket_id)
        if ticket.seat_id is not None:
            await uow.seats.release_sold(ticket.seat_id)
        else:
            await uow.general_admission.release(event.id, 1)
        await uow.fans.returned(event.id, cmd.user_id, 1)
        if ticket.price > 0:
            refund = Transfer(
                txn_key=f"refund:ticket:{ticket.id}",
                source=Account.payable(event.organizer_id),
                target=Account.wallet(cmd.user_id),
                amount=ticket.price,
                memo=f"refund:event:{event.id}",
            )
            try:
                await uow.ledger.post(refund, now)
            except DuplicateKey:
                return ticket.price
        await uow.outbox.add("ticket_cancelled", {"ticket_id": ticket.id, "user_id": cmd.user_id}, now)
        await uow.commit()
    return ticket.price
