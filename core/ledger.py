"""Double-entry bookkeeping: every posting is a set of legs that sums to zero."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from core.errors import InvalidAmount

MAX_TOPUP = 10_000_000


class AccountKind(StrEnum):
    WALLET = "wallet"  # a fan's spendable money
    ESCROW = "escrow"  # a fan's prepayment held for a waitlist
    PAYABLE = "payable"  # what Picket owes an organizer for tickets sold
    PROVIDER = "provider"  # money that came in from outside through a payment provider


# Fan money may never go below zero, so those accounts keep a running balance that a guarded
# UPDATE can check. The others take credits from every sale at once; giving them a balance row
# would make every booking of an event queue on that one row, so their balance is the sum of
# their entries.
GUARDED_KINDS = frozenset({AccountKind.WALLET, AccountKind.ESCROW})


@dataclass(frozen=True)
class Account:
    kind: AccountKind
    owner_id: int

    @classmethod
    def wallet(cls, user_id: int) -> Account:
        return cls(AccountKind.WALLET, user_id)

    @classmethod
    def escrow(cls, user_id: int) -> Account:
        return cls(AccountKind.ESCROW, user_id)

    @classmethod
    def payable(cls, organizer_id: int) -> Account:
        return cls(AccountKind.PAYABLE, organizer_id)

    @classmethod
    def provider(cls) -> Account:
        return cls(AccountKind.PROVIDER, 0)

    @property
    def guarded(self) -> bool:
        return self.kind in GUARDED_KINDS


@dataclass(frozen=True)
class Transfer:
    """Moves ``amount`` from one account to another under an idempotency key.

    A guarded source may not go below zero: a fan cannot spend money they do not have.
    """

    txn_key: str
    source: Account
    target: Account
    amount: int
    memo: str

    def __post_init__(self) -> None:
        if self.amount <= 0:
            raise InvalidAmount(amount=self.amount)


def check_topup_amount(amount: int) -> None:
    if amount <= 0 or amount > MAX_TOPUP:
        raise InvalidAmount(amount=amount, maximum=MAX_TOPUP)
