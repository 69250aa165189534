"""A fan's tickets: listing them and cancelling one for a refund."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime

from core.clock import Clock
from core.errors import DuplicateKey, InvalidTransfer, RefundClosed, TicketNotFound
from core.ledger import Account, Transfer
from core.models import Event, Phase, Ticket, TicketStatus
from core.ports import UnitOfWork
from core.retry import retrying


@dataclass(frozen=True)
class CancelTicket:
    ticket_id: int
    user_id: int
    locale: str = "ko"


@retrying
async def list_tickets(user_id: int, uow: UnitOfWork, event_id: int | None = None) -> list[Ticket]:
    async with uow:
        return await uow.tickets.for_holder(user_id, event_id)


async def give_back(uow: UnitOfWork, ticket: Ticket, event: Event, now: datetime, *, memo: str) -> bool:
    """Inside an open unit of work, after the ticket was cancelled: frees its seat or place, lowers
    the holder's count and refunds the price. False when that refund was already paid."""
    if ticket.seat_id is not None:
        await uow.seats.release_sold(ticket.seat_id)
    else:
        await uow.general_admission.release(event.id, 1)
    await uow.fans.returned(event.id, ticket.holder_id, 1)
    if ticket.price <= 0:
        return True
    refund = Transfer(
        txn_key=f"refund:ticket:{ticket.id}",
        source=Account.payable(event.organizer_id),
        target=Account.wallet(ticket.holder_id),
        amount=ticket.price,
        memo=memo,
    )
    try:
        await uow.ledger.post(refund, now)
    except DuplicateKey:
        return False
    return True


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
        if not await give_back(uow, ticket, event, now, memo=f"refund:event:{event.id}"):
            return ticket.price
        payload = {"ticket_id": ticket.id, "user_id": cmd.user_id, "locale": cmd.locale}
        await uow.outbox.add("ticket_cancelled", payload, now)
        await uow.commit()
    return ticket.price


@dataclass(frozen=True)
class TransferTicket:
    ticket_id: int
    from_user: int
    to_user: int
    to_is_bot: bool = False
    locale: str = "ko"


@dataclass(frozen=True)
class TicketCard:
    """One ticket with its event, as a fan sees it in /tickets."""

    ticket: Ticket
    event: Event


@dataclass(frozen=True)
class Transferred:
    card: TicketCard
    notice_id: int


@retrying
async def transfer_ticket(cmd: TransferTicket, uow: UnitOfWork, clock: Clock) -> Transferred:
    """Hands a ticket to another member, free of charge; the old code stops working at once.

    The receiver's own per-fan limit applies, so transfers cannot gather tickets for resale."""
    now = clock.now()
    if cmd.to_user == cmd.from_user or cmd.to_is_bot:
        raise InvalidTransfer(reason="self" if cmd.to_user == cmd.from_user else "bot")
    async with uow:
        ticket = await uow.tickets.get(cmd.ticket_id)
        if ticket is None or ticket.holder_id != cmd.from_user or ticket.status is not TicketStatus.ACTIVE:
            raise TicketNotFound(ticket_id=cmd.ticket_id)
        event = await uow.events.get(ticket.event_id)
        assert event is not None
        if event.phase(now) in (Phase.ENDED, Phase.CANCELLED):
            raise InvalidTransfer(reason="closed")
        if not await uow.fans.receive(event.id, cmd.to_user, 1, event.per_user_limit, now):
            # The giver is told about the receiver's limit, not their own.
            raise InvalidTransfer(reason="receiver_limit", limit=event.per_user_limit, receiver=cmd.to_user)
        if not await uow.tickets.transfer(ticket.id, cmd.from_user, cmd.to_user, secrets.token_hex(8)):
            raise TicketNotFound(ticket_id=cmd.ticket_id)
        await uow.fans.returned(event.id, cmd.from_user, 1)
        payload = {
            "ticket_id": ticket.id,
            "user_id": cmd.to_user,
            "from_user": cmd.from_user,
            "locale": cmd.locale,
        }
        notice = await uow.outbox.add("ticket_transferred", payload, now)
        moved = await uow.tickets.get(ticket.id)
        await uow.commit()
    assert moved is not None
    return Transferred(TicketCard(moved, event), notice)


@retrying
async def ticket_cards(user_id: int, uow: UnitOfWork, event_id: int | None = None) -> list[TicketCard]:
    async with uow:
        tickets = await uow.tickets.for_holder(user_id, event_id)
        events: dict[int, Event] = {}
        for ticket in tickets:
            if ticket.event_id not in events:
                event = await uow.events.get(ticket.event_id)
                assert event is not None
                events[event.id] = event
    return [TicketCard(t, events[t.event_id]) for t in tickets]


@retrying
async def ticket_card(ticket_id: int, user_id: int, uow: UnitOfWork) -> TicketCard:
    async with uow:
        ticket = await uow.tickets.get(ticket_id)
        if ticket is None or ticket.holder_id != user_id or ticket.status is not TicketStatus.ACTIVE:
            raise TicketNotFound(ticket_id=ticket_id)
        event = await uow.events.get(ticket.event_id)
        assert event is not None
    return TicketCard(ticket, event)


@retrying
async def order_cards(order_id: int, uow: UnitOfWork) -> list[TicketCard]:
    """The live tickets of one order, for the DM that delivers them."""
    async with uow:
        order = await uow.orders.get(order_id)
        if order is None:
            return []
        event = await uow.events.get(order.event_id)
        assert event is not None
        tickets = await uow.tickets.for_order(order_id)
    return [TicketCard(t, event) for t in tickets if t.status is TicketStatus.ACTIVE]
