"""Fans book seats through the real bot: pick a section or seats, hold them in a cart, pay from the wallet."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from datetime import timedelta
from types import SimpleNamespace
from typing import Any

import aiohttp
import pytest

from bot.devserver import ActionRefused, Member, Message
from bot.i18n import t
from bot.i18n.formatting import money, stamp
from cogs.booking import _picker
from cogs.booking._cart import CartButton
from cogs.shared import replies
from cogs.shared.seatmap import REDRAW_AFTER
from cogs.shared.views import PicketView
from core.ledger import Account
from core.services.wallet import balance
from scheduler.jobs import expire_holds
from tests.e2e.world import World

CHANNEL_MESSAGE, DEFERRED_CHANNEL_MESSAGE = 4, 5
# The picker's menus and buttons carry their state after these prefixes.
SECTION = "picket:sec:"
COUNT = "picket:qty:"
BEST = "picket:best:"
CHOOSE = "picket:rows:"
ROW = "picket:row:"
SEATS = "picket:seat:"
PAY = "picket:cart:pay:"
RELEASE = "picket:cart:release:"
# Three VIP seats in one row and a cheaper section: small enough to sell out in a test.
SMALL_LAYOUT = "VIP:A x 1-3 @ 99000; R:B x 1-4 @ 77000"
ONE_SEAT = "VIP:A x 1-1 @ 50000"


# --- acting as a fan ------------------------------------------------------------------------------


async def until(world: World, probe: Callable[[], Any], what: str) -> Any:
    """Waits for the server's world to reach a state, re-checking at each change it sees."""
    return await world.server.changes.wait_for(lambda: probe() or None, within=5.0, what=what)


async def open_picker(world: World, member: Member, event_id: int, quantity: int = 1) -> Message:
    return await world.reply(member, "book", event=event_id, quantity=quantity)


def button_id(message: Message, prefix: str) -> str | None:
    """The custom id of the button whose id starts so (cart buttons carry their hold in it)."""
    return next((b["custom_id"] for b in message.buttons if b["custom_id"].startswith(prefix)), None)


def find(message: Message, prefix: str) -> dict[str, Any] | None:
    """The menu or button whose custom id starts so (the picker's carry their state after it)."""
    return next(
        (c for c in message.walk_components() if str(c.get("custom_id", "")).startswith(prefix)), None
    )


def cid(message: Message, prefix: str) -> str:
    found = find(message, prefix)
    assert found is not None, f"no component {prefix}… on {message.components}"
    return str(found["custom_id"])


def option_value(message: Message, custom_id: str, label_start: str) -> str:
    menu = find(message, custom_id)
    assert menu is not None, f"no menu {custom_id} on {message.components}"
    for option in menu["options"]:
        if option["label"].startswith(label_start):
            return str(option["value"])
    raise AssertionError(f"{custom_id} offers no {label_start!r}: {[o['label'] for o in menu['options']]}")


async def choose_section(world: World, member: Member, picker: Message, section: str = "VIP") -> Message:
    value = option_value(picker, SECTION, section)
    chosen = await world.server.select(member, picker, cid(picker, SECTION), [value])
    return await chosen.wait_for_message()


async def take_best(world: World, member: Member, picker: Message) -> Message:
    """Clicks Best available and returns the cart (or the picker, if the click was refused)."""
    clicked = await world.server.click(member, picker, custom_id=cid(picker, BEST))
    return await clicked.wait_for_message()


async def hold_best(
    world: World, member: Member, event_id: int, quantity: int = 1, section: str = "VIP"
) -> Message:
    picker = await open_picker(world, member, event_id, quantity)
    picker = await choose_section(world, member, picker, section)
    cart = await take_best(world, member, picker)
    assert button_id(cart, PAY) is not None, cart.content
    return cart


async def pay(world: World, member: Member, cart: Message) -> Message:
    """Clicks Pay and returns the receipt once it says where the tickets went."""
    clicked = await world.server.click(member, cart, custom_id=button_id(cart, PAY))
    receipt = await clicked.wait_for_message()
    sending = t("receipt.sending", member.user.locale)
    await until(world, lambda: receipt.content and receipt.content != sending, "the delivery outcome")
    return receipt


async def buy(
    world: World, member: Member, event_id: int, quantity: int = 1, section: str = "VIP"
) -> Message:
    return await pay(world, member, await hold_best(world, member, event_id, quantity, section))


