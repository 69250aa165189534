"""Holding seats, paying for them, letting them go."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from core import text
from core.caller import Caller, in_scope, valid_id
from core.clock import Clock
from core.errors import (
    CartExists,
    DuplicateKey,
    EventNotFound,
    HoldExpired,
    HoldNotFound,
    InsufficientFunds,
    InvalidQuantity,
    LimitReached,
    SaleClosed,
    SeatUnavailable,
    SoldOut,
)
from core.ledger import Account, Transfer
from core.models import (
    Event,
    EventStatus,
    Hold,
    HoldStatus,
    Order,
    Seat,
    SeatStatus,
    SectionAvailability,
    Ticket,
)
from core.ports import NewHold, NewTicket, UnitOfWork
from core.retry import retrying
from core.seating import best_block

BEST_AVAILABLE_ATTEMPTS = 4


@dataclass(frozen=True)
class HoldSeats:
    """Hold either the seats named, ``quantity`` best seats in a section, or ``quantity`` GA places."""

    event_id: int
    caller: Caller
    client_key: str
    seat_ids: tuple[int, ...] = ()
    section_id: int | None = None
    quantity: int = 0

    @property
    def user_id(self) -> int:
        return self.caller.user_id


@dataclass(frozen=True)
class HoldView:
    hold: Hold
    event: Event
    seats: list[Seat]


@dataclass(frozen=True)
class ConfirmHold:
    hold_id: int
    caller: Caller
    client_key: str
    locale: str = "ko"  # the language of the ticket DM

    @property
    def user_id(self) -> int:
        return self.caller.user_id


@dataclass(frozen=True)
class OrderView:
    order: Order
    event: Event
    tickets: list[Ticket]
    notice_id: int | None = None


MAX_QUANTITY = 10


def _quantity(cmd: HoldSeats) -> int:
    quantity = len(cmd.seat_ids) if cmd.seat_ids else cmd.quantity
    if quantity <= 0:
        raise InvalidQuantity(quantity=quantity)
    if quantity > MAX_QUANTITY:
        raise InvalidQuantity(quantity=quantity, reason="too_many", maximum=MAX_QUANTITY)
    if len(set(cmd.seat_ids)) != len(cmd.seat_ids):
        raise InvalidQuantity(quantity=quantity, reason="same_seat_twice")
    if not all(valid_id(s) for s in cmd.seat_ids):
        raise SeatUnavailable(seats=[])
    if not valid_id(cmd.event_id):
        raise EventNotFound(event_id=cmd.event_id)
    return quantity


async def hold_seats(cmd: HoldSeats, uow: UnitOfWork, clock: Clock) -> HoldView:
    quantity = _quantity(cmd)
    for attempt in range(BEST_AVAILABLE_ATTEMPTS):
        try:
            return await _hold_once(cmd, quantity, uow, clock)
        except SeatUnavailable as refused:
            # Someone took the block we picked between our look and our claim: pick again.
            # A refusal with a reason came from the look itself, and looking again will not help.
            if cmd.seat_ids or "reason" in refused.params or attempt == BEST_AVAILABLE_ATTEMPTS - 1:
                raise
    raise AssertionError("unreachable")


# Refusals a retry can meet when its first attempt did commit: the seats it "lost" are its own.
_REFUSALS_OF_A_REPEAT = (SoldOut, SeatUnavailable, InsufficientFunds, CartExists, LimitReached)


@retrying
async def _hold_once(cmd: HoldSeats, quantity: int, uow: UnitOfWork, clock: Clock) -> HoldView:
    now = clock.now()
    try:
        async with uow:
            event = _bookable(await uow.events.get(cmd.event_id), cmd.caller, cmd.event_id)
            event.check_on_sale(now)
            if quantity > event.per_user_limit:
                raise LimitReached(limit=event.per_user_limit, bought=0)
            view = await _hold_in(uow, cmd, quantity, event, now)
            await uow.commit()
        return view
    except _REFUSALS_OF_A_REPEAT:
        # Looked up after the rollback, so only a hold that really was committed earlier counts.
        async with uow:
            existing = await uow.holds.by_client_key(cmd.client_key)
            if existing is None or existing.user_id != cmd.user_id:
                raise
            return HoldView(existing, event, await uow.seats.seats(event.id, existing.seat_ids))


def _bookable(event: Event | None, caller: Caller, event_id: int) -> Event:
    event = in_scope(event, caller, event_id)
    if event.status is EventStatus.DRAFT:
        raise EventNotFound(event_id=event_id)
    return event


async def _hold_in(uow: UnitOfWork, cmd: HoldSeats, quantity: int, event: Event, now: datetime) -> HoldView:
    seats = await _choose(cmd, quantity, event, uow, now)
    amount = sum(s.price for s in seats) if seats else quantity * (event.ga_price or 0)
    if amount > await uow.ledger.balance(Account.wallet(cmd.user_id)):
        raise InsufficientFunds(amount=amount, currency=event.currency)
    expires_at = now + event.hold_time
    new = NewHold(
        event_id=event.id,
        user_id=cmd.user_id,
        quantity=quantity,
        amount=amount,
        seat_ids=tuple(s.id for s in seats),
        expires_at=expires_at,
        client_key=cmd.client_key,
        created_at=now,
    )
    try:
        hold_id = await uow.holds.add(new)
    except DuplicateKey:
        existing = await uow.holds.by_client_key(cmd.client_key)
        if existing is None or existing.user_id != cmd.user_id:
            # Client keys are interaction ids: another member's is a forged request.
            raise InvalidQuantity(quantity=quantity) from None
        return HoldView(existing, event, await uow.seats.seats(event.id, existing.seat_ids))
    if not await uow.fans.reserve(
        event.id, cmd.user_id, hold_id, quantity, event.per_user_limit, now, expires_at
    ):
        standing = await uow.fans.standing(event.id, cmd.user_id)
        if standing.has_open_cart(now):
            raise CartExists(hold_id=standing.hold_id)
        raise LimitReached(limit=event.per_user_limit, bought=standing.bought)
    if seats:
        claimed = await uow.seats.claim(event.id, [s.id for s in seats], hold_id, expires_at, now)
        if claimed != len(seats):
            raise SeatUnavailable(seats=[s.label for s in seats])
    elif not await _claim_places(uow, event, quantity, now):
        raise SoldOut(event=event.title)
    hold = Hold(
        hold_id,
        event.id,
        cmd.user_id,
        quantity,
        amount,
        new.seat_ids,
        HoldStatus.ACTIVE,
        expires_at,
        cmd.client_key,
    )
    return HoldView(hold, event, seats)


async def _claim_places(uow: UnitOfWork, event: Event, quantity: int, now: datetime) -> bool:
    """General admission is one counter, so places of lapsed holds only come back when someone
    gives them back: when the counter says full, the buyer's own transaction does that first."""
    if await uow.general_admission.claim(event.id, quantity):
        return True
    lapsed = await uow.holds.due(now, 500, event_id=event.id)
    for hold_id in lapsed:
        hold = await uow.holds.get(hold_id)
        if hold is not None and await uow.holds.finish(hold_id, HoldStatus.EXPIRED, now, only_if_live=False):
            await _free(hold, uow)
    return bool(lapsed) and await uow.general_admission.claim(event.id, quantity)


