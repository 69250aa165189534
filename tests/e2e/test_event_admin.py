"""An organizer changes an event with /event edit: the wording always, its terms only until a ticket sells."""

from __future__ import annotations

from bot.devserver import Member, Message
from bot.i18n.formatting import unix
from core.services.booking import ConfirmHold, HoldSeats, confirm_hold, hold_seats
from core.services.events import event_details
from core.services.organizer import cancel_event
from core.timeparse import parse_local
from tests.e2e.world import ZONE, World, event_id_of


def field(message: Message, name: str) -> str:
    for item in message.embeds[0].get("fields", []):
        if item["name"] == name:
            return str(item["value"])
    raise AssertionError(f"no field {name!r} in {message.embeds[0]}")


async def sell_a_ticket(world: World, event_id: int, fan: Member) -> None:
    """A fan buys one VIP seat, straight through the booking services."""
    await world.fund(fan)
    uow, clock = world.runtime.uow, world.clock
    details = await event_details(event_id, world.caller(fan), uow(), clock)
    vip = details.sections[0].section_id
    held = await hold_seats(
        HoldSeats(event_id, world.caller(fan), f"hold-{fan.id}", section_id=vip, quantity=1), uow(), clock
    )
    await confirm_hold(
        ConfirmHold(held.hold.id, world.caller(fan), f"pay-{fan.id}", locale="en"), uow(), clock
    )


async def test_the_wording_changes_even_after_tickets_are_sold(world: World) -> None:
    await world.set_up()
    event_id = await world.published_event()
    await sell_a_ticket(world, event_id, world.fan)

    reply = await world.reply(
        world.organizer,
        "event edit",
        event=event_id,
        title="Autumn Concert",
        description="Songs for the autumn.",
        venue="Blue Square",
    )

    assert reply.ephemeral
    assert reply.content == "**Autumn Concert** is updated."
    card = reply.embeds[0]
    assert (card["title"], card["description"]) == ("Autumn Concert", "Songs for the autumn.")
    assert field(reply, "Venue") == "Blue Square"
    assert field(reply, "Prices and free seats").startswith("**VIP** ₩99,000 · 19/20 free")
    # The card points at its seat map, so the picture comes with it.
    assert card["image"]["url"] == "attachment://seatmap.png"
    assert reply.attachment("seatmap.png").data.startswith(b"\x89PNG")
    seen = await world.reply(world.fans[1], "event show", event=event_id)
    assert seen.embeds[0]["title"] == "Autumn Concert"


async def test_the_start_and_the_limit_are_locked_once_a_ticket_is_sold(world: World) -> None:
    await world.set_up()
    event_id = await world.published_event()
    before = await world.reply(world.fan, "event show", event=event_id)
    await sell_a_ticket(world, event_id, world.fan)

    start = await world.reply(world.organizer, "event edit", event=event_id, starts=world.when(45))
    both = await world.reply(
        world.organizer, "event edit", event=event_id, limit=2, starts=world.when(45), title="Moved"
    )

    assert start.content == (
        "**Spring Concert** has sold tickets, so its start time can no longer change. "
        "The title, description and venue still can."
    )
    assert both.content == (
        "**Spring Concert** has sold tickets, so its per-fan limit, start time can no longer change. "
        "The title, description and venue still can."
    )
    # A refused edit changes nothing, not even the parts that were allowed.
    after = await world.reply(world.fans[1], "event show", event=event_id)
    assert after.embeds[0]["title"] == "Spring Concert"
    assert field(after, "When") == field(before, "When")
    assert field(after, "Limit") == "Up to 4 per fan"


async def test_the_refusal_names_the_fields_in_the_organizers_language(world: World) -> None:
    await world.set_up()
    event_id = await world.published_event()
    await sell_a_ticket(world, event_id, world.fan)

    reply = await world.reply(world.organizer, "event edit", locale="ko", event=event_id, limit=2)

    assert reply.content == (
        "**Spring Concert** 공연은 티켓이 이미 판매되어 1인당 구매 한도을(를) 변경할 수 없습니다. "
        "공연 제목, 소개, 공연장은 수정할 수 있습니다."
    )


async def test_before_any_sale_the_start_and_the_limit_can_change(world: World) -> None:
    await world.set_up()
    event_id = await world.published_event()
    new_start = world.when(45)

    reply = await world.reply(world.organizer, "event edit", event=event_id, starts=new_start, limit=2)

    moment = unix(parse_local(new_start, ZONE))
    assert reply.content == "**Spring Concert** is updated."
    assert field(reply, "When") == f"<t:{moment}:F> (<t:{moment}:R>)"
    assert field(reply, "Limit") == "Up to 2 per fan"
    seen = await world.reply(world.fan, "event show", event=event_id)
    assert field(seen, "Limit") == "Up to 2 per fan"


async def test_an_edit_into_the_past_or_with_nothing_in_it_is_refused(world: World) -> None:
    await world.set_up()
    event_id = await world.published_event()

    past = await world.reply(world.organizer, "event edit", event=event_id, starts="2020-01-01 19:00")
    empty = await world.reply(world.organizer, "event edit", event=event_id)
    unreadable = await world.reply(world.organizer, "event edit", event=event_id, starts="tomorrow")
    late_sale = await world.reply(world.organizer, "event edit", event=event_id, sale_opens=world.when(60))

    assert past.content == "The start time is in the past. Please choose a future date and time."
    assert empty.content == "Nothing to change: give at least one new value."
    assert unreadable.content == "`tomorrow` is not a date I can read. Please write it like 2026-12-24 19:30."
    assert late_sale.content == "Ticket sales must open before the event starts."


async def test_the_organizer_edits_a_draft_before_publishing_it(world: World) -> None:
    await world.set_up()
    preview = await world.create_event()
    event_id = event_id_of(preview)

    reply = await world.reply(world.organizer, "event edit", event=event_id, title="Spring Gala")

    assert reply.embeds[0]["title"] == "Spring Gala"
    assert reply.embeds[0]["footer"]["text"] == f"Event #{event_id} · Draft (only you can see it)"
    hidden = await world.reply(world.fan, "event show", event=event_id)
    assert hidden.content == "That event could not be found."


async def test_a_cancelled_event_can_no_longer_change(world: World) -> None:
    await world.set_up()
    event_id = await world.published_event()
    await cancel_event(event_id, world.caller(world.organizer), world.runtime.uow(), world.clock)

    reply = await world.reply(world.organizer, "event edit", event=event_id, title="Back on")

    assert reply.content == "**Spring Concert** was cancelled, so it can no longer change."
