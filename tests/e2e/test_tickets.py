"""Tickets after payment: the DM with its QR code and calendar file, /tickets list, show, cancel, transfer."""

from __future__ import annotations

from datetime import UTC, timedelta
from io import BytesIO

import icalendar
import zxingcpp
from PIL import Image

from bot.devserver import Member
from bot.i18n.formatting import stamp
from cogs.notifications import DiscordDeliverer
from core.models import Ticket
from core.services.wallet import ledger_totals
from core.ticket_codes import TicketClaim, read_rotating
from scheduler.jobs import send_notices
from tests.e2e.test_booking import buy, field, free_in, hold_best, pay, wallet_of
from tests.e2e.test_two_servers import straight_to_picket
from tests.e2e.world import World


def read_qr(png: bytes) -> str:
    found = zxingcpp.read_barcodes(Image.open(BytesIO(png)))
    assert len(found) == 1, f"expected one QR code, found {len(found)}"
    return str(found[0].text)


async def ticket(world: World, ticket_id: int) -> Ticket:
    async with world.runtime.uow() as uow:
        found = await uow.tickets.get(ticket_id)
    assert found is not None
    return found


def claim_of(world: World, code: str) -> TicketClaim:
    return world.runtime.codes.verify(code)


async def booked(world: World, fans: list[Member], quantity: int = 1) -> int:
    """A published event in which each of ``fans`` bought ``quantity`` VIP seats; returns its id."""
    await world.set_up()
    event_id = await world.published_event()
    for fan in fans:
        await world.fund(fan, 500_000)
        await buy(world, fan, event_id, quantity)
    return event_id


# --- the ticket DM --------------------------------------------------------------------------------


async def test_the_ticket_dm_carries_the_ticket_its_qr_code_and_a_calendar_file(world: World) -> None:
    event_id = await booked(world, [world.fan], quantity=2)
    dm = await world.server.wait_for_dm(world.fan)

    assert [e["title"] for e in dm.embeds] == ["Spring Concert", "Spring Concert"]
    async with world.runtime.uow() as uow:
        event = await uow.events.get(event_id)
    assert event is not None
    assert field(dm, "Seat") == "VIP A5"
    assert field(dm, "When") == stamp(event.starts_at, "F")
    assert field(dm, "Venue") == "Olympic Hall"
    assert field(dm, "Order") == "#1"
    assert field(dm, "Seat", embed=1) == "VIP A6"
    assert dm.embeds[0]["footer"]["text"] == "Ticket #1 · show the QR code at the door"
    assert dm.embeds[0]["image"]["url"] == "attachment://ticket-1.png"
    assert sorted(a.filename for a in dm.attachments) == ["event-1.ics", "ticket-1.png", "ticket-2.png"]

    for ticket_id in (1, 2):
        code = read_qr(dm.attachment(f"ticket-{ticket_id}.png").data)
        held = await ticket(world, ticket_id)
        assert claim_of(world, code) == TicketClaim(
            ticket_id, event_id, held.version, world.runtime.codes.key_id
        )
        # The code is printed under the picture too, for a scanner that reads text.
        assert field(dm, "Ticket code", embed=ticket_id - 1) == f"`{code}`"

    calendar = icalendar.Calendar.from_ical(dm.attachment("event-1.ics").data)
    [entry] = calendar.walk("VEVENT")
    assert str(entry["summary"]) == "Spring Concert"
    assert str(entry["location"]) == "Olympic Hall"
    assert entry.decoded("dtstart") == event.starts_at.replace(tzinfo=UTC)
    assert entry.decoded("dtend") - entry.decoded("dtstart") == timedelta(hours=3)
    # Stamped when the file was made (the DM went out with the clock where it stands), not at the start.
    assert entry.decoded("dtstamp") == world.clock.now().replace(tzinfo=UTC) != entry.decoded("dtstart")


async def test_a_fan_with_closed_dms_is_told_and_finds_the_ticket_in_tickets(world: World) -> None:
    await world.set_up()
    event_id = await world.published_event()
    await world.fund(world.shy_fan)
    receipt = await buy(world, world.shy_fan, event_id)

    assert receipt.content == (
        "Payment done. Your DMs are closed, so we could not send your tickets there: "
        "find them any time with /tickets."
    )
    assert world.server.rejected_dms == [world.shy_fan.id]
    assert world.server.dms(world.shy_fan) == []

    listed = await world.reply(world.shy_fan, "tickets list")
    assert listed.embeds[0]["description"].startswith("`#1` **Spring Concert** · VIP A5 · <t:")
    shown = await world.reply(world.shy_fan, "tickets show", ticket=1)
    code = read_qr(shown.attachment("ticket-1.png").data)
    assert read_rotating(code)[0] == 1