async def _choose(cmd: HoldSeats, quantity: int, event: Event, uow: UnitOfWork, now: datetime) -> list[Seat]:
    if event.is_general_admission:
        return []
    if cmd.seat_ids:
        seats = await uow.seats.seats(event.id, cmd.seat_ids)
        if len(seats) != len(cmd.seat_ids):
            raise SeatUnavailable(seats=[])
        return seats
    section_id = cmd.section_id
    named = section_id is not None and valid_id(section_id)
    section = await uow.seats.section_seats(event.id, section_id, now) if section_id and named else []
    if not section:
        raise SeatUnavailable(seats=[], reason="no_section")
    block = best_block(section, quantity)
    if block is None:
        if any(s.status is SeatStatus.AVAILABLE for s in section):
            raise SeatUnavailable(seats=[], reason="no_block", n=quantity)
        # "Sold out" would send the fan away while other sections still have seats.
        if section and any(s.available for s in await uow.seats.availability(event.id, now)):
            raise SeatUnavailable(seats=[], reason="section_full", section=section[0].section)
        raise SoldOut(event=event.title)
    return block


@retrying
async def confirm_hold(cmd: ConfirmHold, uow: UnitOfWork, clock: Clock) -> OrderView:
    """Pays for a hold from the fan's wallet and issues its tickets, all in one transaction."""
    now = clock.now()
    async with uow:
        hold, event = await _own_hold(uow, cmd.hold_id, cmd.caller)
        if hold.status is HoldStatus.CONFIRMED:
            return await _existing_order(hold, event, uow)
        if event.status is EventStatus.CANCELLED:
            # The organizer cancelled while the fan was paying: no charge for an event that is off.
            raise SaleClosed(event=event.title)
        if not await uow.holds.finish(hold.id, HoldStatus.CONFIRMED, now, only_if_live=True):
            # A twin request (a double click) may have confirmed it a moment ago: that is not expiry.
            again = await uow.holds.get(hold.id)
            if again is not None and again.status is HoldStatus.CONFIRMED:
                return await _existing_order(again, event, uow)
            raise HoldExpired(hold_id=hold.id)
        seats: list[Seat] = []
        if hold.seat_ids:
            if await uow.seats.sell_held(hold.id, hold.seat_ids) != len(hold.seat_ids):
                raise HoldExpired(hold_id=hold.id)
            seats = await uow.seats.seats(event.id, hold.seat_ids)
        try:
            order_id = await uow.orders.add(hold, cmd.client_key, now)
        except DuplicateKey:
            raise HoldNotFound(hold_id=cmd.hold_id) from None
        holder_name = text.name(cmd.caller.name)
        new = _new_tickets(hold, event, seats)
        issued = await uow.tickets.add_many(order_id, event.id, hold.user_id, holder_name, new, now)
        if hold.amount > 0:
            payment = Transfer(
                txn_key=f"order:{order_id}",
                source=Account.wallet(hold.user_id),
                target=Account.payable(event.organizer_id),
                amount=hold.amount,
                memo=f"event:{event.id}",
            )
            await uow.ledger.post(payment, now)
        await uow.fans.close_cart(event.id, hold.user_id, hold.id, bought=hold.quantity)
        payload = {"order_id": order_id, "user_id": hold.user_id, "locale": cmd.locale}
        notice = await uow.outbox.add("tickets_issued", payload, now)
        await uow.commit()
    return OrderView(
        Order(order_id, event.id, hold.user_id, hold.id, hold.amount, now), event, issued, notice
    )


