"""The cancellation waitlist (취소표 대기): fans wait for a sold-out event with the most it may cost in
escrow; seats that come back go to the first fan in line they fit, paid from that escrow, before anyone
else may book them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from core import text
from core.box_office import MAX_TICKETS_PER_HOLD
from core.caller import Caller, in_scope, valid_id
from core.clock import Clock
from core.errors import (
    AlreadyWaiting,
    EventNotFound,
    InsufficientFunds,
    InvalidInput,
    InvalidQuantity,
    LimitReached,
    NotSoldOut,
    NotWaiting,
    WaitlistClosed,
)
from core.ledger import Account, Transfer
from core.models import (
    Event,
    EventStatus,
    NewWaitlistEntry,
    Phase,
    SeatStatus,
    WaitlistEntry,
    WaitlistStatus,
)
from core.ports import UnitOfWork
from core.retry import retrying
from core.rules import check_buyer
from core.waitlist import price_cap

# Entries looked at per assignment: the first fans in line, where nearly every returned seat lands.
LINE_WINDOW = 500
# Free seats read per assignment: a sold-out event has few; one that is not keeps its line short.
SEATS_WINDOW = 2000


@dataclass(frozen=True)
class JoinWaitlist:
    event_id: int
    caller: Caller
    client_key: str
    quantity: int = 1
    section_id: int | None = None
    max_price: int | None = None  # per ticket
    locale: str = "ko"


@dataclass(frozen=True)
class InLine:
    """A fan's entry as they see it: where they stand and what is in escrow."""

    entry: WaitlistEntry
    event: Event
    place: int
    section: str | None  # the section asked for, None for any


def close_time(event: Event, close_hours: int) -> datetime:
    return event.starts_at - timedelta(hours=close_hours)


async def _section_prices(
    uow: UnitOfWork, event: Event, section_id: int | None, now: datetime
) -> dict[int, tuple[str, int, int]]:
    """Each eligible section's id -> (name, price, free seats); general admission is section 0."""
    if event.is_general_admission:
        assert event.ga_capacity is not None
        free = event.ga_capacity - await uow.general_admission.taken(event.id)
        return {0: ("", event.ga_price or 0, free)}
    sections = {
        s.section_id: (s.name, s.price, s.available) for s in await uow.seats.availability(event.id, now)
    }
    if section_id is None:
        return sections
    if section_id not in sections:
        raise InvalidInput(reason="no_section")
    return {section_id: sections[section_id]}


@retrying
async def join_waitlist(cmd: JoinWaitlist, uow: UnitOfWork, clock: Clock, close_hours: int) -> InLine:
    """Puts the fan in line for a sold-out event (or section), moving the most the entry can cost from
    their wallet into escrow in the same transaction: no money, no place."""
    caller, now = cmd.caller, clock.now()
    if not valid_id(cmd.event_id):
        raise EventNotFound(event_id=cmd.event_id)
    if cmd.section_id is not None and not valid_id(cmd.section_id):
        raise InvalidInput(reason="no_section")
    async with uow:
        existing = await uow.waitlist.by_client_key(cmd.client_key)
        if existing is not None:
            # The same request again (a double click, a retry after a lost answer): its entry.
            return await _as_seen(uow, existing, caller)
        event = _waitable(in_scope(await uow.events.get(cmd.event_id), caller, cmd.event_id), now)
        check_buyer(await uow.events.rules(event.id), caller, now)
        closes_at = close_time(event, close_hours)
        if now >= closes_at:
            raise WaitlistClosed(event=event.title, deadline=closes_at)
        limit = min(event.per_user_limit, MAX_TICKETS_PER_HOLD)
        if not 1 <= cmd.quantity <= limit:
            raise InvalidQuantity(quantity=cmd.quantity, reason="too_many", maximum=limit)
        sections = await _section_prices(uow, event, cmd.section_id, now)
        if any(free > 0 for _, _, free in sections.values()):
            raise NotSoldOut(event=event.title)
        cap = price_cap([price for _, price, _ in sections.values()], cmd.max_price)
        if await uow.waitlist.waiting_for(event.id, caller.user_id) is not None:
            raise AlreadyWaiting(event=event.title)
        if not await uow.fans.wait(event.id, caller.user_id, cmd.quantity, event.per_user_limit, now):
            standing = await uow.fans.standing(event.id, caller.user_id)
            raise LimitReached(limit=event.per_user_limit, bought=standing.bought)
        escrow = cap * cmd.quantity
        entry = NewWaitlistEntry(
            event_id=event.id,
            user_id=caller.user_id,
            section_id=cmd.section_id,
            quantity=cmd.quantity,
            max_price=cap,
            escrow=escrow,
            client_key=cmd.client_key,
            holder_name=text.name(caller.name),
            locale=cmd.locale,
            created_at=now,
        )
        entry_id = await uow.waitlist.add(entry)
        await uow.waitlist.open_line(event.id, closes_at)
        if escrow > 0:
            memo = f"waitlist:event:{event.id}"
            wallet, escrowed = Account.wallet(caller.user_id), Account.escrow(caller.user_id)
            try:
                await uow.ledger.post(
                    Transfer(f"waitlist:{entry_id}:escrow", wallet, escrowed, escrow, memo), now
                )
            except InsufficientFunds:
                raise InsufficientFunds(amount=escrow, currency=event.currency) from None
        joined = await uow.waitlist.get(entry_id)
        assert joined is not None
        names = {section_id: name for section_id, (name, _, _) in sections.items()}
        answer = await _in_line(uow, joined, event, names.get(cmd.section_id or 0))
        await uow.commit()
    return answer


