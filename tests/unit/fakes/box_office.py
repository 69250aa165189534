"""The fake's box office: the same guarded writes as the databases' one statement at a time, in one
unit of work that commits on success."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from core.availability import AvailabilityCache
from core.batching import Batcher
from core.box_office import (
    ConfirmPlan,
    ConfirmRefusal,
    ConfirmResult,
    FanFacts,
    HoldPlan,
    HoldRefusal,
    HoldResult,
    Look,
    SeatQuery,
    SeatsInFlight,
    page_size,
    ticket_secret,
)
from core.errors import DuplicateKey, InsufficientFunds
from core.ledger import Account, Transfer
from core.models import Event, EventStatus, HoldStatus, Order, Phase, Seat
from core.ports import NewHold, NewTicket, UnitOfWork
from core.rules import RulesCache


class FakeBoxOffice:
    """The sale's guarded writes one statement at a time, in one unit of work that commits on success."""

    def __init__(self, new_uow: Callable[[], UnitOfWork]) -> None:
        self._new_uow = new_uow
        self.in_flight = SeatsInFlight()
        self.availability = AvailabilityCache()
        self.rules = RulesCache()
        self.joins: Batcher[int, Any, Any] = Batcher()

    async def look(self, event_id: int, query: SeatQuery, now: datetime) -> Look:
        async with self._new_uow().for_reading() as uow:
            event = await uow.events.get(event_id)
            if event is None:
                return Look(None, [])
            if query.section_id is None:
                return Look(event, await uow.seats.seats(event_id, query.seat_ids))
            page = await uow.seats.free_page(event_id, query.section_id, now, query.after, query.limit)
            if page.row_span is not None:
                size = page_size(query.limit, page.row_span[1] - page.row_span[0] + 1)
                if size > query.limit:
                    page = await uow.seats.free_page(event_id, query.section_id, now, query.after, size)
        return Look(event, page.seats, page.row_span)

    async def fan(self, event_id: int, user_id: int) -> FanFacts:
        async with self._new_uow().for_reading() as uow:
            standing = await uow.fans.standing(event_id, user_id)
            return FanFacts(standing.bought, await uow.ledger.balance(Account.wallet(user_id)))

    async def hold(self, plan: HoldPlan) -> HoldResult:
        async with self._new_uow() as uow:
            event = await uow.events.get(plan.event_id)
            if event is None or event.phase(plan.now) is not Phase.ON_SALE:
                return HoldResult(None, HoldRefusal.CLOSED)
            wallet = await uow.ledger.balance(Account.wallet(plan.user_id))
            if plan.amount > wallet:
                return HoldResult(None, HoldRefusal.FUNDS)
            new = NewHold(
                plan.event_id,
                plan.user_id,
                plan.quantity,
                plan.amount,
                plan.seat_ids,
                plan.expires_at,
                plan.client_key,
                plan.now,
            )
            try:
                hold_id = await uow.holds.add(new)
            except DuplicateKey:
                return HoldResult(None, HoldRefusal.REPEAT)
            if not await uow.fans.reserve(
                plan.event_id, plan.user_id, hold_id, plan.quantity, plan.limit, plan.now, plan.expires_at
            ):
                standing = await uow.fans.standing(plan.event_id, plan.user_id)
                if standing.has_open_cart(plan.now):
                    return HoldResult(None, HoldRefusal.CART, open_cart=standing.hold_id)
                return HoldResult(None, HoldRefusal.LIMIT, bought=standing.bought)
            if plan.seat_ids:
                claimed = await uow.seats.claim(
                    plan.event_id, plan.seat_ids, hold_id, plan.expires_at, plan.now
                )
                if claimed != len(plan.seat_ids):
                    return HoldResult(None, HoldRefusal.TAKEN)
            elif not await uow.general_admission.claim(plan.event_id, plan.quantity):
                return HoldResult(None, HoldRefusal.SOLD_OUT)
            await uow.commit()
        return HoldResult(hold_id, balance=wallet)

    async def confirm(self, plan: ConfirmPlan) -> ConfirmResult:
        async with self._new_uow() as uow:
            hold = await uow.holds.get(plan.hold_id)
            event = await uow.events.get(hold.event_id) if hold is not None else None
            if (
                hold is None
                or event is None
                or hold.user_id != plan.user_id
                or event.guild_id != plan.guild_id
            ):
                return ConfirmResult(ConfirmRefusal.NOT_FOUND)
            if hold.status is HoldStatus.CONFIRMED:
                return ConfirmResult(ConfirmRefusal.CONFIRMED, event, amount=hold.amount)
            if event.status is EventStatus.CANCELLED:
                return ConfirmResult(ConfirmRefusal.CLOSED, event, amount=hold.amount)
            if not await uow.holds.finish(hold.id, HoldStatus.CONFIRMED, plan.now, only_if_live=True):
                again = await uow.holds.get(hold.id)
                confirmed = again is not None and again.status is HoldStatus.CONFIRMED
                refusal = ConfirmRefusal.CONFIRMED if confirmed else ConfirmRefusal.EXPIRED
                return ConfirmResult(refusal, event, amount=hold.amount)
            seats: list[Seat] = []
            if hold.seat_ids:
                if await uow.seats.sell_held(hold.id, hold.seat_ids) != len(hold.seat_ids):
                    return ConfirmResult(ConfirmRefusal.EXPIRED, event, amount=hold.amount)
                seats = await uow.seats.seats(event.id, hold.seat_ids)
            try:
                order_id = await uow.orders.add(hold, plan.client_key, plan.now)
            except DuplicateKey:
                return ConfirmResult(ConfirmRefusal.REPEAT, event, amount=hold.amount)
            new = _new_tickets(hold.quantity, event, seats, plan.seed)
            issued = await uow.tickets.add_many(
                order_id, event.id, hold.user_id, plan.holder_name, new, plan.now
            )
            if hold.amount > 0:
                payment = Transfer(
                    txn_key=f"order:{order_id}",
                    source=Account.wallet(hold.user_id),
                    target=Account.payable(event.organizer_id),
                    amount=hold.amount,
                    memo=f"event:{event.id}",
                )
                try:
                    await uow.ledger.post(payment, plan.now)
                except InsufficientFunds:
                    return ConfirmResult(ConfirmRefusal.FUNDS, event, amount=hold.amount)
            await uow.fans.close_cart(event.id, hold.user_id, hold.id, bought=hold.quantity)
            payload = {"order_id": order_id, "user_id": hold.user_id, "locale": plan.locale}
            notice = await uow.outbox.add("tickets_issued", payload, plan.now)
            left = await uow.ledger.balance(Account.wallet(hold.user_id))
            await uow.commit()
        order = Order(order_id, event.id, hold.user_id, hold.id, hold.amount, plan.now)
        return ConfirmResult(None, event, order, tuple(issued), notice, hold.amount, left)


def _new_tickets(quantity: int, event: Event, seats: Sequence[Seat], seed: str) -> list[NewTicket]:
    if seats:
        return [NewTicket(s.id, s.label, s.price, ticket_secret(seed, s.id)) for s in seats]
    price = event.ga_price or 0
    return [NewTicket(None, None, price, ticket_secret(seed, n)) for n in range(1, quantity + 1)]