# --- /tickets -------------------------------------------------------------------------------------


async def test_tickets_list_shows_every_live_ticket(world: World) -> None:
    await world.set_up()
    empty = await world.reply(world.fan, "tickets list")
    assert empty.embeds[0]["description"] == "You have no tickets yet. Find an event with /events."

    first = await world.published_event(title="Spring Concert")
    second = await world.published_event(title="Summer Festival", layout="S:A x 1-5 @ 30000")
    await world.fund(world.fan)
    await buy(world, world.fan, first, 2)
    await buy(world, world.fan, second, 1, section="S")

    listed = await world.reply(world.fan, "tickets list")
    assert listed.ephemeral
    assert listed.embeds[0]["title"] == "Your tickets"
    lines = listed.embeds[0]["description"].splitlines()
    assert [line.split(" · <t:")[0] for line in lines] == [
        "`#1` **Spring Concert** · VIP A5",
        "`#2` **Spring Concert** · VIP A6",
        "`#3` **Summer Festival** · S A3",
    ]
    assert listed.embeds[0]["footer"]["text"].startswith("/tickets show")


async def test_tickets_show_gives_the_live_qr_code_with_a_refresh_button(world: World) -> None:
    event_id = await booked(world, [world.fan])
    shown = await world.reply(world.fan, "tickets show", ticket=1)

    assert shown.ephemeral
    live = read_qr(shown.attachment("ticket-1.png").data)
    held = await ticket(world, 1)
    ticket_id, token = read_rotating(live)
    codes, now = world.runtime.codes, world.clock.now()
    assert ticket_id == 1
    assert codes.check_rotating(1, held.secret, world.fan.id, token, now)
    assert not codes.check_rotating(1, held.secret, world.fans[1].id, token, now)
    # The static code is printed for scanners that may take it; the picture is the live one.
    static = field(shown, "Ticket code").strip("`")
    assert claim_of(world, static) == TicketClaim(1, event_id, held.version, codes.key_id)
    assert "changes <t:" in field(shown, "Live code at the door")

    # Half a minute later Refresh draws the next code.
    world.clock.advance(timedelta(seconds=30))
    refresh = next(b for b in shown.buttons if b["custom_id"] == "picket:live:1")
    await (await world.server.click(world.fan, shown, custom_id=refresh["custom_id"])).wait_for_message()
    await world.server.changes.wait_for(
        lambda: read_qr(shown.attachment("ticket-1.png").data) != live or None, within=5, what="a new code"
    )
    _, later = read_rotating(read_qr(shown.attachment("ticket-1.png").data))
    assert later != token and codes.check_rotating(1, held.secret, world.fan.id, later, world.clock.now())

    # Somebody else's ticket is not theirs to show.
    refused = await world.reply(world.fans[1], "tickets show", ticket=1)
    assert refused.content == "That ticket could not be found among your tickets."
    assert refused.attachments == []


async def test_cancelling_a_ticket_refunds_the_wallet_and_frees_the_seat(world: World) -> None:
    event_id = await booked(world, [world.fan], quantity=2)
    assert await wallet_of(world, world.fan) == 500_000 - 198_000
    old_code = read_qr((await world.server.wait_for_dm(world.fan)).attachment("ticket-1.png").data)

    cancelled = await world.cancel_ticket(world.fan, 1)

    assert cancelled.content == "Ticket #1 is cancelled and ₩99,000 is back in your wallet."
    assert await wallet_of(world, world.fan) == 500_000 - 99_000
    assert await free_in(world, event_id) == {"VIP": 19, "R": 30}
    totals = await ledger_totals(world.runtime.uow())
    assert totals.balanced, totals
    listed = await world.reply(world.fan, "tickets list")
    assert "#1" not in listed.embeds[0]["description"]
    assert "`#2`" in listed.embeds[0]["description"]
    # The cancelled ticket's code no longer matches the ticket.
    assert claim_of(world, old_code).version != (await ticket(world, 1)).version
    # A second cancel finds nothing to refund.
    again = await world.cancel_ticket(world.fan, 1)
    assert again.content == "That ticket could not be found among your tickets."
    assert await wallet_of(world, world.fan) == 500_000 - 99_000
    # The freed seat and the fan's limit are both back: the fan can buy two more.
    await buy(world, world.fan, event_id, quantity=3)