async def pick_seats(
    world: World, member: Member, event_id: int, labels: list[str], section: str = "VIP"
) -> Message:
    """Chooses these seats by hand (row, then seats) and returns the message once the seat menu shows."""
    picker = await open_picker(world, member, event_id, len(labels))
    picker = await choose_section(world, member, picker, section)
    rows = await (await world.server.click(member, picker, custom_id=cid(picker, CHOOSE))).wait_for_message()
    await until(world, lambda: find(rows, ROW), "the row menu")
    row = labels[0].split()[-1][0]
    # Rows are offered by their letter, whatever the fan's language calls them.
    await world.server.select(member, rows, cid(rows, ROW), [row])
    await until(world, lambda: find(rows, SEATS), "the seat menu")
    return rows


def seat_values(message: Message, labels: list[str]) -> list[str]:
    return [option_value(message, SEATS, label) for label in labels]


async def wallet_of(world: World, member: Member) -> int:
    return await balance(member.id, world.runtime.uow())


async def free_in(world: World, event_id: int) -> dict[str, int]:
    async with world.runtime.uow() as uow:
        sections = await uow.seats.availability(event_id, world.clock.now())
    return {s.name: s.available for s in sections}


def field(message: Message, name: str, embed: int = 0) -> str:
    for item in message.embeds[embed].get("fields", []):
        if item["name"] == name:
            return str(item["value"])
    raise AssertionError(f"no field {name!r} in {message.embeds[embed]}")


# --- the journeys ---------------------------------------------------------------------------------


async def test_fan_books_the_best_seats_and_pays_from_the_wallet(world: World) -> None:
    await world.set_up()
    event_id = await world.published_event()
    await world.fund(world.fan, 300_000)

    picker = await open_picker(world, world.fan, event_id, quantity=2)
    assert picker.ephemeral
    assert picker.embeds[0]["title"] == "Book: Spring Concert"
    assert "**VIP** ₩99,000 · 20 free" in picker.embeds[0]["description"]
    assert "Wallet: ₩300,000" in picker.embeds[0]["description"]
    assert picker.attachment("seatmap.png").data.startswith(b"\x89PNG")
    # Nothing to hold until a section is chosen.
    assert find(picker, BEST)["disabled"] is True

    picker = await choose_section(world, world.fan, picker, "VIP")
    assert "Section: **VIP**" in picker.embeds[0]["description"]
    held_at = world.clock.now()
    cart = await take_best(world, world.fan, picker)

    assert cart.content == "Your seats are held for 10 minutes. Pay to get your tickets."
    assert cart.embeds[0]["title"] == "Your seats: Spring Concert"
    assert field(cart, "Seats").splitlines() == ["VIP A5 · ₩99,000", "VIP A6 · ₩99,000"]
    assert field(cart, "Total") == "₩198,000"
    expires = stamp(held_at + timedelta(minutes=10), "R")
    assert field(cart, "Hold") == f"10 minutes, ends {expires}"
    assert [b["label"] for b in cart.buttons] == ["Pay ₩198,000", "Release seats"]
    assert await free_in(world, event_id) == {"VIP": 18, "R": 30}
    # Holding costs nothing yet.
    assert await wallet_of(world, world.fan) == 300_000
    # A top-up while the cart is open shows in the balance the receipt gives.
    await world.fund(world.fan, 5_000)

    receipt = await pay(world, world.fan, cart)

    assert receipt.content == "Payment done. Your tickets (QR code and calendar file) are in your DMs."
    assert receipt.embeds[0]["title"] == "Booked: Spring Concert"
    assert receipt.embeds[0]["description"].startswith("Order #1 · the event starts <t:")
    assert field(receipt, "Tickets").splitlines() == ["Ticket #1 · VIP A5", "Ticket #2 · VIP A6"]
    assert field(receipt, "Paid") == "₩198,000"
    assert field(receipt, "Wallet now") == "₩107,000"
    assert receipt.components == []
    assert await wallet_of(world, world.fan) == 107_000
    dm = await world.server.wait_for_dm(world.fan)
    assert (
        dm.content
        == "Your tickets for **Spring Concert** are here. At the door, show the live code from /tickets show."
    )


