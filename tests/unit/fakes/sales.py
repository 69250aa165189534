"""Orders, tickets, the outbox and the double-entry ledger, kept in memory."""

from __future__ import annotations

import copy
import json
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from core.errors import DuplicateKey, InsufficientFunds
from core.ledger import Account, Transfer
from core.models import (
    Attendee,
    Hold,
    LedgerEntry,
    LedgerTotals,
    Notice,
    NoticeStatus,
    Order,
    Ticket,
    TicketStatus,
)
from core.ports import NewTicket
from tests.unit.fakes.state import OrderRow, OutboxRow, Repo


class ConstraintViolation(Exception):
    """A UNIQUE key the database would refuse with an integrity error that no adapter translates."""


class FakeOrders(Repo):
    async def add(self, hold: Hold, client_key: str, now: datetime) -> int:
        # orders.hold_id and orders.client_key are both UNIQUE; either clash is a DuplicateKey.
        if any(r.client_key == client_key or r.order.hold_id == hold.id for r in self.db.orders.values()):
            raise DuplicateKey(client_key)
        order_id = self.db.new_id("orders")
        order = Order(order_id, hold.event_id, hold.user_id, hold.id, hold.amount, now)
        self.db.orders[order_id] = OrderRow(order, client_key)
        return order_id

    async def get(self, order_id: int) -> Order | None:
        row = self.db.orders.get(order_id)
        return row.order if row is not None else None

    async def by_hold(self, hold_id: int) -> Order | None:
        return next((r.order for r in self.db.orders.values() if r.order.hold_id == hold_id), None)


class FakeTickets(Repo):
    async def add_many(
        self,
        order_id: int,
        event_id: int,
        holder_id: int,
        holder_name: str,
        tickets: Sequence[NewTicket],
        now: datetime,
    ) -> list[Ticket]:
        live = {t.seat_id for t in self.db.tickets.values() if t.status is TicketStatus.ACTIVE}
        seats = [t.seat_id for t in tickets if t.seat_id is not None]
        if len(set(seats)) != len(seats) or live.intersection(seats):
            raise ConstraintViolation("a seat may back only one live ticket")
        issued = []
        for new in tickets:
            ticket_id = self.db.new_id("tickets")
            ticket = Ticket(
                ticket_id,
                order_id,
                event_id,
                holder_id,
                new.seat_id,
                new.seat_label,
                new.price,
                TicketStatus.ACTIVE,
                new.secret,
                version=1,
                buyer_id=holder_id,
                holder_name=holder_name,
            )
            self.db.tickets[ticket_id] = ticket
            self.db.ticket_created_at[ticket_id] = now
            issued.append(ticket)
        return issued

    async def for_order(self, order_id: int) -> list[Ticket]:
        return [t for t in self.db.tickets.values() if t.order_id == order_id]

    async def get(self, ticket_id: int) -> Ticket | None:
        return self.db.tickets.get(ticket_id)

    async def for_holder(self, holder_id: int, event_id: int | None = None) -> list[Ticket]:
        return [
            t
            for t in self.db.tickets.values()
            if t.holder_id == holder_id
            and t.status is TicketStatus.ACTIVE
            and (event_id is None or t.event_id == event_id)
        ]

    async def cancel(self, ticket_id: int, now: datetime) -> bool:
        ticket = self.db.tickets.get(ticket_id)
        if ticket is None or ticket.status is not TicketStatus.ACTIVE:
            return False
        self.db.tickets[ticket_id] = replace(
            ticket, status=TicketStatus.CANCELLED, version=ticket.version + 1
        )
        return True

    async def transfer(
        self, ticket_id: int, from_holder: int, to_holder: int, to_name: str, secret: str, max_transfers: int
    ) -> bool:
        ticket = self.db.tickets.get(ticket_id)
        if (
            ticket is None
            or ticket.holder_id != from_holder
            or ticket.status is not TicketStatus.ACTIVE
            or ticket.transfers >= max_transfers
        ):
            return False
        moved = replace(
            ticket,
            holder_id=to_holder,
            holder_name=to_name,
            secret=secret,
            version=ticket.version + 1,
            transfers=ticket.transfers + 1,
        )
        self.db.tickets[ticket_id] = moved
        return True

    async def live_for_event(self, event_id: int, limit: int) -> list[Ticket]:
        live = [
            t for t in self.db.tickets.values() if t.event_id == event_id and t.status is TicketStatus.ACTIVE
        ]
        return live[:limit]

    async def attendees(self, event_id: int) -> list[Attendee]:
        return [
            Attendee(
                t.id,
                t.order_id,
                t.holder_id,
                t.holder_name,
                t.seat_label,
                t.price,
                t.status,
                self.db.ticket_created_at[t.id],
                t.checked_in_at,
            )
            for t in self.db.tickets.values()
            if t.event_id == event_id
        ]

    async def any_issued(self) -> bool:
        return bool(self.db.tickets)

    async def check_in(self, ticket_id: int, version: int, by: int, now: datetime) -> bool:
        ticket = self.db.tickets.get(ticket_id)
        if (
            ticket is None
            or ticket.version != version
            or ticket.status is not TicketStatus.ACTIVE
            or ticket.checked_in_at is not None
        ):
            return False
        self.db.tickets[ticket_id] = replace(ticket, checked_in_at=now, checked_in_by=by)
        return True

    async def superseded(self, event_id: int) -> list[tuple[int, int]]:
        return [
            (t.id, t.version if t.status is TicketStatus.ACTIVE else 0)
            for t in sorted(self.db.tickets.values(), key=lambda t: t.id)
            if t.event_id == event_id and (t.version > 1 or t.status is not TicketStatus.ACTIVE)
        ]