async def _own_hold(uow: UnitOfWork, hold_id: int, caller: Caller) -> tuple[Hold, Event]:
    """Inside an open unit of work: the caller's own hold, on an event of the server they are in."""
    hold = await uow.holds.get(hold_id) if valid_id(hold_id) else None
    event = await uow.events.get(hold.event_id) if hold is not None else None
    if hold is None or event is None or hold.user_id != caller.user_id or event.guild_id != caller.guild_id:
        raise HoldNotFound(hold_id=hold_id)
    return hold, event


async def _existing_order(hold: Hold, event: Event, uow: UnitOfWork) -> OrderView:
    order = await uow.orders.by_hold(hold.id)
    assert order is not None
    return OrderView(order, event, await uow.tickets.for_order(order.id))


def _new_tickets(hold: Hold, event: Event, seats: Sequence[Seat]) -> list[NewTicket]:
    if seats:
        return [NewTicket(s.id, s.label, s.price, secrets.token_hex(8)) for s in seats]
    return [NewTicket(None, None, event.ga_price or 0, secrets.token_hex(8)) for _ in range(hold.quantity)]


@retrying
async def open_cart(hold_id: int, caller: Caller, uow: UnitOfWork, clock: Clock) -> HoldView:
    """A fan's cart as it stands, while it can still be paid for."""
    async with uow:
        hold, event = await _own_hold(uow, hold_id, caller)
        if hold.status is not HoldStatus.ACTIVE or hold.expires_at <= clock.now():
            raise HoldNotFound(hold_id=hold_id)
        seats = await uow.seats.seats(event.id, hold.seat_ids)
    return HoldView(hold, event, seats)


