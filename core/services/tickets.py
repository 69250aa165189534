"""A fan's tickets: listing them, cancelling one for a refund, giving one away."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime

from core import text
from core.caller import Caller, valid_id
from core.clock import Clock
from core.errors import DuplicateKey, InvalidTransfer, RefundClosed, TicketNotFound
from core.ledger import Account, Transfer
from core.models import Event, Phase, SeatStatus, Ticket, TicketStatus
from core.ports import UnitOfWork
from core.retry import retrying
from core.services.interests import member_locale
from core.services.showing import changed
from core.services.waitlist import returns_to_line


@dataclass(frozen=True)
class TicketCard:
    """One ticket with its event, as a fan sees it in /tickets."""

    ticket: Ticket
    event: Event


def _shown_to(caller: Caller, event: Event) -> bool:
    """In a server, a member sees their tickets for that server's events; in a DM, all of their own."""
    return caller.guild_id is None or event.guild_id == caller.guild_id


async def _own_ticket(uow: UnitOfWork, ticket_id: int, caller: Caller) -> TicketCard:
    """Inside an open unit of work: a live ticket the caller holds, where they may act on it."""
    ticket = await uow.tickets.get(ticket_id) if valid_id(ticket_id) else None
    event = await uow.events.get(ticket.event_id) if ticket is not None else None
    if (
        ticket is None
        or event is None
        or ticket.holder_id != caller.user_id
        or ticket.status is not TicketStatus.ACTIVE
        or not _shown_to(caller, event)
    ):
        raise TicketNotFound(ticket_id=ticket_id)
    return TicketCard(ticket, event)


async def give_back(uow: UnitOfWork, ticket: Ticket, event: Event, now: datetime, *, memo: str) -> bool:
    """Inside an open unit of work, after the ticket was cancelled: frees its seat or place, gives the
    buyer their count back and refunds the price to the wallet that paid. False when that refund was
    already paid."""
    # While fans wait for this event, what comes back is theirs first.
    to = await returns_to_line(uow, event.id)
    if ticket.seat_id is not None:
        await uow.seats.release_sold(ticket.seat_id, to)
    else:
        await uow.general_admission.release(event.id, 1, to_waitlist=to is SeatStatus.RETURNED)
    await uow.fans.returned(event.id, ticket.buyer_id, 1)
    await uow.fans.let_go(event.id, ticket.holder_id, 1)
    if ticket.price <= 0:
        return True
    refund = Transfer(
        txn_key=f"refund:ticket:{ticket.id}",
        source=Account.payable(event.organizer_id),
        target=Account.wallet(ticket.buyer_id),
        amount=ticket.price,
        memo=memo,
    )
    try:
        await uow.ledger.post(refund, now)
    except DuplicateKey:
        return False
    return True


@dataclass(frozen=True)
class CancelTicket:
    ticket_id: int
    caller: Caller
    locale: str = "ko"


@dataclass(frozen=True)
class Refunded:
    amount: int
    buyer_id: int  # whose wallet the money went back to


@dataclass(frozen=True)
class CancelQuote:
    """What cancelling a ticket would do, shown to the fan before they confirm."""

    card: TicketCard
    refund: int
    buyer_id: int  # whose wallet the refund would go back to
    closes_at: datetime  # the last moment a cancellation is taken


@retrying
async def quote_cancel(ticket_id: int, caller: Caller, uow: UnitOfWork, clock: Clock) -> CancelQuote:
    """The refund and its deadline, refused at once when cancelling is no longer possible."""
    async with uow.for_reading():
        card = await _own_ticket(uow, ticket_id, caller)
    closes = card.event.refund_deadline()
    if clock.now() >= closes:
        raise RefundClosed(deadline=closes)
    return CancelQuote(card, card.ticket.price, card.ticket.buyer_id, closes)


@retrying
async def cancel_ticket(cmd: CancelTicket, uow: UnitOfWork, clock: Clock) -> Refunded:
    """Cancels one ticket, frees its seat and refunds its price to whoever paid for it."""
    now = clock.now()
    async with uow:
        card = await _own_ticket(uow, cmd.ticket_id, cmd.caller)
        ticket, event = card.ticket, card.event
        if now >= event.refund_deadline():
            raise RefundClosed(deadline=event.refund_deadline())
        if not await uow.tickets.cancel(ticket.id, now):
            raise TicketNotFound(ticket_id=cmd.ticket_id)
        if not await give_back(uow, ticket, event, now, memo=f"refund:event:{event.id}"):
            return Refunded(ticket.price, ticket.buyer_id)
        payload = {
            "ticket_id": ticket.id,
            "user_id": ticket.holder_id,
            "buyer_id": ticket.buyer_id,
            "amount": ticket.price,
            "locale": cmd.locale,
        }
        await uow.outbox.add("ticket_cancelled", payload, now)
        if ticket.buyer_id != ticket.holder_id:
            # The buyer did not ask for this DM: it speaks their language, not the holder's.
            buyer = {**payload, "user_id": ticket.buyer_id}
            buyer["locale"] = await member_locale(uow, ticket.buyer_id, cmd.locale)
            await uow.outbox.add("ticket_refunded", buyer, now)
        await uow.commit()
    changed(uow, event.id)
    return Refunded(ticket.price, ticket.buyer_id)


