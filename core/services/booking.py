"""Holding seats, paying for them, letting them go."""

from __future__ import annotations

import random
import secrets
from dataclasses import dataclass
from datetime import datetime

from core import text
from core.box_office import (
    MAX_TICKETS_PER_HOLD,
    BoxOffice,
    ConfirmPlan,
    ConfirmRefusal,
    HoldPlan,
    HoldRefusal,
    HoldResult,
    Look,
    SeatQuery,
    page_size,
)
from core.caller import Caller, in_scope, valid_id
from core.clock import Clock
from core.errors import (
    CartExists,
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
from core.ledger import Account
from core.models import (
    Event,
    EventRules,
    EventStatus,
    Hold,
    HoldStatus,
    Order,
    Phase,
    Seat,
    SeatStatus,
    SectionAvailability,
    Ticket,
)
from core.ports import UnitOfWork
from core.retry import retrying
from core.rules import check_buyer
from core.seating import ranked_blocks
from core.services.queue import DEFAULT_QUEUE, QueueSettings, pass_used, require_pass
from core.services.showing import changed, seen_now
from core.services.waitlist import returns_to_line

# Fans pressing Best available together each get seats while the section has room: within one
# process they never choose the same ones, across processes a collision is retried a little further off.
BEST_AVAILABLE_ATTEMPTS = 12
# Free seats read per look, for each ticket wanted: a few blocks' worth, so that fans choosing at the
# same moment still find seats past those the others are claiming, and a look stays cheap.
SEATS_PER_TICKET = 6


@dataclass(frozen=True)
class HoldSeats:
    """Hold either the seats named, ``quantity`` best seats in a section, or ``quantity`` GA places."""

    event_id: int
    caller: Caller
    client_key: str
    seat_ids: tuple[int, ...] = ()
    section_id: int | None = None
    quantity: int = 0
    queue: QueueSettings = DEFAULT_QUEUE  # for an event with a waiting room: how it starts out

    @property
    def user_id(self) -> int:
        return self.caller.user_id


@dataclass(frozen=True)
class HoldView:
    hold: Hold
    event: Event
    seats: list[Seat]
    balance: int | None = None  # the wallet the cart will be paid from, when known


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
    balance: int | None = None  # the fan's wallet once paid, for the receipt


MAX_QUANTITY = MAX_TICKETS_PER_HOLD


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
            return await _hold_once(cmd, quantity, uow, clock, attempt)
        except SeatUnavailable as refused:
            # Someone took the block we picked between our look and our claim: pick again.
            # A refusal with a reason came from the look itself, and looking again will not help.
            if cmd.seat_ids or "reason" in refused.params or attempt == BEST_AVAILABLE_ATTEMPTS - 1:
                raise
    raise AssertionError("unreachable")


# Refusals a retry can meet when its first attempt did commit: the seats it "lost" are its own.
_REFUSALS_OF_A_REPEAT = (SoldOut, SeatUnavailable, InsufficientFunds, CartExists, LimitReached)


@retrying
async def _hold_once(cmd: HoldSeats, quantity: int, uow: UnitOfWork, clock: Clock, attempt: int) -> HoldView:
    try:
        return await _try_hold(cmd, quantity, uow, clock, attempt)
    except _REFUSALS_OF_A_REPEAT:
        earlier = await _earlier_hold(cmd, uow)
        if earlier is None:
            raise
        return earlier


async def buying_rules(event_id: int, uow: UnitOfWork) -> EventRules:
    """The event's buying rules, from the copy this process shares (a few seconds old at most)."""

    async def load() -> EventRules:
        async with uow.for_reading():
            return await uow.events.rules(event_id)

    return await uow.box_office.rules.get(event_id, load)


async def _earlier_hold(cmd: HoldSeats, uow: UnitOfWork) -> HoldView | None:
    """The hold this very request made before its answer was lost (same client key), if any."""
    async with uow.for_reading():
        existing = await uow.holds.by_client_key(cmd.client_key)
        event = await uow.events.get(existing.event_id) if existing is not None else None
        if existing is None or event is None or existing.user_id != cmd.user_id:
            return None
        return HoldView(existing, event, await uow.seats.seats(event.id, existing.seat_ids))


async def _try_hold(cmd: HoldSeats, quantity: int, uow: UnitOfWork, clock: Clock, attempt: int) -> HoldView:
    office, now = uow.box_office, clock.now()
    page = _page(quantity, office)
    query = SeatQuery(cmd.seat_ids) if cmd.seat_ids else SeatQuery(section_id=_section(cmd), limit=page)
    look = await office.look(cmd.event_id, query, now)
    event = _bookable(look.event, cmd.caller, cmd.event_id)
    event.check_on_sale(now)
    check_buyer(await buying_rules(event.id, uow), cmd.caller, now)
    if event.use_queue:
        await require_pass(event, cmd.caller, "en", uow, clock, cmd.queue)
    if quantity > event.per_user_limit:
        raise LimitReached(limit=event.per_user_limit, bought=0)
    seats = await _choose(cmd, quantity, event, look, query.limit, uow, now, attempt)
    amount = sum(s.price for s in seats) if seats else quantity * (event.ga_price or 0)
    plan = HoldPlan(
        event_id=event.id,
        user_id=cmd.user_id,
        client_key=cmd.client_key,
        quantity=quantity,
        amount=amount,
        seat_ids=tuple(s.id for s in seats),
        limit=event.per_user_limit,
        now=now,
        expires_at=now + event.hold_time,
    )
    with office.in_flight.claiming(plan.seat_ids):
        result = await office.hold(plan)
    if result.refusal is None:
        assert result.hold_id is not None
        changed(uow, event.id)
        return HoldView(_hold_of(result.hold_id, cmd, event, plan), event, seats, result.balance)
    return await _refused(result, cmd, event, seats, plan.amount, uow, clock)


def _hold_of(hold_id: int, cmd: HoldSeats, event: Event, plan: HoldPlan) -> Hold:
    return Hold(
        hold_id,
        event.id,
        cmd.user_id,
        plan.quantity,
        plan.amount,
        plan.seat_ids,
        HoldStatus.ACTIVE,
        plan.expires_at,
        cmd.client_key,
    )


def _page(quantity: int, office: BoxOffice) -> int:
    return quantity * SEATS_PER_TICKET + len(office.in_flight)


def _section(cmd: HoldSeats) -> int | None:
    # No section (or one that names nothing) reads no seats: the look then finds the section empty.
    return cmd.section_id if cmd.section_id is not None and valid_id(cmd.section_id) else None


async def _refused(
    result: HoldResult,
    cmd: HoldSeats,
    event: Event,
    seats: list[Seat],
    amount: int,
    uow: UnitOfWork,
    clock: Clock,
) -> HoldView:
    refusal = result.refusal
    if refusal is HoldRefusal.REPEAT:
        # This request's hold was made by an earlier attempt whose answer was lost: show that one.
        earlier = await _earlier_hold(cmd, uow)
        if earlier is None:
            # Client keys are interaction ids: another member's is a forged request.
            raise InvalidQuantity(quantity=len(seats))
        return earlier
    if refusal is HoldRefusal.FUNDS:
        raise InsufficientFunds(amount=amount, currency=event.currency)
    if refusal is HoldRefusal.CART:
        raise CartExists(hold_id=result.open_cart)
    if refusal is HoldRefusal.LIMIT:
        raise LimitReached(limit=event.per_user_limit, bought=result.bought)
    if refusal is HoldRefusal.TAKEN:
        raise SeatUnavailable(seats=[s.label for s in seats])
    if refusal is HoldRefusal.SOLD_OUT:
        # General admission is one counter: places of carts that lapsed come back only when given back.
        if await _give_back_lapsed(event.id, uow, clock):
            raise SeatUnavailable(seats=[])
        raise SoldOut(event=event.title, event_id=event.id)
    raise SaleClosed(event=event.title)


async def _give_back_lapsed(event_id: int, uow: UnitOfWork, clock: Clock) -> bool:
    return await expire_due_holds(uow, clock, batch=500, event_id=event_id) > 0


def _bookable(event: Event | None, caller: Caller, event_id: int) -> Event:
    event = in_scope(event, caller, event_id)
    if event.status is EventStatus.DRAFT:
        raise EventNotFound(event_id=event_id)
    return event


async def _choose(
    cmd: HoldSeats,
    quantity: int,
    event: Event,
    look: Look,
    limit: int,
    uow: UnitOfWork,
    now: datetime,
    attempt: int,
) -> list[Seat]:
    office = uow.box_office
    if event.is_general_admission:
        return []
    if cmd.seat_ids:
        if len(look.seats) != len(cmd.seat_ids):
            raise SeatUnavailable(seats=[])
        return look.seats
    page, seen = look, 0
    name = look.seats[0].section if look.seats else ""
    while page.row_span is not None:
        seen += len(page.seats)
        first, last = page.row_span
        full = len(page.seats) >= page_size(limit, last - first + 1)
        whole, rest = _whole_rows(page.seats, full=full)
        blocks = ranked_blocks(office.in_flight.free_of(whole), quantity, (first + last) / 2)
        if blocks:
            # After a collision with another process, spread out rather than race for the same seats.
            return blocks[random.randrange(min(len(blocks), 2**attempt))]
        if rest is None:
            break
        query = SeatQuery(section_id=cmd.section_id, after=rest, limit=limit)
        page = await office.look(event.id, query, now)
    if seen == 0:
        await _no_free_seats(cmd, event, uow, now)
    if seen < quantity:
        # The loop ends only once every free seat of the section was seen: too few, side by side or not.
        raise SeatUnavailable(seats=[], reason="too_few", section=name, n=seen)
    raise SeatUnavailable(seats=[], reason="no_block", n=quantity)


def _whole_rows(seats: list[Seat], *, full: bool) -> tuple[list[Seat], tuple[str, int] | None]:
    """The seats of a page's whole rows, and where the next page starts (None: this was the last).
    A full page may end part-way through a row; that row is read again whole with the next page."""
    if not full:
        return seats, None
    last_row = seats[-1].row
    whole = [s for s in seats if s.row != last_row]
    if not whole:
        # One row filled the page: whole, since a page holds a row (or as much of a wide one as it may).
        return seats, (last_row, seats[-1].number)
    return whole, (whole[-1].row, whole[-1].number)


async def _no_free_seats(cmd: HoldSeats, event: Event, uow: UnitOfWork, now: datetime) -> None:
    """The section has no free seat: say whether it is this section or the whole event."""
    async with uow.for_reading():
        sections = await uow.seats.availability(event.id, now)
    mine = next((s for s in sections if s.section_id == cmd.section_id), None)
    if mine is None:
        raise SeatUnavailable(seats=[], reason="no_section")
    if any(s.available for s in sections):
        raise SeatUnavailable(seats=[], reason="section_full", section=mine.name)
    raise SoldOut(event=event.title, event_id=event.id)


@retrying
async def confirm_hold(cmd: ConfirmHold, uow: UnitOfWork, clock: Clock) -> OrderView:
    """Pays for a hold from the fan's wallet and issues its tickets, all in one transaction."""
    if not valid_id(cmd.hold_id) or cmd.caller.guild_id is None:
        raise HoldNotFound(hold_id=cmd.hold_id)
    plan = ConfirmPlan(
        hold_id=cmd.hold_id,
        user_id=cmd.user_id,
        guild_id=cmd.caller.guild_id,
        client_key=cmd.client_key,
        holder_name=text.name(cmd.caller.name),
        locale=cmd.locale,
        seed=secrets.token_hex(16),
        now=clock.now(),
    )
    result = await uow.box_office.confirm(plan)
    if result.refusal is None:
        assert result.event is not None and result.order is not None
        changed(uow, result.event.id)
        if result.event.use_queue:
            await pass_used(result.event.id, cmd.user_id, uow)
        return OrderView(result.order, result.event, list(result.tickets), result.notice_id, result.balance)
    event, refusal = result.event, result.refusal
    if event is None or refusal in (ConfirmRefusal.NOT_FOUND, ConfirmRefusal.REPEAT):
        raise HoldNotFound(hold_id=cmd.hold_id)
    if refusal is ConfirmRefusal.CONFIRMED:
        # A twin request (a double click) paid a moment ago: answer with that order.
        return await _existing_order(cmd.hold_id, event, uow)
    if refusal is ConfirmRefusal.CLOSED:
        # The organizer cancelled while the fan was paying: no charge for an event that is off.
        raise SaleClosed(event=event.title)
    if refusal is ConfirmRefusal.FUNDS:
        raise InsufficientFunds(amount=result.amount, currency=event.currency)
    raise HoldExpired(hold_id=cmd.hold_id)


async def _own_hold(uow: UnitOfWork, hold_id: int, caller: Caller) -> tuple[Hold, Event]:
    """Inside an open unit of work: the caller's own hold, on an event of the server they are in."""
    hold = await uow.holds.get(hold_id) if valid_id(hold_id) else None
    event = await uow.events.get(hold.event_id) if hold is not None else None
    if hold is None or event is None or hold.user_id != caller.user_id or event.guild_id != caller.guild_id:
        raise HoldNotFound(hold_id=hold_id)
    return hold, event


async def _existing_order(hold_id: int, event: Event, uow: UnitOfWork) -> OrderView:
    async with uow.for_reading():
        order = await uow.orders.by_hold(hold_id)
        assert order is not None
        tickets = await uow.tickets.for_order(order.id)
        left = await uow.ledger.balance(Account.wallet(order.user_id))
        return OrderView(order, event, tickets, balance=left)


@retrying
async def open_cart(hold_id: int, caller: Caller, uow: UnitOfWork, clock: Clock) -> HoldView:
    """A fan's cart as it stands, while it can still be paid for."""
    async with uow.for_reading():
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
            changed(uow, hold.event_id)
            return HoldStatus.RELEASED
        ended = await uow.holds.get(hold_id)
    assert ended is not None
    return ended.status


async def _free(hold: Hold, uow: UnitOfWork) -> None:
    # While fans wait for this event, what comes back is theirs first.
    to = await returns_to_line(uow, hold.event_id)
    if hold.seat_ids:
        await uow.seats.release_held(hold.id, to)
    else:
        await uow.general_admission.release(
            hold.event_id, hold.quantity, to_waitlist=to is SeatStatus.RETURNED
        )
    await uow.fans.close_cart(hold.event_id, hold.user_id, hold.id, bought=0)


async def expire_due_holds(
    uow: UnitOfWork, clock: Clock, batch: int = 100, event_id: int | None = None
) -> int:
    """Tidies holds whose time ran out (of one event, or all). Correctness never waits for this:
    claims ignore expired holds."""
    async with uow.for_reading():
        due = await uow.holds.due(clock.now(), batch, event_id=event_id)
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
    changed(uow, hold.event_id)
    return 1


@dataclass(frozen=True)
class BookingStart:
    """What a fan needs to pick seats: the event and its seats as they stand (shared with every fan
    looking at the same moment; ``stamp`` names that reading), their tickets so far, their balance."""

    event: Event
    sections: list[SectionAvailability]
    seats: list[Seat]
    ga_free: int
    bought: int
    balance: int
    stamp: int = 0

    @property
    def may_buy(self) -> int:
        return max(0, self.event.per_user_limit - self.bought)

    def most(self, section_id: int = 0) -> int:
        """As many tickets as the fan may still buy and the event (or that section) still has; one at
        least, so that a picker always offers a choice (holding then says why it cannot be)."""
        if self.event.is_general_admission:
            free = self.ga_free
        else:
            free = max((s.available for s in self.sections if section_id in (0, s.section_id)), default=0)
        return max(1, min(self.may_buy, free))

    def free_seats(self, section_id: int) -> list[Seat]:
        return [s for s in self.seats if s.section_id == section_id and s.status is SeatStatus.AVAILABLE]


@retrying
async def start_booking(
    event_id: int,
    caller: Caller,
    uow: UnitOfWork,
    clock: Clock,
    *,
    locale: str = "en",
    queue: QueueSettings = DEFAULT_QUEUE,
) -> BookingStart:
    """What a fan sees when they open the picker; for an event with a waiting room, they need their
    turn first (before the opening, pressing Book puts them in the pre-queue)."""
    if not valid_id(event_id):
        raise EventNotFound(event_id=event_id)
    seen = await seen_now(event_id, uow, clock)
    event = _bookable(seen.event, caller, event_id)
    # Who may buy is checked when a fan joins the line, not after a long wait.
    rules = await buying_rules(event.id, uow)
    if event.use_queue and event.phase(clock.now()) is Phase.SCHEDULED:
        check_buyer(rules, caller, clock.now())
        await require_pass(event, caller, locale, uow, clock, queue)
    event.check_on_sale(clock.now())
    check_buyer(rules, caller, clock.now())
    if event.use_queue:
        if seen.free <= 0:
            # No line for a sold-out event: the fan is offered the waitlist at once.
            raise SoldOut(event=event.title, event_id=event.id)
        await require_pass(event, caller, locale, uow, clock, queue)
    fan = await uow.box_office.fan(event.id, caller.user_id)
    if fan.bought >= event.per_user_limit:
        raise LimitReached(limit=event.per_user_limit, bought=fan.bought)
    if seen.free <= 0:
        raise SoldOut(event=event.title, event_id=event.id)
    ga_free = seen.free if event.is_general_admission else 0
    return BookingStart(event, seen.sections, seen.seats, ga_free, fan.bought, fan.balance, seen.stamp)
