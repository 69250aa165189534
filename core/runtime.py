"""What every feature needs at run time, handed to cogs and jobs by the composition root."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from core.clock import Clock
from core.payments import PaymentProvider
from core.ports import UnitOfWork
from core.services.interests import SeenMembers
from core.services.queue import DEFAULT_QUEUE, QueueSettings
from core.ticket_codes import TicketCodes


@dataclass(frozen=True)
class Runtime:
    new_uow: Callable[[], UnitOfWork]
    clock: Clock
    zone: ZoneInfo
    codes: TicketCodes
    hold_minutes: int = 10
    max_tickets_per_fan: int = 4
    # A waitlist closes (and gives every escrow back) this long before its event starts.
    waitlist_close_hours: int = 3
    max_transfers: int = 2
    # How a waiting room starts out (its organizer may change it live).
    queue: QueueSettings = DEFAULT_QUEUE
    # Events this large get a waiting room unless their organizer says otherwise.
    queue_from: int = 5000
    # None: no way to add money to a wallet here (real Discord without a real provider).
    payments: PaymentProvider | None = None
    # The language each member last used, gathered per interaction and written now and then.
    seen: SeenMembers = field(default_factory=SeenMembers)

    def uow(self) -> UnitOfWork:
        """A fresh unit of work: one per interaction or job item, never shared between tasks."""
        return self.new_uow()
