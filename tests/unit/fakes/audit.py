"""The auditor's checks over the in-memory state, as the SQL repository counts them."""

from __future__ import annotations

from collections import Counter, defaultdict

from core.models import SeatStatus, TicketStatus, WaitlistStatus
from tests.unit.fakes.state import Repo


class FakeAudit(Repo):
    async def cluster_size(self) -> int | None:
        return None

    async def breaches(self) -> dict[str, int]:
        db = self.db
        active = [t for t in db.tickets.values() if t.status == TicketStatus.ACTIVE]
        sold = Counter(t.event_id for t in active)
        seats_of = Counter(row.event_id for row in db.seats.values())

        def capacity(event_id: int) -> int:
            standing = db.general_admission.get(event_id)
            return standing.capacity if standing is not None else seats_of[event_id]

        per_seat = Counter(t.seat_id for t in active if t.seat_id is not None)
        ordered = {t.order_id for t in db.tickets.values()}
        postings: defaultdict[str, int] = defaultdict(int)
        for entry in db.entries:
            postings[entry.txn_key] += entry.amount
        held: defaultdict[int, int] = defaultdict(int)
        for entry in db.waitlist.values():
            if entry.status == WaitlistStatus.WAITING:
                held[entry.user_id] += entry.escrow
        escrowed = {
            account.owner_id: balance for account, balance in db.accounts.items() if account.kind == "escrow"
        }
        fans = set(escrowed) | {user for user, amount in held.items() if amount}
        return {
            "oversold_events": sum(1 for event_id, n in sold.items() if n > capacity(event_id)),
            "seats_sold_twice": sum(1 for n in per_seat.values() if n > 1),
            "tickets_on_unsold_seats": sum(
                1 for t in active if t.seat_id is not None and db.seats[t.seat_id].status != SeatStatus.SOLD
            ),
            "orders_without_tickets": sum(1 for order_id in db.orders if order_id not in ordered),
            "ledger_unbalanced": sum(1 for total in postings.values() if total),
            "escrow_mismatched": sum(1 for fan in fans if escrowed.get(fan, 0) != held[fan]),
        }
