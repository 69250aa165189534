"""An organizer and a selling event, through the real bot: cancel it, see its sales, list attendees."""

from __future__ import annotations

import csv
from io import BytesIO, StringIO

from PIL import Image

from core.ledger import Account
from core.services.wallet import ledger_totals
from tests.e2e.test_booking import PAY, button_id, buy, field, hold_best, open_picker, wallet_of
from tests.e2e.world import World


async def selling(world: World, **options: object) -> int:
    """A published event in which fan0 bought two VIP seats and fan1 one R seat."""
    await world.set_up()
    event_id = await world.published_event(**options)
    for fan in world.fans[:2]:
        await world.fund(fan, 500_000)
    await buy(world, world.fans[0], event_id, 2, section="VIP")
    await buy(world, world.fans[1], event_id, 1, section="R")
    return event_id


async def test_cancelling_an_event_refunds_every_ticket_and_tells_each_buyer(world: World) -> None:
    event_id = await selling(world)
    for fan in world.fans[:2]:
        await world.server.wait_for_dm(fan)
    assert await wallet_of(world, world.fans[0]) == 500_000 - 198_000

    wrong = await world.reply(world.organizer, "event cancel", event=event_id, confirm="Spring")
    assert wrong.content == "To cancel, type the event's exact title in `confirm`: **Spring Concert**"
    assert await wallet_of(world, world.fans[0]) == 500_000 - 198_000

    started = await world.reply(world.organizer, "event cancel", event=event_id, confirm="Spring Concert")

    # The answer comes at once; the same message then follows the refunds to the end.
    assert started.ephemeral
    done = await world.until_says(started, "were refunded")
    said = [revision.content for revision in done.history]
    assert "**Spring Concert** is cancelled and its sales have stopped. Refunding 3 tickets…" in said
    assert done.content == (
        "**Spring Concert** is cancelled. 3 tickets were refunded (₩275,000) "
        "and their holders are told by DM."
    )
    assert await wallet_of(world, world.fans[0]) == 500_000
    assert await wallet_of(world, world.fans[1]) == 500_000
    async with world.runtime.uow() as uow:
        assert await uow.ledger.balance(Account.payable(world.organizer.id)) == 0
        assert await uow.tickets.live_for_event(event_id, 10) == []
    assert (await ledger_totals(world.runtime.uow())).balanced

    notes = [await world.server.wait_for_dm(world.fans[0]) for _ in range(2)]
    assert sorted(n.content for n in notes) == [
        f"티켓 #{n}의 공연이 기획자에 의해 취소되었습니다. ₩99,000이(가) Picket 지갑으로 환불되었습니다."
        for n in (1, 2)
    ]
    note = await world.server.wait_for_dm(world.fans[1])
    assert "₩77,000" in note.content

    # Nobody can book a cancelled event any more.
    closed = await open_picker(world, world.fans[2], event_id)
    assert closed.content == "Ticket sales for **Spring Concert** are closed."
    listed = await world.reply(world.fans[0], "tickets list")
    assert listed.embeds[0]["description"] == "You have no tickets yet. Find an event with /events."
    history = await world.reply(world.fans[0], "wallet history")
    assert (
        history.embeds[0]["description"].splitlines()[0].endswith("Refund (event cancelled) · **+₩99,000**")
    )


async def test_cancelling_an_event_releases_carts_and_seats_and_a_late_payment_is_refused(
    world: World,
) -> None:
    event_id = await selling(world)
    await world.fund(world.fans[2])
    cart = await hold_best(world, world.fans[2], event_id, 2)
    started = await world.reply(world.organizer, "event cancel", event=event_id, confirm="Spring Concert")
    await world.until_says(started, "were refunded")
    async with world.runtime.uow() as uow:
        sections = await uow.seats.availability(event_id, world.clock.now())
        assert await uow.holds.live_for_event(event_id) == []
    assert {s.name: (s.held, s.sold) for s in sections} == {"VIP": (0, 0), "R": (0, 0)}

    late = await world.server.click(world.fans[2], cart, custom_id=button_id(cart, PAY))
    told = await late.wait_for_followup()
    assert told.content == "Ticket sales for **Spring Concert** are closed."
    assert await wallet_of(world, world.fans[2]) == 1_000_000