async def test_cancelling_asks_first_with_the_refund_and_the_cut_off(world: World) -> None:
    event_id = await booked(world, [world.fan, world.fans[1]])
    async with world.runtime.uow() as uow:
        event = await uow.events.get(event_id)
    assert event is not None

    asked = await world.reply(world.fan, "tickets cancel", ticket=1)

    closes = stamp(event.starts_at - timedelta(hours=24), "F")
    assert asked.content == (
        f"Cancel ticket #1 (VIP A5, **Spring Concert**)? ₩99,000 goes back to your wallet. "
        f"Cancelling is open until {closes}."
    )
    assert [b["label"] for b in asked.buttons] == ["Cancel ticket", "Keep it"]
    # Nothing has happened yet.
    assert (await ticket(world, 1)).status.value == "active"
    assert await wallet_of(world, world.fan) == 500_000 - 99_000

    # Another member forging the fan's button on their own question gets nothing from it, nor from a
    # button made out in their own name for the fan's ticket: only the ticket's holder may cancel it.
    theirs = await world.reply(world.fans[1], "tickets cancel", ticket=2)
    as_the_fan, in_own_name = (
        f"picket:tcancel:yes:1:{world.fan.id}",
        f"picket:tcancel:yes:1:{world.fans[1].id}",
    )
    with straight_to_picket(world, as_the_fan, in_own_name):
        refused = await (await world.server.forge_click(world.fans[1], theirs, as_the_fan)).wait_for_message()
        assert refused.content.startswith("These buttons belong to someone else.")
        forged = await world.server.forge_click(world.fans[1], theirs, in_own_name)
        refused = await forged.wait_for_followup()
        assert refused.content == "That ticket could not be found among your tickets."
    assert (await ticket(world, 1)).status.value == "active"
    # "Keep it" keeps it.
    kept = await world.server.click(world.fan, asked, custom_id=asked.buttons[1]["custom_id"])
    await kept.wait_for_response()
    assert (await world.until_says(asked, "kept")).content == "Ticket #1 is kept; nothing changed."
    assert asked.components == []
    assert (await ticket(world, 1)).status.value == "active"

    # A question still on screen after a restart still works.
    again = await world.reply(world.fan, "tickets cancel", ticket=1)
    await world.restart_bot()
    done = await world.server.click(world.fan, again, custom_id=again.buttons[0]["custom_id"])
    await done.wait_for_response()
    answer = await world.until_says(again, "is cancelled")
    assert answer.content == "Ticket #1 is cancelled and ₩99,000 is back in your wallet."
    assert await wallet_of(world, world.fan) == 500_000
    # The same button pressed again (a second client, a double click) refunds nothing twice.
    with straight_to_picket(world, as_the_fan):
        twice = await world.server.forge_click(world.fan, again, as_the_fan)
        assert (
            await twice.wait_for_followup()
        ).content == "That ticket could not be found among your tickets."
    assert await wallet_of(world, world.fan) == 500_000


async def test_cancelling_closes_a_day_before_the_event(world: World) -> None:
    event_id = await booked(world, [world.fan])
    async with world.runtime.uow() as uow:
        event = await uow.events.get(event_id)
    assert event is not None
    world.clock.set(event.starts_at - timedelta(hours=23))

    refused = await world.cancel_ticket(world.fan, 1)

    assert refused.content == f"Cancellations closed {stamp(event.starts_at - timedelta(hours=24), 'F')}."
    assert await wallet_of(world, world.fan) == 500_000 - 99_000
    assert (await ticket(world, 1)).status.value == "active"


async def test_cancelling_tells_the_fan_by_dm(world: World) -> None:
    await booked(world, [world.fan])
    await world.server.wait_for_dm(world.fan)
    await world.cancel_ticket(world.fan, 1)
    assert world.bot is not None
    # The note goes out through the outbox, at the scheduler's next turn.
    assert await send_notices(world.runtime, DiscordDeliverer(world.bot, world.runtime)) == 1
    note = await world.server.wait_for_dm(world.fan)
    assert note.content == "Ticket #1 was cancelled and ₩99,000 was refunded to your Picket wallet."


async def test_transferring_a_ticket_hands_it_over_and_revokes_the_old_code(world: World) -> None:
    event_id = await booked(world, [world.fan])
    old_code = read_qr((await world.server.wait_for_dm(world.fan)).attachment("ticket-1.png").data)
    receiver = world.fans[1]

    moved = await world.reply(world.fan, "tickets transfer", ticket=1, to=receiver)

    assert moved.content == (
        f"Ticket #1 now belongs to {receiver.user.mention}. Your old code no longer works."
    )
    gift = await world.server.wait_for_dm(receiver)
    # A DM has no interaction locale to go by, so it speaks the server's language (Korean here).
    assert gift.content == (
        f"{world.fan.user.mention}님이 티켓을 양도했습니다. 입장 시 /티켓 보기의 실시간 코드를 보여 주세요."
    )
    assert field(gift, "좌석") == "VIP A5"
    new_code = read_qr(gift.attachment("ticket-1.png").data)
    now_held = await ticket(world, 1)
    assert now_held.holder_id == receiver.id
    assert claim_of(world, new_code) == TicketClaim(1, event_id, now_held.version, world.runtime.codes.key_id)
    old = claim_of(world, old_code)
    assert old.version != now_held.version

    assert "no tickets" in (await world.reply(world.fan, "tickets list")).embeds[0]["description"]
    assert "`#1`" in (await world.reply(receiver, "tickets list")).embeds[0]["description"]
    refused = await world.reply(world.fan, "tickets show", ticket=1)
    assert refused.content == "That ticket could not be found among your tickets."
    # No money moves in a transfer.
    assert await wallet_of(world, receiver) == 0