class FakeLedger(Repo):
    async def open(self, account: Account) -> None:
        if account.guarded:
            self.db.accounts.setdefault(account, 0)

    async def balance(self, account: Account) -> int:
        return self.db.balance(account)

    async def post(self, transfer: Transfer, now: datetime) -> None:
        legs = [(transfer.source, -transfer.amount), (transfer.target, transfer.amount)]
        used = {(e.txn_key, e.account_kind, e.owner_id) for e in self.db.entries}
        keys = [(transfer.txn_key, account.kind.value, account.owner_id) for account, _ in legs]
        if used.intersection(keys) or keys[0] == keys[1]:
            raise DuplicateKey(transfer.txn_key)
        for account, amount in legs:
            if account.guarded and self.db.accounts.get(account, 0) + amount < 0:
                raise InsufficientFunds(amount=-amount)
        for account, amount in legs:
            entry = LedgerEntry(
                transfer.txn_key, account.kind.value, account.owner_id, amount, transfer.memo, now
            )
            self.db.entries.append(entry)
            if account.guarded:
                self.db.accounts[account] = self.db.accounts.get(account, 0) + amount

    async def entries(self, account: Account, limit: int) -> list[LedgerEntry]:
        mine = [
            e for e in self.db.entries if (e.account_kind, e.owner_id) == (account.kind, account.owner_id)
        ]
        return mine[::-1][:limit]

    async def totals(self) -> LedgerTotals:
        return self.db.totals()


class FakeOutbox(Repo):
    async def add(
        self, kind: str, payload: dict[str, Any], now: datetime, not_before: datetime | None = None
    ) -> int:
        notice_id = self.db.new_id("outbox")
        # Stored as the database stores it, so a payload that is not JSON fails here too.
        row = OutboxRow(notice_id, kind, json.loads(json.dumps(payload)), now, claimed_until=not_before)
        self.db.outbox.append(row)
        return notice_id

    async def add_many(
        self, kind: str, notices: Sequence[tuple[dict[str, Any], datetime]], now: datetime
    ) -> None:
        for payload, at in notices:
            await self.add(kind, payload, now, at if at > now else None)

    async def claim(
        self, now: datetime, lease_until: datetime, limit: int, ids: Sequence[int] | None = None
    ) -> list[Notice]:
        due = [
            row
            for row in self.db.outbox
            if row.status is NoticeStatus.PENDING
            and (row.claimed_until is None or row.claimed_until <= now)
            and (ids is None or row.id in ids)
        ][:limit]
        for row in due:
            row.claimed_until, row.attempts = lease_until, row.attempts + 1
        return [Notice(row.id, row.kind, copy.deepcopy(row.payload), row.attempts) for row in due]

    async def finish(self, notice_id: int, status: str, error: str | None, retry_at: datetime | None) -> None:
        for row in self.db.outbox:
            if row.id == notice_id:
                row.status, row.last_error, row.claimed_until = NoticeStatus(status), error, retry_at

    async def backlog(self) -> int:
        return sum(1 for row in self.db.outbox if row.status is NoticeStatus.PENDING)