async def test_only_the_events_organizer_can_cancel_it_or_see_its_sales(world: World) -> None:
    event_id = await selling(world)
    rival = world.other_organizer
    refused = "**Spring Concert** belongs to another organizer; you can only manage your own events."
    cancel = await world.reply(rival, "event cancel", event=event_id, confirm="Spring Concert")
    assert cancel.content == refused
    assert (await world.reply(rival, "event stats", event=event_id)).content == refused
    attendees = await world.reply(rival, "event attendees", event=event_id)
    assert attendees.content == refused and attendees.attachments == []
    assert await wallet_of(world, world.fans[0]) == 500_000 - 198_000


async def test_stats_show_each_section_the_revenue_and_a_chart(world: World) -> None:
    event_id = await selling(world)
    await world.fund(world.fans[2])
    await hold_best(world, world.fans[2], event_id, 3, section="R")
    await world.cancel_ticket(world.fans[1], 3)

    stats = await world.reply(world.organizer, "event stats", event=event_id)

    assert stats.ephemeral
    assert stats.embeds[0]["title"] == "Sales: Spring Concert"
    assert field(stats, "VIP · ₩99,000") == "Sold 2 · held 0 · free 18"
    assert field(stats, "R · ₩77,000") == "Sold 0 · held 3 · free 27"
    assert field(stats, "Tickets sold") == "2"
    assert field(stats, "Revenue") == "₩198,000"
    assert stats.embeds[0]["image"]["url"] == "attachment://sales.png"
    chart = Image.open(BytesIO(stats.attachment("sales.png").data))
    assert chart.format == "PNG" and chart.width > 100


async def test_stats_of_an_event_with_no_sales_yet(world: World) -> None:
    await world.set_up()
    event_id = await world.published_event()
    stats = await world.reply(world.organizer, "event stats", event=event_id)
    assert field(stats, "VIP · ₩99,000") == "Sold 0 · held 0 · free 20"
    assert field(stats, "Tickets sold") == "0"
    assert field(stats, "Revenue") == "₩0"
    assert stats.attachment("sales.png").data.startswith(b"\x89PNG")


async def test_stats_in_korean(world: World) -> None:
    event_id = await selling(world)
    stats = await world.reply(world.organizer, "event stats", locale="ko", event=event_id)
    assert stats.embeds[0]["title"] == "판매 현황: Spring Concert"
    assert field(stats, "VIP · ₩99,000") == "판매 2 · 선점 0 · 잔여 18"
    assert field(stats, "판매 금액") == "₩275,000"


async def test_attendees_come_as_a_csv_with_tickets_seats_and_holders(world: World) -> None:
    event_id = await selling(world)
    await world.reply(world.fans[0], "tickets transfer", ticket=2, to=world.korean_fan)
    await world.cancel_ticket(world.fans[1], 3)

    listed = await world.reply(world.organizer, "event attendees", event=event_id)

    assert listed.ephemeral
    assert listed.content == "Ticket list of **Spring Concert**: 3 tickets."
    data = listed.attachment(f"attendees-event-{event_id}.csv").data
    # A byte-order mark, so spreadsheet programs read Korean names right.
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(StringIO(data.decode("utf-8-sig"))))
    assert [(r["ticket"], r["seat"], r["holder"], r["price"], r["status"]) for r in rows] == [
        ("1", "VIP A5", "fan0", "99000", "active"),
        ("2", "VIP A6", "minji", "99000", "active"),
        ("3", "R C5", "fan1", "77000", "cancelled"),
    ]
    assert [int(r["holder_id"]) for r in rows] == [world.fans[0].id, world.korean_fan.id, world.fans[1].id]
    assert rows[0]["order"] == "1" and rows[2]["order"] == "2"


async def test_organizer_replies_in_korean(world: World) -> None:
    event_id = await selling(world)
    listed = await world.reply(world.organizer, "event attendees", locale="ko", event=event_id)
    assert listed.content == "**Spring Concert** 예매자 목록: 티켓 3매"
    started = await world.reply(
        world.organizer, "event cancel", locale="ko", event=event_id, confirm="Spring Concert"
    )
    done = await world.until_says(started, "환불되었고")
    assert done.content == (
        "**Spring Concert** 공연이 취소되었습니다. "
        "티켓 3매(₩275,000)가 환불되었고 예매자에게 DM으로 안내합니다."
    )