async def test_a_transfer_to_a_member_with_closed_dms_says_where_they_will_find_it(world: World) -> None:
    await booked(world, [world.fan])
    moved = await world.reply(world.fan, "tickets transfer", ticket=1, to=world.shy_fan)
    assert moved.content == (
        f"Ticket #1 now belongs to {world.shy_fan.user.mention}; their DMs are closed, so they will "
        "find it with /tickets. Your old code no longer works."
    )
    listed = await world.reply(world.shy_fan, "tickets list")
    assert "`#1`" in listed.embeds[0]["description"]


async def test_a_ticket_cannot_go_to_oneself_or_to_a_bot(world: World) -> None:
    await booked(world, [world.fan])
    to_self = await world.reply(world.fan, "tickets transfer", ticket=1, to=world.fan)
    assert to_self.content == "You already hold this ticket."
    bot_member = world.guild.members[world.server.bot_user.id]
    to_bot = await world.reply(world.fan, "tickets transfer", ticket=1, to=bot_member)
    assert to_bot.content == "Tickets can only go to people, not bots."
    assert (await ticket(world, 1)).holder_id == world.fan.id


async def test_a_transfer_cannot_take_the_receiver_past_the_limit(world: World) -> None:
    await world.set_up()
    event_id = await world.published_event(limit=2)
    giver, receiver = world.fans[0], world.fans[1]
    for fan in (giver, receiver):
        await world.fund(fan)
        await buy(world, fan, event_id, 2 if fan is receiver else 1)

    refused = await world.reply(giver, "tickets transfer", ticket=1, to=receiver)

    assert refused.content == (
        f"{receiver.user.mention} already has the most tickets allowed for this event (2)."
    )
    assert (await ticket(world, 1)).holder_id == giver.id
    assert world.server.dms(receiver)[-1].content.startswith("Your tickets")


async def test_a_cart_counts_against_the_receivers_limit(world: World) -> None:
    await world.set_up()
    event_id = await world.published_event(limit=2)
    giver, receiver = world.fans[0], world.fans[1]
    for fan in (giver, receiver):
        await world.fund(fan)
    await buy(world, giver, event_id)
    cart = await hold_best(world, receiver, event_id, quantity=2)
    refused = await world.reply(giver, "tickets transfer", ticket=1, to=receiver)
    assert "already has the most tickets" in refused.content
    receipt = await pay(world, receiver, cart)
    assert len(field(receipt, "Tickets").splitlines()) == 2


async def test_tickets_in_korean(world: World) -> None:
    await booked(world, [world.korean_fan])
    fan = world.korean_fan
    listed = await world.reply(fan, "tickets list")
    assert listed.embeds[0]["title"] == "내 티켓"
    shown = await world.reply(fan, "tickets show", ticket=1)
    assert field(shown, "좌석") == "VIP A5"
    moved = await world.reply(fan, "tickets transfer", ticket=1, to=world.fan)
    assert moved.content == (
        f"티켓 #1을(를) {world.fan.user.mention}님께 양도했습니다. 기존 코드는 더 이상 사용할 수 없습니다."
    )
    back = await world.reply(world.fan, "tickets transfer", ticket=1, to=fan)
    assert back.content.startswith("Ticket #1 now belongs to")
    cancelled = await world.cancel_ticket(fan, 1)
    assert cancelled.content == "티켓 #1 예매가 취소되어 ₩99,000이(가) 지갑으로 환불되었습니다."


async def test_a_korean_fan_is_pointed_to_commands_by_their_korean_names(world: World) -> None:
    await world.set_up()

    none = await world.reply(world.korean_fan, "tickets list")

    assert none.embeds[0]["description"] == "아직 티켓이 없습니다. /공연목록에서 공연을 찾아보세요."
    waiting = await world.reply(world.korean_fan, "waitlist status")
    shown = waiting.content + "".join(e.get("description", "") for e in waiting.embeds)
    assert "/대기 신청" in shown and "/waitlist" not in shown