@dataclass(frozen=True)
class TransferTicket:
    ticket_id: int
    caller: Caller
    to_user: int
    to_is_bot: bool = False
    to_name: str = ""
    locale: str = "ko"
    # How many times one ticket may change hands (a setting): enough for a friend, too few for a trade.
    max_transfers: int = 2


@dataclass(frozen=True)
class Transferred:
    card: TicketCard
    notice_id: int


@retrying
async def transfer_ticket(cmd: TransferTicket, uow: UnitOfWork, clock: Clock) -> Transferred:
    """Hands a ticket to another member of the event's server, free of charge; the old code stops
    working at once. Money never moves with a ticket: a later refund still goes to whoever paid.

    The receiver may hold no more than the per-fan limit, so transfers cannot gather tickets for
    resale; the giver's purchases still count against their own limit."""
    now = clock.now()
    sender = cmd.caller
    if cmd.to_user == sender.user_id:
        raise InvalidTransfer(reason="self")
    if cmd.to_is_bot:
        raise InvalidTransfer(reason="bot")
    if not valid_id(cmd.to_user):
        raise InvalidTransfer(reason="receiver")
    sender.require_guild()
    async with uow:
        card = await _own_ticket(uow, cmd.ticket_id, sender)
        ticket, event = card.ticket, card.event
        if event.phase(now) in (Phase.ENDED, Phase.CANCELLED):
            raise InvalidTransfer(reason="closed")
        if not await uow.fans.receive(event.id, cmd.to_user, 1, event.per_user_limit, now):
            # The giver is told about the receiver's limit, not their own.
            raise InvalidTransfer(reason="receiver_limit", limit=event.per_user_limit, receiver=cmd.to_user)
        if ticket.transfers >= cmd.max_transfers:
            raise InvalidTransfer(reason="too_many", maximum=cmd.max_transfers)
        name = text.name(cmd.to_name)
        secret = secrets.token_hex(8)
        if not await uow.tickets.transfer(
            ticket.id, sender.user_id, cmd.to_user, name, secret, cmd.max_transfers
        ):
            raise TicketNotFound(ticket_id=cmd.ticket_id)
        await uow.fans.let_go(event.id, sender.user_id, 1)
        payload = {
            "ticket_id": ticket.id,
            "user_id": cmd.to_user,
            "from_user": sender.user_id,
            "locale": await member_locale(uow, cmd.to_user, cmd.locale),
        }
        notice = await uow.outbox.add("ticket_transferred", payload, now)
        moved = await uow.tickets.get(ticket.id)
        await uow.commit()
    assert moved is not None
    return Transferred(TicketCard(moved, event), notice)


@retrying
async def ticket_cards(caller: Caller, uow: UnitOfWork) -> list[TicketCard]:
    """The caller's live tickets: for this server's events in a server, all of them in a DM."""
    async with uow.for_reading():
        tickets = await uow.tickets.for_holder(caller.user_id)
        events: dict[int, Event] = {}
        for ticket in tickets:
            if ticket.event_id not in events:
                event = await uow.events.get(ticket.event_id)
                assert event is not None
                events[event.id] = event
    return [TicketCard(t, events[t.event_id]) for t in tickets if _shown_to(caller, events[t.event_id])]


@retrying
async def ticket_card(ticket_id: int, caller: Caller, uow: UnitOfWork) -> TicketCard:
    async with uow.for_reading():
        return await _own_ticket(uow, ticket_id, caller)


@retrying
async def held_card(ticket_id: int, holder_id: int, uow: UnitOfWork) -> TicketCard | None:
    """A live ticket as its holder gets it by DM (after a transfer); None once it has moved on."""
    async with uow.for_reading():
        ticket = await uow.tickets.get(ticket_id)
        if ticket is None or ticket.holder_id != holder_id or ticket.status is not TicketStatus.ACTIVE:
            return None
        event = await uow.events.get(ticket.event_id)
        assert event is not None
    return TicketCard(ticket, event)


@retrying
async def order_cards(order_id: int, uow: UnitOfWork) -> list[TicketCard]:
    """The live tickets of one order, for the DM that delivers them."""
    async with uow.for_reading():
        order = await uow.orders.get(order_id)
        if order is None:
            return []
        event = await uow.events.get(order.event_id)
        assert event is not None
        tickets = await uow.tickets.for_order(order_id)
    # A ticket given away before this DM went out is the receiver's to be shown, not the buyer's.
    live = [t for t in tickets if t.status is TicketStatus.ACTIVE and t.holder_id == order.user_id]
    return [TicketCard(t, event) for t in live]