def _waitable(event: Event, now: datetime) -> Event:
    if event.status is EventStatus.DRAFT:
        raise EventNotFound(event_id=event.id)
    if event.phase(now) is not Phase.ON_SALE:
        event.check_on_sale(now)
    return event


async def _in_line(uow: UnitOfWork, entry: WaitlistEntry, event: Event, section: str | None) -> InLine:
    place = await uow.waitlist.place(entry) if entry.status is WaitlistStatus.WAITING else 0
    return InLine(entry, event, place, section if entry.section_id is not None else None)


async def _as_seen(uow: UnitOfWork, entry: WaitlistEntry, caller: Caller) -> InLine:
    """Inside an open unit of work: an entry of the caller's, with its event and section read."""
    event = await uow.events.get(entry.event_id)
    if event is None or entry.user_id != caller.user_id:
        raise NotWaiting()
    section = None
    if entry.section_id is not None:
        names = {s.section_id: s.name for s in await uow.seats.availability(event.id, entry.created_at)}
        section = names.get(entry.section_id)
    return await _in_line(uow, entry, event, section)


@retrying
async def waitlist_places(caller: Caller, uow: UnitOfWork) -> list[InLine]:
    """The fan's waiting entries: this server's events in a server, all of them in a DM."""
    async with uow.for_reading():
        places = [await _as_seen(uow, entry, caller) for entry in await uow.waitlist.of_fan(caller.user_id)]
    return [p for p in places if caller.guild_id is None or p.event.guild_id == caller.guild_id]


@dataclass(frozen=True)
class Left:
    event: Event
    refunded: int


@retrying
async def leave_waitlist(event_id: int, caller: Caller, uow: UnitOfWork, clock: Clock) -> Left:
    """Takes the fan out of the line and gives the whole escrow back at once."""
    now = clock.now()
    async with uow:
        entry = await uow.waitlist.waiting_for(event_id, caller.user_id) if valid_id(event_id) else None
        event = await uow.events.get(event_id) if entry is not None else None
        if entry is None or event is None or (caller.guild_id not in (None, event.guild_id)):
            raise NotWaiting()
        refunded = await _end_entry(uow, entry, event, WaitlistStatus.LEFT, now)
        await uow.commit()
    return Left(event, refunded)


async def _end_entry(
    uow: UnitOfWork, entry: WaitlistEntry, event: Event, status: WaitlistStatus, now: datetime
) -> int:
    """Inside an open unit of work: ends a waiting entry and gives its escrow back to the wallet."""
    if not await uow.waitlist.finish(entry.id, status, now):
        raise NotWaiting()
    await uow.fans.returned(event.id, entry.user_id, entry.quantity)
    await uow.fans.let_go(event.id, entry.user_id, entry.quantity)
    if entry.escrow > 0:
        back = Transfer(
            f"waitlist:{entry.id}:refund",
            Account.escrow(entry.user_id),
            Account.wallet(entry.user_id),
            entry.escrow,
            f"waitlist:event:{event.id}",
        )
        await uow.ledger.post(back, now)
    return entry.escrow


async def returns_to_line(uow: UnitOfWork, event_id: int) -> SeatStatus:
    """Inside an open unit of work: where a seat that comes back now goes."""
    return SeatStatus.RETURNED if await uow.waitlist.waiting(event_id) > 0 else SeatStatus.AVAILABLE


@dataclass(frozen=True)
class Closed:
    event_id: int
    entries: int
    refunded: int


async def close_waitlists(
    new_uow: Callable[[], UnitOfWork], clock: Clock, *, batch: int = 200
) -> list[Closed]:
    """The job: lines past their deadline, or of a cancelled event, end; every escrow goes back and
    every fan is told. Each entry in its own transaction, so a crash half-way only delays the rest."""
    async with new_uow().for_reading() as uow:
        due = await uow.waitlist.lines_due(clock.now(), limit=20)
    done = []
    for event_id in due:
        async with new_uow().for_reading() as uow:
            entries = await uow.waitlist.in_line(event_id, batch)
        refunded = 0
        for entry in entries:
            refunded += await _close_entry(entry.id, new_uow(), clock)
        done.append(Closed(event_id, len(entries), refunded))
    return done


@retrying
async def _close_entry(entry_id: int, uow: UnitOfWork, clock: Clock) -> int:
    now = clock.now()
    async with uow:
        entry = await uow.waitlist.get(entry_id)
        event = await uow.events.get(entry.event_id) if entry is not None else None
        if entry is None or event is None or entry.status is not WaitlistStatus.WAITING:
            return 0
        refunded = await _end_entry(uow, entry, event, WaitlistStatus.CLOSED, now)
        payload = {
            "user_id": entry.user_id,
            "event_id": event.id,
            "entry_id": entry.id,
            "title": event.title,
            "currency": event.currency,
            "amount": refunded,
            "cancelled": event.status is EventStatus.CANCELLED,
            "locale": entry.locale,
        }
        await uow.outbox.add("waitlist_closed", payload, now)
        await uow.commit()
    return refunded