@retrying
async def release_hold(hold_id: int, caller: Caller, uow: UnitOfWork, clock: Clock) -> HoldStatus:
    """Lets the seats go; returns how the hold ended, so a fan releasing a cart they already
    paid for (from a second message) hears that, not that nothing was charged."""
    async with uow:
        hold, _ = await _own_hold(uow, hold_id, caller)
        if await uow.holds.finish(hold_id, HoldStatus.RELEASED, clock.now(), only_if_live=False):
            await _free(hold, uow)
            await uow.commit()
            return HoldStatus.RELEASED
        ended = await uow.holds.get(hold_id)
    assert ended is not None
    return ended.status


async def _free(hold: Hold, uow: UnitOfWork) -> None:
    if hold.seat_ids:
        await uow.seats.release_held(hold.id)
    else:
        await uow.general_admission.release(hold.event_id, hold.quantity)
    await uow.fans.close_cart(hold.event_id, hold.user_id, hold.id, bought=0)


async def expire_due_holds(uow: UnitOfWork, clock: Clock, batch: int = 100) -> int:
    """Tidies holds whose time ran out. Correctness never waits for this: claims ignore expired holds."""
    async with uow:
        due = await uow.holds.due(clock.now(), batch)
    expired = 0
    for hold_id in due:
        expired += await _expire_one(hold_id, uow, clock)
    return expired


@retrying
async def _expire_one(hold_id: int, uow: UnitOfWork, clock: Clock) -> int:
    async with uow:
        hold = await uow.holds.get(hold_id)
        if hold is None or hold.status is not HoldStatus.ACTIVE or hold.expires_at > clock.now():
            return 0
        if not await uow.holds.finish(hold_id, HoldStatus.EXPIRED, clock.now(), only_if_live=False):
            return 0
        await _free(hold, uow)
        await uow.commit()
    return 1


@dataclass(frozen=True)
class BookingStart:
    """What a fan needs to pick seats: the event as it stands, their tickets so far, their balance."""

    event: Event
    sections: list[SectionAvailability]
    seats: list[Seat]
    ga_free: int
    bought: int
    balance: int

    @property
    def may_buy(self) -> int:
        return max(0, self.event.per_user_limit - self.bought)


@retrying
async def start_booking(event_id: int, caller: Caller, uow: UnitOfWork, clock: Clock) -> BookingStart:
    now = clock.now()
    if not valid_id(event_id):
        raise EventNotFound(event_id=event_id)
    async with uow:
        event = _bookable(await uow.events.get(event_id), caller, event_id)
        event.check_on_sale(now)
        standing = await uow.fans.standing(event.id, caller.user_id)
        if standing.bought >= event.per_user_limit:
            raise LimitReached(limit=event.per_user_limit, bought=standing.bought)
        balance = await uow.ledger.balance(Account.wallet(caller.user_id))
        if event.is_general_admission:
            free = (event.ga_capacity or 0) - await uow.general_admission.taken(event.id)
            if free <= 0:
                raise SoldOut(event=event.title)
            return BookingStart(event, [], [], free, standing.bought, balance)
        sections = await uow.seats.availability(event.id, now)
        seats = await uow.seats.seat_map(event.id, now)
    if not any(s.available for s in sections):
        raise SoldOut(event=event.title)
    return BookingStart(event, sections, seats, 0, standing.bought, balance)
