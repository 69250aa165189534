"""The auditor: reads the invariants a sale must never break and reports every breach.

Each check counts offending rows in one statement. A reading taken while a sale commits may catch it
half-way (the checks do not share one snapshot), so a breach counts only when a second reading a
moment later still shows it: a real breach does not heal itself."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass

from core.ports import UnitOfWork

log = logging.getLogger(__name__)

CHECKS = (
    "oversold_events",  # events with more active tickets than seats (or standing capacity)
    "seats_sold_twice",  # seats with more than one active ticket
    "tickets_on_unsold_seats",  # active tickets whose seat is not marked sold
    "orders_without_tickets",  # paid orders that issued no ticket
    "ledger_unbalanced",  # postings that do not sum to zero, or balances that disagree with entries
    "escrow_mismatched",  # fans whose escrow differs from what their open waitlist entries hold
)
SECOND_LOOK_SECONDS = 1.0


@dataclass(frozen=True)
class AuditReport:
    breaches: dict[str, int]

    @property
    def healthy(self) -> bool:
        return not any(self.breaches.values())


async def _read(uow: UnitOfWork) -> dict[str, int]:
    async with uow.for_reading():
        found = await uow.audit.breaches()
        totals = await uow.ledger.totals()
    ledger = int(totals.entries_sum != 0) + int(totals.balances_sum != 0) + totals.mismatched_accounts
    found["ledger_unbalanced"] = found.get("ledger_unbalanced", 0) + ledger
    return {check: found.get(check, 0) for check in CHECKS}


async def audit(new_uow: Callable[[], UnitOfWork], second_look: float = SECOND_LOOK_SECONDS) -> AuditReport:
    first = await _read(new_uow())
    if any(first.values()):
        await asyncio.sleep(second_look)
        again = await _read(new_uow())
        first = {check: min(first[check], again[check]) for check in CHECKS}
    report = AuditReport(first)
    for check, count in report.breaches.items():
        if count:
            log.error("audit: %s: %d found", check, count)
    return report
