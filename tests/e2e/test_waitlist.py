"""The cancellation waitlist through the real bot: a sold-out event, fans in line with their money in
escrow, a returned seat paid for and delivered to the first of them, the rest refunded at the deadline."""

from __future__ import annotations

from datetime import timedelta

from bot.devserver import Member
from cogs.notifications import DiscordDeliverer
from core.ledger import Account
from core.services.wallet import ledger_totals
from scheduler.jobs import close_waitlists_job, send_notices, serve_waitlists_job
from tests.e2e.test_booking import buy, cid, find, wallet_of
from tests.e2e.world import World

LAYOUT = "VIP:A x 1-1 @ 50000; R:B x 1-1 @ 30000"
JOIN = "picket:wait:"
FUNDS = 200_000


async def _escrow(world: World, member: Member) -> int:
    async with world.runtime.uow() as uow:
        return await uow.ledger.balance(Account.escrow(member.id))


async def _deliver(world: World) -> int:
    assert world.bot is not None
    return await send_notices(world.runtime, DiscordDeliverer(world.bot, world.runtime))


async def test_a_returned_seat_goes_to_the_first_fan_waiting_and_the_rest_are_refunded(world: World) -> None:
    holder, first, second = world.fans[0], world.fans[1], world.korean_fan
    await world.set_up()
    event_id = await world.published_event(layout=LAYOUT)
    for fan in (holder, first, second):
        await world.fund(fan, FUNDS)
    await buy(world, holder, event_id, section="VIP")
    await buy(world, holder, event_id, section="R")
    await world.server.wait_for_dm(holder)
    await world.server.wait_for_dm(holder)

    # Sold out: booking says so and offers the waitlist in the same answer.
    sold_out = await world.reply(first, "book", event=event_id)
    assert sold_out.content == "**Spring Concert** is sold out."
    assert find(sold_out, JOIN) is not None
    joined = await (
        await world.server.click(first, sold_out, custom_id=cid(sold_out, JOIN))
    ).wait_for_message()
    assert joined.content.startswith("You are **#1** on the waitlist for **Spring Concert** (1 tickets).")
    assert "₩50,000 moved from your wallet into escrow" in joined.content
    assert await wallet_of(world, first) == FUNDS - 50_000

    korean = await world.reply(second, "waitlist join", "ko", event=event_id)
    assert korean.content.startswith("**Spring Concert** 취소표 대기 **2번**입니다 (1매).")

    # The R seat comes back: the first fan in line gets it, charged its own price, not the most.
    await world.cancel_ticket(holder, 2)
    assert await serve_waitlists_job(world.runtime) == 1
    await _deliver(world)
    await world.server.wait_for_dm(holder)  # the cancellation note
    dm = await world.server.wait_for_dm(first)
    assert dm.content == (
        "Tickets came back for **Spring Concert** and they are yours, from the waitlist. ₩30,000 was paid "
        "from your escrow and ₩20,000 went back to your wallet. "
        "At the door, show the live code from /tickets show."
    )
    assert [e["fields"][0]["value"] for e in dm.embeds] == ["R B1"]
    assert await wallet_of(world, first) == FUNDS - 30_000
    assert await _escrow(world, first) == 0

    status = await world.reply(second, "waitlist status")
    assert status.embeds[0]["fields"][0]["value"].startswith("**1번** · 1매 · 모든 구역 · 예치금 ₩50,000")
    stats = await world.reply(world.organizer, "event stats", event=event_id)
    assert any(f["name"] == "Waitlist" and f["value"] == "1 waiting" for f in stats.embeds[0]["fields"])

    # The deadline passes with nothing more coming back: the escrow returns and the fan is told.
    world.clock.advance(timedelta(days=31))
    assert await close_waitlists_job(world.runtime) == 1
    await _deliver(world)
    closed = await world.server.wait_for_dm(second)
    assert closed.content == (
        "**Spring Concert** 취소표 대기가 마감되었지만 배정된 표가 없습니다. "
        "₩50,000가 Picket 지갑으로 돌아왔습니다."
    )
    assert await wallet_of(world, second) == FUNDS
    assert (await ledger_totals(world.runtime.uow())).balanced


async def test_leaving_the_waitlist_returns_the_escrow_at_once(world: World) -> None:
    holder, fan = world.fans[0], world.fans[1]
    await world.set_up()
    event_id = await world.published_event(layout=LAYOUT)
    for member in (holder, fan):
        await world.fund(member, FUNDS)
    await buy(world, holder, event_id, section="VIP")

    not_yet = await world.reply(fan, "waitlist join", event=event_id)
    assert not_yet.content.startswith("**Spring Concert** still has tickets")
    # VIP is sold out though R is not: the fan may wait for VIP alone, chosen from the section menu.
    offered = await world.server.autocomplete(
        world.guild, fan, "waitlist join", focused="section", value="", options={"event": event_id}
    )
    assert [c["name"] for c in offered] == ["VIP · ₩50,000", "R · ₩30,000"]
    section = next(int(c["value"]) for c in offered if c["name"].startswith("VIP"))
    joined = await world.reply(fan, "waitlist join", event=event_id, section=section, quantity=1)
    assert joined.content.startswith("You are **#1**")
    left = await world.reply(fan, "waitlist leave", event=event_id)
    assert left.content == "You left the waitlist for **Spring Concert**; ₩50,000 is back in your wallet."
    assert await wallet_of(world, fan) == FUNDS
    again = await world.reply(fan, "waitlist leave", event=event_id)
    assert again.content == "You are not on that waitlist."
