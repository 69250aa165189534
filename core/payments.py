"""Money coming in from outside Picket: the payment-provider port and its sandbox adapter.

A real provider charges a payment method the member saved once (a Toss Payments billing key, a
Stripe saved card) for an amount, under an idempotency key, and answers approved or declined.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from core.errors import Misconfigured


@dataclass(frozen=True)
class Charge:
    user_id: int
    amount: int
    currency: str
    # The provider sees the same key again when a charge is retried, and charges once.
    idempotency_key: str


@dataclass(frozen=True)
class ChargeResult:
    approved: bool
    reference: str  # the provider's id of the payment, kept in the ledger memo
    decline_reason: str | None = None


class PaymentProvider(Protocol):
    name: str
    moves_real_money: bool

    async def charge(self, charge: Charge) -> ChargeResult: ...


class SandboxPayments:
    """Approves every charge and moves no real money: for the offline sandbox and tests only."""

    name = "sandbox"
    moves_real_money = False

    async def charge(self, charge: Charge) -> ChargeResult:
        return ChargeResult(approved=True, reference=f"sandbox:{charge.idempotency_key}")


def payments_for(*, real_discord: bool, sandbox_payments: bool | None) -> PaymentProvider | None:
    """The provider a process may use. Sandbox money exists only where Discord is not real: on real
    Discord it would let any member mint money into organizers' payables.

    ``sandbox_payments`` None means "as fits": on offline, off on real Discord."""
    if real_discord and sandbox_payments:
        raise Misconfigured(
            "SANDBOX_PAYMENTS=true cannot be used with a real DISCORD_TOKEN: sandbox top-ups would hand out "
            "free money. Remove SANDBOX_PAYMENTS (or set it to false)."
        )
    if real_discord or sandbox_payments is False:
        return None
    return SandboxPayments()
