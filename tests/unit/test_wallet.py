"""Topping up the wallet: once per client key, within the allowed amounts."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from core.clock import FrozenClock
from core.errors import InvalidAmount
from core.ledger import MAX_TOPUP, Account
from core.payments import SandboxPayments
from core.services.wallet import TopUp, balance, history, ledger_totals, top_up
from tests.unit.fakes import FakeUnitOfWork

SANDBOX = SandboxPayments()

FAN = 7


@pytest.fixture
async def uow() -> AsyncIterator[FakeUnitOfWork]:
    fake = FakeUnitOfWork()
    yield fake
    assert (await ledger_totals(fake)).balanced, "every scenario must leave the ledger balanced"


async def test_a_top_up_is_credited_once_per_client_key(uow: FakeUnitOfWork, clock: FrozenClock) -> None:
    assert await top_up(TopUp(FAN, 3000, "pay-1"), uow, clock, SANDBOX) == 3000
    after_first = uow.snapshot()

    assert await top_up(TopUp(FAN, 3000, "pay-1"), uow, clock, SANDBOX) == 3000
    assert uow.snapshot() == after_first

    assert await top_up(TopUp(FAN, 500, "pay-2"), uow, clock, SANDBOX) == 3500
    assert await balance(FAN, uow) == 3500
    assert [(e.txn_key, e.amount) for e in await history(FAN, uow)] == [
        ("topup:pay-2", 500),
        ("topup:pay-1", 3000),
    ]
    assert uow.balance(Account.provider()) == -3500


@pytest.mark.parametrize("amount", [0, -100, MAX_TOPUP + 1])
async def test_a_top_up_outside_the_allowed_amounts_is_refused(
    uow: FakeUnitOfWork, clock: FrozenClock, amount: int
) -> None:
    await top_up(TopUp(FAN, 1000, "pay-1"), uow, clock, SANDBOX)
    before = uow.snapshot()

    with pytest.raises(InvalidAmount):
        await top_up(TopUp(FAN, amount, "pay-2"), uow, clock, SANDBOX)

    assert uow.snapshot() == before
    assert await balance(FAN, uow) == 1000


async def test_the_largest_allowed_top_up_goes_through(uow: FakeUnitOfWork, clock: FrozenClock) -> None:
    assert await top_up(TopUp(FAN, MAX_TOPUP, "pay-1"), uow, clock, SANDBOX) == MAX_TOPUP
