"""An event's public post follows what happens to it: sales move its free seats, an edit its wording,
the last seat turns it SOLD OUT and a cancellation CANCELLED, with one edit per change however many
sales made it, queued once by however many processes look."""

from __future__ import annotations

from bot.devserver import Message
from cogs.notifications import DiscordDeliverer
from scheduler.jobs import refresh_posts_job, send_notices
from tests.e2e.test_booking import buy
from tests.e2e.world import World


async def _refresh(world: World) -> int:
    """One turn of the job and of the outbox; how many edits it queued."""
    assert world.bot is not None
    queued = await refresh_posts_job(world.runtime)
    await send_notices(world.runtime, DiscordDeliverer(world.bot, world.runtime))
    return queued


def _prices(post: Message) -> str:
    [field] = [f for f in post.embeds[0]["fields"] if f["name"] == "가격 및 잔여석"]
    return str(field["value"])


async def test_the_post_follows_sales_edits_the_sell_out_and_the_cancellation(world: World) -> None:
    await world.set_up()
    event_id = await world.published_event(layout="VIP:A x 1-3 @ 1000")
    post = await world.server.wait_for_channel_message(world.announcements)
    assert _prices(post) == "**VIP** ₩1,000 · 잔여 3/3석"
    # Nothing changed since it was posted: nothing to edit.
    assert await _refresh(world) == 0
    first = len(post.history)

    for fan in world.fans[:2]:
        await world.fund(fan, 10_000)
        await buy(world, fan, event_id, 1, section="VIP")
    # Two sales, one edit.
    assert await _refresh(world) == 1
    assert _prices(post) == "**VIP** ₩1,000 · 잔여 1/3석"
    assert len(post.history) == first + 1
    assert await _refresh(world) == 0

    await world.reply(world.organizer, "event edit", event=event_id, title="Autumn Concert")
    assert await _refresh(world) == 1
    assert post.embeds[0]["title"] == "Autumn Concert"

    await world.fund(world.fans[2], 10_000)
    await buy(world, world.fans[2], event_id, 1, section="VIP")
    assert await _refresh(world) == 1
    assert post.content == "매진: **Autumn Concert**. 예매 버튼을 누르면 취소표 대기를 신청할 수 있습니다."
    assert _prices(post) == "**VIP** ₩1,000 · 잔여 0/3석"
    assert post.buttons[0]["custom_id"] == f"picket:book:{event_id}"

    await world.reply(world.organizer, "event cancel", event=event_id, confirm="Autumn Concert")
    assert await _refresh(world) == 1
    assert post.content == "공연 취소: **Autumn Concert**. 모든 티켓 금액은 결제한 분의 지갑으로 환불됩니다."
    assert [b["custom_id"] for b in post.buttons] == [
        f"picket:show:{event_id}",
        f"picket:follow:{world.organizer.id}",
    ]
    assert await _refresh(world) == 0


async def test_a_deleted_post_is_left_alone(world: World) -> None:
    await world.set_up()
    event_id = await world.published_event(layout="VIP:A x 1-3 @ 1000")
    post = await world.server.wait_for_channel_message(world.announcements)
    post.deleted = True  # removed by a moderator
    await world.fund(world.fan, 10_000)
    await buy(world, world.fan, event_id, 1, section="VIP")

    assert await _refresh(world) == 1  # queued, then dropped as undeliverable
    assert await _refresh(world) == 0