async def test_a_picker_ready_at_once_is_the_answer_and_a_late_one_follows_thinking(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    await world.set_up()
    event_id = await world.published_event()
    await world.fund(world.fans[0])
    await world.fund(world.fans[1])

    quick = await world.command(world.fans[0], "book", event=event_id)
    picker = await quick.wait_for_message()
    assert quick.response_type == CHANNEL_MESSAGE
    assert picker.ephemeral and picker.embeds[0]["title"] == "Book: Spring Concert"

    # A bot running behind has no time left to answer at once: the fan sees it thinking, then the picker.
    monkeypatch.setattr(replies, "ANSWER_AT_ONCE_WITHIN", 0.0)
    late = await world.command(world.fans[1], "book", event=event_id)
    picker = await late.wait_for_message()
    assert late.response_type == DEFERRED_CHANNEL_MESSAGE
    assert picker.ephemeral and picker.embeds[0]["title"] == "Book: Spring Concert"
    refused = await world.command(world.fans[1], "book", event=event_id + 100)
    assert (await refused.wait_for_message()).content == "That event could not be found."
    assert refused.response_type == DEFERRED_CHANNEL_MESSAGE


async def test_fans_pressing_at_once_are_each_acknowledged_then_answered(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    await world.set_up()
    event_id = await world.published_event()
    fans = [world.server.add_member(world.guild, f"rush{n}") for n in range(3 * replies.RUSH)]
    # No picker is ready until every fan's press is being prepared: the rush is certain, not timed.
    started, everyone = [0], asyncio.Event()
    start = _picker._start

    async def when_everyone_pressed(*args: Any) -> Any:
        started[0] += 1
        if started[0] == len(fans):
            everyone.set()
        await everyone.wait()
        return await start(*args)

    monkeypatch.setattr(_picker, "_start", when_everyone_pressed)

    pressed = await asyncio.gather(*(world.command(fan, "book", event=event_id) for fan in fans))
    pickers = await asyncio.gather(*(p.wait_for_message() for p in pressed))

    assert all(p.ephemeral and p.embeds[0]["title"] == "Book: Spring Concert" for p in pickers)
    assert {p.visible_to for p in pickers} == {fan.id for fan in fans}
    # Past the first few, a rush: each acknowledged before its work starts, the picker following.
    kinds = [p.response_type for p in pressed]
    assert kinds.count(DEFERRED_CHANNEL_MESSAGE) >= len(fans) - replies.RUSH
    assert set(kinds) <= {CHANNEL_MESSAGE, DEFERRED_CHANNEL_MESSAGE}


async def test_fans_opening_one_sale_share_one_upload_of_the_seat_map(world: World) -> None:
    await world.set_up()
    event_id = await world.published_event()
    for fan in world.fans[:3]:
        await world.fund(fan, 300_000)

    first = await open_picker(world, world.fans[0], event_id)
    uploaded = first.attachment("seatmap.png")
    assert first.embeds[0]["image"]["url"] == "attachment://seatmap.png"

    # The seats have not changed: the next fan's picker shows the same upload by its address.
    second = await open_picker(world, world.fans[1], event_id)
    assert second.attachments == []
    assert second.embeds[0]["image"]["url"] == uploaded.url
    async with aiohttp.ClientSession() as session, session.get(uploaded.url) as response:
        assert await response.read() == uploaded.data

    # A hold changes the picture: a fan a few seconds later gets it drawn and uploaded afresh.
    await take_best(world, world.fans[1], await choose_section(world, world.fans[1], second, "VIP"))
    world.clock.advance(REDRAW_AFTER)
    third = await open_picker(world, world.fans[2], event_id)
    assert third.embeds[0]["image"]["url"] == "attachment://seatmap.png"
    assert third.attachment("seatmap.png").data != uploaded.data

    # The first fan books and pays: the message that carried the upload keeps it for the others.
    await pay(
        world,
        world.fans[0],
        await take_best(world, world.fans[0], await choose_section(world, world.fans[0], first, "R")),
    )
    assert [a.url for a in first.attachments] == [uploaded.url]
    assert first.embeds[0]["thumbnail"]["url"] == "attachment://seatmap.png"


async def test_fan_chooses_a_row_then_the_seats(world: World) -> None:
    await world.set_up()
    event_id = await world.published_event()
    await world.fund(world.fan)

    rows = await pick_seats(world, world.fan, event_id, ["R C1", "R C2"], section="R")
    assert [o["label"] for o in find(rows, ROW)["options"]] == ["Row C", "Row D", "Row E"]
    menu = find(rows, SEATS)
    assert (menu["min_values"], menu["max_values"]) == (2, 2)
    chosen = await world.server.select(world.fan, rows, cid(rows, SEATS), seat_values(rows, ["R C1", "R C2"]))
    cart = await chosen.wait_for_message()
    assert field(cart, "Seats").splitlines() == ["R C1 · ₩77,000", "R C2 · ₩77,000"]

    receipt = await pay(world, world.fan, cart)
    assert field(receipt, "Tickets").splitlines() == ["Ticket #1 · R C1", "Ticket #2 · R C2"]
    assert field(receipt, "Paid") == "₩154,000"


async def test_a_row_with_too_few_free_seats_says_so(world: World) -> None:
    await world.set_up()
    event_id = await world.published_event(layout="VIP:A-B x 1-3 @ 99000")
    picker = await open_picker(world, world.fan, event_id, quantity=4)
    picker = await choose_section(world, world.fan, picker, "VIP")
    rows = await (
        await world.server.click(world.fan, picker, custom_id=cid(picker, CHOOSE))
    ).wait_for_message()
    await world.server.select(world.fan, rows, cid(rows, ROW), ["A"])
    await until(world, lambda: rows.content, "the row answer")
    assert rows.content == "Row A has fewer than 4 free seats. Choose another row."
    assert find(rows, SEATS) is None


async def test_the_book_button_on_the_announcement_starts_the_same_booking(world: World) -> None:
    await world.set_up()
    event_id = await world.published_event()
    await world.fund(world.fans[1])
    announcement = world.server.channel_messages(world.announcements)[-1]
    assert not announcement.ephemeral

    # The public button serves everyone who clicks it, each with a picker of their own.
    clicked = await world.server.click(world.fans[1], announcement, custom_id=f"picket:book:{event_id}")
    picker = await clicked.wait_for_message()
    assert picker.ephemeral and picker.visible_to == world.fans[1].id
    assert picker.embeds[0]["title"] == "Book: Spring Concert"
    other = await (
        await world.server.click(world.fans[2], announcement, custom_id=f"picket:book:{event_id}")
    ).wait_for_message()
    assert other.visible_to == world.fans[2].id

    picker = await choose_section(world, world.fans[1], picker, "R")
    receipt = await pay(world, world.fans[1], await take_best(world, world.fans[1], picker))
    assert field(receipt, "Tickets") == "Ticket #1 · R C5"


async def test_the_book_button_still_works_after_a_restart(world: World) -> None:
    await world.set_up()
    event_id = await world.published_event()
    announcement = world.server.channel_messages(world.announcements)[-1]
    await world.restart_bot()
    clicked = await world.server.click(world.fan, announcement, custom_id=f"picket:book:{event_id}")
    picker = await clicked.wait_for_message()
    assert picker.embeds[0]["title"] == "Book: Spring Concert"


async def test_a_fans_cart_answers_only_that_fan(world: World) -> None:
    await world.set_up()
    event_id = await world.published_event()
    await world.fund(world.fan)
    cart = await hold_best(world, world.fan, event_id)
    pay_id = button_id(cart, PAY)
    assert pay_id is not None

    # Discord shows an ephemeral cart to its fan alone; nobody else can even reach its buttons.
    with pytest.raises(ActionRefused, match="ephemeral"):
        await world.server.click(world.fans[1], cart, custom_id=pay_id)

    # Should another member's click reach the button anyway, the button turns it away.
    answers: list[tuple[str, bool]] = []

    async def send_message(content: str, *, ephemeral: bool = False) -> None:
        answers.append((content, ephemeral))

    match = re.fullmatch(CartButton.__discord_ui_compiled_template__, pay_id)
    assert match is not None
    button = await CartButton.from_custom_id(None, None, match)  # type: ignore[arg-type]
    stranger = SimpleNamespace(
        user=SimpleNamespace(id=world.korean_fan.id),
        locale="ko",
        response=SimpleNamespace(send_message=send_message),
    )
    owner = SimpleNamespace(user=SimpleNamespace(id=world.fan.id), locale="en-US")
    assert await button.interaction_check(stranger) is False  # type: ignore[arg-type]
    assert answers == [("다른 분의 버튼입니다. 직접 명령어를 실행해 주세요.", True)]
    assert await button.interaction_check(owner) is True  # type: ignore[arg-type]
    # The picker is checked the same way.
    assert await PicketView(world.fan.id).interaction_check(stranger) is False  # type: ignore[arg-type]

    receipt = await pay(world, world.fan, cart)
    assert field(receipt, "Paid") == "₩99,000"


async def test_two_fans_racing_for_the_last_seat_one_wins(world: World) -> None:
    await world.set_up()
    event_id = await world.published_event(layout=ONE_SEAT)
    racers = [world.fan, world.korean_fan]
    for fan in racers:
        await world.fund(fan)
    pickers = [await pick_seats(world, fan, event_id, ["VIP A1"]) for fan in racers]

    clicks = await asyncio.gather(
        *(
            world.server.select(fan, picker, cid(picker, SEATS), seat_values(picker, ["VIP A1"]))
            for fan, picker in zip(racers, pickers, strict=True)
        )
    )
    await until(
        world,
        lambda: all(c.message is not None or c.followups for c in clicks),
        "both racers to hear back",
    )

    winners = [c for c in clicks if c.message is not None and button_id(c.message, PAY)]
    losers = [c for c in clicks if c.followups]
    assert len(winners) == 1 and len(losers) == 1
    loser = racers[clicks.index(losers[0])]
    told = losers[0].followups[0]
    assert told.ephemeral
    assert told.content == t("error.seat_unavailable", loser.user.locale)
    assert await free_in(world, event_id) == {"VIP": 0}
    winner = racers[clicks.index(winners[0])]
    await pay(world, winner, winners[0].message)  # type: ignore[arg-type]
    assert await wallet_of(world, winner) == 1_000_000 - 50_000
    assert await wallet_of(world, loser) == 1_000_000


async def test_a_stale_picker_is_drawn_again_after_a_refusal_and_then_works(world: World) -> None:
    await world.set_up()
    event_id = await world.published_event(layout=SMALL_LAYOUT)
    slow, quick = world.fans[0], world.fans[1]
    for fan in (slow, quick):
        await world.fund(fan)
    # The slow fan looks at VIP for two, three seats free.
    looking = await choose_section(world, slow, await open_picker(world, slow, event_id, 2))
    assert "**VIP** ₩99,000 · 3 free" in looking.embeds[0]["description"]
    assert find(looking, BEST)["label"] == "Best available (2)"  # type: ignore[index]
    # Meanwhile the quick fan buys two of them.
    await buy(world, quick, event_id, 2, section="VIP")

    refused = await world.server.click(slow, looking, custom_id=cid(looking, BEST))
    told = await refused.wait_for_followup()

    assert told.content == "**VIP** has only 1 seat(s) left. Choose fewer tickets or another section."
    # The picker is drawn again as things are: one VIP seat, a count of one, and Best available for it.
    redrawn = await until(
        world, lambda: "**VIP** ₩99,000 · 1 free" in looking.embeds[0]["description"] and looking, "a redraw"
    )
    assert find(redrawn, BEST)["label"] == "Best available (1)"  # type: ignore[index]
    assert find(redrawn, BEST)["disabled"] is False  # type: ignore[index]
    # Choosing by hand offers only the seat still free.
    rows = await (await world.server.click(slow, redrawn, custom_id=cid(redrawn, CHOOSE))).wait_for_message()
    await until(world, lambda: find(rows, ROW), "the row menu")
    await world.server.select(slow, rows, cid(rows, ROW), ["A"])
    menu = await until(world, lambda: find(rows, SEATS), "the seat menu")
    assert [o["label"] for o in menu["options"]] == ["VIP A3"]
    cart = await (
        await world.server.select(slow, rows, cid(rows, SEATS), seat_values(rows, ["VIP A3"]))
    ).wait_for_message()
    assert button_id(cart, PAY) is not None


async def test_a_korean_fan_losing_the_race_reads_it_in_korean(world: World) -> None:
    await world.set_up()
    event_id = await world.published_event(layout=ONE_SEAT)
    await world.fund(world.fan)
    await world.fund(world.korean_fan)
    late = await pick_seats(world, world.korean_fan, event_id, ["VIP A1"])
    await buy(world, world.fan, event_id)

    refused = await world.server.select(
        world.korean_fan, late, cid(late, SEATS), seat_values(late, ["VIP A1"])
    )
    told = await refused.wait_for_followup()
    assert told.content == "이미 다른 분이 선택한 좌석입니다. 다른 좌석을 선택해 주세요."


async def test_best_available_explains_why_it_found_nothing(world: World) -> None:
    await world.set_up()
    event_id = await world.published_event(layout=SMALL_LAYOUT)
    for fan in world.fans:
        await world.fund(fan)
    middle = await pick_seats(world, world.fans[0], event_id, ["VIP A2"])
    chosen = await world.server.select(
        world.fans[0], middle, cid(middle, SEATS), seat_values(middle, ["VIP A2"])
    )
    await pay(world, world.fans[0], await chosen.wait_for_message())

    # Two VIP seats are left, but not side by side.
    pair = await choose_section(world, world.fans[1], await open_picker(world, world.fans[1], event_id, 2))
    told = await (
        await world.server.click(world.fans[1], pair, custom_id=cid(pair, BEST))
    ).wait_for_followup()
    assert told.content == (
        "There are no longer 2 seats side by side in this section. "
        "Choose your seats yourself, or fewer tickets."
    )

    # The last VIP seats go while a fan still looks at VIP; R still has seats, so it is not sold out.
    late = await choose_section(world, world.fans[1], await open_picker(world, world.fans[1], event_id))
    rest = await pick_seats(world, world.fans[2], event_id, ["VIP A1", "VIP A3"])
    chosen = await world.server.select(
        world.fans[2], rest, cid(rest, SEATS), seat_values(rest, ["VIP A1", "VIP A3"])
    )
    await pay(world, world.fans[2], await chosen.wait_for_message())
    told = await (
        await world.server.click(world.fans[1], late, custom_id=cid(late, BEST))
    ).wait_for_followup()
    assert told.content == "**VIP** has no seats left. Please choose another section."
    assert await free_in(world, event_id) == {"VIP": 0, "R": 4}


async def test_an_expired_hold_frees_the_seat_and_cannot_be_paid(world: World) -> None:
    await world.set_up()
    event_id = await world.published_event(layout=ONE_SEAT)
    await world.fund(world.fan)
    await world.fund(world.fans[1])
    stale_cart = await hold_best(world, world.fan, event_id)
    assert await free_in(world, event_id) == {"VIP": 0}

    world.clock.advance(timedelta(minutes=11))

    # The seat is back on sale at once, before any sweeper has run.
    assert await free_in(world, event_id) == {"VIP": 1}
    receipt = await buy(world, world.fans[1], event_id)
    assert field(receipt, "Tickets") == "Ticket #1 · VIP A1"

    late = await world.server.click(world.fan, stale_cart, custom_id=button_id(stale_cart, PAY))
    told = await late.wait_for_followup()
    assert told.content == "Your hold has expired and the seats were released. Nothing was charged."
    assert await wallet_of(world, world.fan) == 1_000_000
    # The sweeper tidies the lapsed hold without touching the seat the other fan bought.
    assert await expire_holds(world.runtime) == 1
    assert await free_in(world, event_id) == {"VIP": 0}
    async with world.runtime.uow() as uow:
        assert [t.holder_id for t in await uow.tickets.live_for_event(event_id, 10)] == [world.fans[1].id]


async def test_a_korean_fan_hears_the_hold_ran_out_in_korean(world: World) -> None:
    await world.set_up()
    event_id = await world.published_event()
    await world.fund(world.korean_fan)
    cart = await hold_best(world, world.korean_fan, event_id)
    assert field(cart, "선점 시간").startswith("10분, <t:")
    world.clock.advance(timedelta(minutes=11))
    late = await world.server.click(world.korean_fan, cart, custom_id=button_id(cart, PAY))
    told = await late.wait_for_followup()
    assert told.content == "선점 시간이 만료되어 좌석이 해제되었습니다. 결제는 되지 않았습니다."


async def test_after_the_sweeper_the_fan_can_book_again(world: World) -> None:
    await world.set_up()
    event_id = await world.published_event()
    await world.fund(world.fan)
    await hold_best(world, world.fan, event_id, quantity=2)
    world.clock.advance(timedelta(minutes=11))
    assert await expire_holds(world.runtime) == 1
    assert await free_in(world, event_id) == {"VIP": 20, "R": 30}
    receipt = await buy(world, world.fan, event_id, quantity=4)
    assert len(field(receipt, "Tickets").splitlines()) == 4


async def test_releasing_the_cart_frees_the_seats_and_charges_nothing(world: World) -> None:
    await world.set_up()
    event_id = await world.published_event()
    await world.fund(world.fan, 200_000)
    cart = await hold_best(world, world.fan, event_id, quantity=2)
    released = await world.server.click(world.fan, cart, custom_id=button_id(cart, RELEASE))
    await released.wait_for_message()
    await until(world, lambda: cart.content.startswith("Your seats were released"), "the release")
    assert cart.content == "Your seats were released. Nothing was charged. Wallet: ₩200,000."
    assert cart.components == [] and cart.embeds == []
    assert await free_in(world, event_id) == {"VIP": 20, "R": 30}
    # With the cart gone, the fan may hold seats again.
    await hold_best(world, world.fan, event_id)


async def test_a_fan_at_the_limit_is_refused(world: World) -> None:
    await world.set_up()
    event_id = await world.published_event(limit=2)
    await world.fund(world.fan)
    picker = await open_picker(world, world.fan, event_id, quantity=5)
    # The count menu never offers more than the limit.
    counts = [o["value"] for o in find(picker, COUNT)["options"]]
    assert counts == ["1", "2"]
    assert "Tickets: **2** (limit 2 per fan; you have 0)" in picker.embeds[0]["description"]
    await buy(world, world.fan, event_id, quantity=2)

    refused = await open_picker(world, world.fan, event_id)
    assert refused.content == (
        "You can have at most 2 tickets for this event, counting waitlist places (you have 2)."
    )
    assert refused.components == []


async def test_a_fan_short_of_money_is_refused_and_nothing_is_held(world: World) -> None:
    await world.set_up()
    event_id = await world.published_event()
    await world.fund(world.fan, 150_000)
    picker = await choose_section(world, world.fan, await open_picker(world, world.fan, event_id, 2), "VIP")
    clicked = await world.server.click(world.fan, picker, custom_id=cid(picker, BEST))
    told = await clicked.wait_for_followup()
    assert told.content == "Your wallet does not have enough for ₩198,000. Top up with /wallet topup."
    assert await free_in(world, event_id) == {"VIP": 20, "R": 30}
    assert await wallet_of(world, world.fan) == 150_000
    # Nothing was held, so one ticket that fits the wallet can still be had.
    await buy(world, world.fan, event_id, quantity=1)
    assert await wallet_of(world, world.fan) == 51_000


async def test_a_fan_cannot_hold_two_carts_for_one_event(world: World) -> None:
    await world.set_up()
    event_id = await world.published_event()
    await world.fund(world.fan)
    first = await hold_best(world, world.fan, event_id, quantity=2)

    second = await choose_section(world, world.fan, await open_picker(world, world.fan, event_id), "R")
    shown = await take_best(world, world.fan, second)

    # Refused, and shown the cart already held, in case its message was dismissed.
    assert shown.content == (
        "You already have seats on hold for this event. Pay for them or release them first."
    )
    assert field(shown, "Seats").splitlines() == ["VIP A5 · ₩99,000", "VIP A6 · ₩99,000"]
    assert button_id(shown, PAY) == button_id(first, PAY)
    assert await free_in(world, event_id) == {"VIP": 18, "R": 30}
    receipt = await pay(world, world.fan, shown)
    assert len(field(receipt, "Tickets").splitlines()) == 2
    # The first message still shows the cart; releasing it now must not pretend nothing was paid.
    released = await world.server.click(world.fan, first, custom_id=button_id(first, RELEASE))
    await released.wait_for_message()
    await until(world, lambda: first.content.startswith("You already paid"), "the release answer")
    assert first.content == "You already paid for these seats. Your tickets are in /tickets."
    assert await wallet_of(world, world.fan) == 1_000_000 - 198_000
    assert await free_in(world, event_id) == {"VIP": 18, "R": 30}


async def test_a_double_click_on_pay_charges_once(world: World) -> None:
    await world.set_up()
    event_id = await world.published_event()
    await world.fund(world.fan, 100_000)
    cart = await hold_best(world, world.fan, event_id)
    pay_id = button_id(cart, PAY)
    clicks = await asyncio.gather(
        world.server.click(world.fan, cart, custom_id=pay_id),
        world.server.click(world.fan, cart, custom_id=pay_id),
    )
    for click in clicks:
        await click.wait_for_response()
    await until(world, lambda: cart.content.startswith("Payment done. Your tickets"), "the receipt")
    assert await wallet_of(world, world.fan) == 1_000
    async with world.runtime.uow() as uow:
        assert len(await uow.tickets.for_holder(world.fan.id)) == 1
        assert await uow.ledger.balance(Account.payable(world.organizer.id)) == 99_000


async def test_a_korean_fan_books_in_korean(world: World) -> None:
    await world.set_up()
    event_id = await world.published_event()
    fan = world.korean_fan
    await world.fund(fan, 200_000)

    picker = await open_picker(world, fan, event_id)
    assert picker.embeds[0]["title"] == "예매: Spring Concert"
    assert "**VIP** ₩99,000 · 잔여 20석" in picker.embeds[0]["description"]
    assert find(picker, BEST)["label"] == "좋은 좌석 자동 선택 (1매)"
    picker = await choose_section(world, fan, picker, "VIP")
    cart = await take_best(world, fan, picker)
    assert cart.content == "좌석이 10분간 선점됩니다. 결제하면 티켓이 발급됩니다."
    assert field(cart, "결제 금액") == "₩99,000"
    assert [b["label"] for b in cart.buttons] == ["₩99,000 결제하기", "선점 취소"]

    receipt = await pay(world, fan, cart)
    assert receipt.content == (
        "결제가 완료되었습니다. 모바일 티켓(QR 코드와 캘린더 파일)을 DM으로 보냈습니다."
    )
    assert receipt.embeds[0]["title"] == "예매 완료: Spring Concert"
    dm = await world.server.wait_for_dm(fan)
    assert (
        dm.content == "**Spring Concert** 모바일 티켓입니다. 입장 시 /티켓 보기의 실시간 코드를 보여 주세요."
    )
    assert dm.embeds[0]["fields"][0]["name"] == "좌석"


async def test_the_cart_and_refusals_speak_the_fans_language(world: World) -> None:
    await world.set_up()
    event_id = await world.published_event()
    await world.fund(world.korean_fan, 10_000)
    picker = await choose_section(
        world, world.korean_fan, await open_picker(world, world.korean_fan, event_id)
    )
    told = await (
        await world.server.click(world.korean_fan, picker, custom_id=cid(picker, BEST))
    ).wait_for_followup()
    assert told.content == f"지갑 잔액이 {money(99_000)}보다 부족합니다. /지갑 충전으로 충전해 주세요."


async def test_a_cart_can_still_be_paid_after_a_restart(world: World) -> None:
    await world.set_up()
    event_id = await world.published_event()
    await world.fund(world.fan)
    cart = await hold_best(world, world.fan, event_id)
    await world.restart_bot()
    receipt = await pay(world, world.fan, cart)
    assert field(receipt, "Tickets") == "Ticket #1 · VIP A5"


async def test_general_admission_is_booked_by_count(world: World) -> None:
    await world.set_up()
    event_id = await world.published_event(capacity=3, price=30_000)
    await world.fund(world.fan)
    await world.fund(world.fans[1])

    picker = await open_picker(world, world.fan, event_id, quantity=2)
    assert "General admission ₩30,000 · 3 places left" in picker.embeds[0]["description"]
    assert find(picker, SECTION) is None and picker.attachments == []
    cart = await take_best(world, world.fan, picker)
    assert field(cart, "Seats") == "2 × general admission · ₩30,000"
    assert field(cart, "Total") == "₩60,000"
    receipt = await pay(world, world.fan, cart)
    assert field(receipt, "Tickets").splitlines() == [
        "Ticket #1 · General admission",
        "Ticket #2 · General admission",
    ]

    # One place is left, so one is all the next fan is offered, whatever they asked for.
    other = await open_picker(world, world.fans[1], event_id, quantity=2)
    assert [o["value"] for o in find(other, COUNT)["options"]] == ["1"]
    receipt = await pay(world, world.fans[1], await take_best(world, world.fans[1], other))
    assert field(receipt, "Tickets") == "Ticket #3 · General admission"
    sold_out = await open_picker(world, world.fans[2], event_id)
    assert sold_out.content == "**Spring Concert** is sold out."


async def test_ten_tickets_come_in_two_dms_within_discords_limits(world: World) -> None:
    await world.set_up()
    event_id = await world.published_event(limit=10)
    await world.fund(world.fan, 10_000_000)
    receipt = await buy(world, world.fan, event_id, 10)
    assert field(receipt, "Paid") == "₩990,000"
    first = await world.server.wait_for_dm(world.fan)
    second = await world.server.wait_for_dm(world.fan)
    assert len(first.embeds) == 9 and len(first.attachments) == 10
    assert [a.filename for a in second.attachments] == ["ticket-10.png", "event-1.ics"]


async def test_the_count_menu_follows_the_chosen_section(world: World) -> None:
    await world.set_up()
    event_id = await world.published_event(layout=SMALL_LAYOUT)
    picker = await open_picker(world, world.fan, event_id, quantity=4)
    assert [o["value"] for o in find(picker, COUNT)["options"]] == ["1", "2", "3", "4"]
    picker = await choose_section(world, world.fan, picker, "VIP")
    # VIP has three seats, so four cannot be had there.
    assert [o["value"] for o in find(picker, COUNT)["options"]] == ["1", "2", "3"]
    assert find(picker, BEST)["label"] == "Best available (3)"
