"""The wallet through the real bot: sandbox top-ups, the balance, and the history of money in and out."""

from __future__ import annotations

from dataclasses import replace

import pytest

from bot.devserver import ActionRefused
from core.services.wallet import ledger_totals
from tests.e2e.test_booking import buy, wallet_of
from tests.e2e.world import World


async def test_a_sandbox_top_up_says_it_is_the_sandbox_and_lands_in_the_balance(world: World) -> None:
    before = await world.reply(world.fan, "wallet balance")
    assert before.ephemeral
    assert before.content == "Your wallet balance is **₩0**."

    topped = await world.reply(world.fan, "wallet topup", amount=50_000)
    assert topped.ephemeral
    assert topped.content == (
        "Sandbox payment: ₩50,000 added. Your balance is **₩50,000**. (No real money moves in the sandbox.)"
    )
    again = await world.reply(world.fan, "wallet topup", amount=25_000)
    assert "Your balance is **₩75,000**" in again.content

    after = await world.reply(world.fan, "wallet balance")
    assert after.content == "Your wallet balance is **₩75,000**."
    # Each member has a wallet of their own.
    assert (await world.reply(world.fans[1], "wallet balance")).content == "Your wallet balance is **₩0**."
    assert (await ledger_totals(world.runtime.uow())).balanced


async def test_a_top_up_beyond_the_limit_never_reaches_the_wallet(world: World) -> None:
    # The command declares its range, so Discord's client refuses the amount before it is sent.
    for amount in (0, 10_000_001):
        with pytest.raises(ActionRefused):
            await world.command(world.fan, "wallet topup", amount=amount)
    most = await world.reply(world.fan, "wallet topup", amount=10_000_000)
    assert "**₩10,000,000**" in most.content
    assert await wallet_of(world, world.fan) == 10_000_000


async def test_the_history_lists_top_ups_payments_and_refunds_newest_first(world: World) -> None:
    empty = await world.reply(world.fan, "wallet history")
    assert empty.embeds[0]["title"] == "Wallet history"
    assert empty.embeds[0]["description"] == "No payments, refunds or top-ups yet."

    await world.set_up()
    event_id = await world.published_event()
    await world.reply(world.fan, "wallet topup", amount=300_000)
    await buy(world, world.fan, event_id, quantity=2)
    await world.cancel_ticket(world.fan, 2)

    history = await world.reply(world.fan, "wallet history")
    lines = history.embeds[0]["description"].splitlines()
    assert [line.split(" · ", 1)[1] for line in lines] == [
        "Refund · **+₩99,000**",
        "Ticket payment · **−₩198,000**",
        "Top-up · **+₩300,000**",
    ]
    assert all(line.startswith("<t:") for line in lines)
    assert (await world.reply(world.fan, "wallet balance")).content == "Your wallet balance is **₩201,000**."


async def test_the_wallet_in_korean(world: World) -> None:
    fan = world.korean_fan
    topped = await world.reply(fan, "wallet topup", amount=10_000)
    assert topped.content == (
        "샌드박스 결제: ₩10,000 충전되었습니다. 잔액은 **₩10,000**입니다. "
        "(샌드박스에서는 실제 돈이 오가지 않습니다.)"
    )
    assert (await world.reply(fan, "wallet balance")).content == "지갑 잔액은 **₩10,000**입니다."
    history = await world.reply(fan, "wallet history")
    assert history.embeds[0]["title"] == "지갑 이용 내역"
    assert history.embeds[0]["description"].endswith("충전 · **+₩10,000**")


async def test_without_a_payment_provider_a_top_up_says_so_and_adds_nothing(world: World) -> None:
    # As on real Discord, where the sandbox provider does not exist and no real one is configured.
    world.runtime = replace(world.runtime, payments=None)
    await world.restart_bot()

    refused = await world.reply(world.fan, "wallet topup", amount=10_000_000)

    assert refused.ephemeral
    assert refused.content == (
        "Top-ups are not available here yet: this Picket has no payment provider. No money was taken."
    )
    assert await wallet_of(world, world.fan) == 0
    assert (await ledger_totals(world.runtime.uow())).entries_sum == 0
