"""The fan's wallet: balance, history and top-ups through a payment provider."""

from __future__ import annotations

from dataclasses import dataclass

from core.clock import Clock
from core.errors import DuplicateKey, PaymentDeclined, TopUpUnavailable
from core.ledger import Account, Transfer, check_topup_amount
from core.models import LedgerEntry, LedgerTotals
from core.payments import Charge, PaymentProvider
from core.ports import UnitOfWork
from core.retry import retrying


@dataclass(frozen=True)
class TopUp:
    user_id: int
    amount: int
    client_key: str
    currency: str = "KRW"


async def top_up(cmd: TopUp, uow: UnitOfWork, clock: Clock, payments: PaymentProvider | None) -> int:
    """Charges the member's payment method through the provider, then credits the wallet once per
    client key; returns the new balance. Without a provider there is no way to add money."""
    check_topup_amount(cmd.amount)
    if payments is None:
        raise TopUpUnavailable()
    key = f"topup:{cmd.client_key}"
    result = await payments.charge(Charge(cmd.user_id, cmd.amount, cmd.currency, key))
    if not result.approved:
        raise PaymentDeclined(reason=result.decline_reason or "declined")
    return await _credit(cmd, key, payments.name, uow, clock)


@retrying
async def _credit(cmd: TopUp, key: str, provider: str, uow: UnitOfWork, clock: Clock) -> int:
    wallet = Account.wallet(cmd.user_id)
    async with uow:
        await uow.ledger.open(wallet)
        transfer = Transfer(
            txn_key=key,
            source=Account.provider(),
            target=wallet,
            amount=cmd.amount,
            memo=f"topup:{provider}",
        )
        try:
            await uow.ledger.post(transfer, clock.now())
        except DuplicateKey:
            return await uow.ledger.balance(wallet)
        balance = await uow.ledger.balance(wallet)
        await uow.commit()
    return balance


@retrying
async def balance(user_id: int, uow: UnitOfWork) -> int:
    async with uow.for_reading():
        return await uow.ledger.balance(Account.wallet(user_id))


@retrying
async def history(user_id: int, uow: UnitOfWork, limit: int = 20) -> list[LedgerEntry]:
    async with uow.for_reading():
        return await uow.ledger.entries(Account.wallet(user_id), limit)


@retrying
async def ledger_totals(uow: UnitOfWork) -> LedgerTotals:
    async with uow.for_reading():
        return await uow.ledger.totals()
