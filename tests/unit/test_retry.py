"""A unit of work the database refused is run again whole, a few times, then reported as busy."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest

import core.retry
from core.clock import FrozenClock
from core.errors import Busy, Retryable, SoldOut
from core.payments import SandboxPayments
from core.retry import ATTEMPTS, retrying
from core.services.wallet import TopUp, balance, ledger_totals, top_up
from tests.unit.fakes import FakeUnitOfWork

SANDBOX = SandboxPayments()

FAN = 7


@pytest.fixture(autouse=True)
def no_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    # The jittered pauses only matter between real processes; here they would just slow the run.
    monkeypatch.setattr(core.retry, "BASE_DELAY", 0)


@pytest.fixture
def retries() -> Iterator[list[str]]:
    seen: list[str] = []

    def note(operation: str, reason: str) -> None:
        seen.append(operation if reason == "other" else f"{operation}:{reason}")

    core.retry.retry_listeners.append(note)
    yield seen
    core.retry.retry_listeners.remove(note)


@pytest.fixture
async def uow() -> AsyncIterator[FakeUnitOfWork]:
    fake = FakeUnitOfWork()
    yield fake
    assert (await ledger_totals(fake)).balanced, "every scenario must leave the ledger balanced"


async def test_a_body_refused_twice_runs_three_times_and_returns_its_result(retries: list[str]) -> None:
    runs = 0

    @retrying
    async def book() -> str:
        nonlocal runs
        runs += 1
        if runs <= 2:
            raise Retryable("deadlock", "conflict")
        return "booked"

    assert await book() == "booked"
    assert runs == 3
    assert retries == ["book:conflict", "book:conflict"]


async def test_a_body_always_refused_gives_up_as_busy(retries: list[str]) -> None:
    runs = 0

    @retrying
    async def book() -> str:
        nonlocal runs
        runs += 1
        raise Retryable(f"deadlock {runs}")

    with pytest.raises(Busy) as gave_up:
        await book()

    assert runs == ATTEMPTS
    assert isinstance(gave_up.value.__cause__, Retryable)
    assert str(gave_up.value.__cause__) == f"deadlock {ATTEMPTS}"
    assert len(retries) == ATTEMPTS


async def test_a_domain_error_is_not_retried(retries: list[str]) -> None:
    runs = 0

    @retrying
    async def book() -> str:
        nonlocal runs
        runs += 1
        raise SoldOut(event="Spring Concert")

    with pytest.raises(SoldOut):
        await book()

    assert runs == 1
    assert retries == []


async def test_a_refused_commit_is_retried_and_the_top_up_credited_once(
    uow: FakeUnitOfWork, clock: FrozenClock
) -> None:
    uow.failing_commits = 2

    assert await top_up(TopUp(FAN, 3000, "pay-1"), uow, clock, SANDBOX) == 3000

    assert (uow.transactions, uow.commits) == (3, 1)
    assert await balance(FAN, uow) == 3000
    assert len(uow.state.entries) == 2


async def test_a_top_up_the_database_keeps_refusing_is_busy_and_changes_nothing(
    uow: FakeUnitOfWork, clock: FrozenClock
) -> None:
    uow.failing_commits = ATTEMPTS
    before = uow.snapshot()

    with pytest.raises(Busy):
        await top_up(TopUp(FAN, 3000, "pay-1"), uow, clock, SANDBOX)

    assert uow.transactions == ATTEMPTS
    assert uow.snapshot() == before
