"""Fans browse what organizers posted: /events and its pages and filters, /event show, autocomplete,
the announcement's buttons, the seat map, in Korean and in English."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, timedelta
from io import BytesIO
from typing import Any

import aiohttp
from PIL import Image

from bot.devserver import Member, Message
from bot.i18n.formatting import local, price_in
from cogs.pictures.seat_map import FREE_COLOURS, HELD_COLOUR, SOLD_COLOUR, render_seat_map
from cogs.shared.seatmap import REDRAW_AFTER, seat_map_labels
from core.services.events import CreateEvent, create_event, event_details, publish_event
from tests.e2e.test_booking import CHOOSE, ROW, SEATS, SECTION, buy, cid, find, option_value
from tests.e2e.world import ZONE, World, event_id_of

PREVIOUS = "picket:events:prev"
NEXT = "picket:events:next"
OPEN = "picket:events:open"


async def post(
    world: World,
    title: str,
    *,
    days: float,
    category: str = "concert",
    venue: str = "Olympic Hall",
    publish: bool = True,
) -> int:
    """An event the organizer posted earlier, made straight through the services to keep tests quick."""
    now = world.clock.now()
    await world.configure()
    event = await create_event(
        CreateEvent(
            caller=world.caller(world.organizer),
            title=title,
            starts_at=now + timedelta(days=days),
            sale_opens_at=now,
            venue=venue,
            category=category,
            ga_capacity=100,
            ga_price=10_000,
        ),
        world.runtime.uow(),
        world.clock,
    )
    if publish:
        await publish_event(event.id, world.caller(world.organizer), world.runtime.uow(), world.clock)
    return event.id


def titles(listing: Message) -> list[str]:
    return re.findall(r"\*\*(.+?)\*\*", listing.embeds[0].get("description", ""))


def button(message: Message, custom_id: str) -> dict[str, Any]:
    found = message.component(custom_id=custom_id)
    assert found is not None, f"no {custom_id} on {message.components}"
    return found


def local_date(world: World, days: float) -> str:
    """The server-zone date of the moment ``days`` from the bot's now, as a fan types it."""
    moment = (world.clock.now() + timedelta(days=days)).replace(tzinfo=UTC).astimezone(ZONE)
    return moment.strftime("%Y-%m-%d")


async def choices(world: World, member: Member, command: str, typed: str, **kw: Any) -> list[str]:
    found = await world.server.autocomplete(world.guild, member, command, focused="event", value=typed, **kw)
    return [c["name"] for c in found]


def walk(commands: list[dict[str, Any]], path: str = "") -> Iterator[tuple[str, dict[str, Any]]]:
    for command in commands:
        name = f"{path} {command['name']}".strip()
        yield name, command
        for option in command.get("options") or []:
            if option["type"] in (1, 2):
                yield from walk([option], name)
            else:
                yield f"{name} [{option['name']}]", option


# --- /events --------------------------------------------------------------------------------------


async def test_paging_through_thirty_events(world: World) -> None:
    for n in range(1, 31):
        await post(world, f"Show {n:02d}", days=n)

    listing = await world.reply(world.fan, "events")

    assert listing.ephemeral
    assert listing.embeds[0]["title"] == "Upcoming events"
    assert titles(listing) == [f"Show {n:02d}" for n in range(1, 6)]
    assert listing.embeds[0]["footer"]["text"] == "Page 1 of 6 · 30 found"
    assert button(listing, PREVIOUS)["disabled"] is True
    assert button(listing, NEXT)["disabled"] is False

    for page in range(2, 7):
        turned = await (await world.server.click(world.fan, listing, custom_id=NEXT)).wait_for_message()
        # The same message turns its page; no new message piles up.
        assert turned.id == listing.id and len(listing.history) == page - 1
        first = (page - 1) * 5 + 1
        assert titles(listing) == [f"Show {n:02d}" for n in range(first, first + 5)]
        assert listing.embeds[0]["footer"]["text"] == f"Page {page} of 6 · 30 found"
        assert button(listing, PREVIOUS)["disabled"] is False
    assert button(listing, NEXT)["disabled"] is True

    await (await world.server.click(world.fan, listing, custom_id=PREVIOUS)).wait_for_message()
    assert titles(listing) == [f"Show {n:02d}" for n in range(21, 26)]
    assert listing.embeds[0]["footer"]["text"] == "Page 5 of 6 · 30 found"
    assert button(listing, NEXT)["disabled"] is False


async def test_each_line_has_its_prices_and_free_seats_and_opens_from_the_menu(world: World) -> None:
    await world.set_up()
    seated = await world.published_event(title="Seated Show", layout="VIP:A x 1-2 @ 99000; R:B x 1-3 @ 55000")
    tiny = await world.published_event(title="Tiny Show", layout="VIP:A x 1-1 @ 1000")
    await world.fund(world.fans[1], 10_000)
    await buy(world, world.fans[1], tiny, 1, section="VIP")

    listing = await world.reply(world.fan, "events")

    lines = listing.embeds[0]["description"].split("\n")
    assert lines[1] == "└ ₩55,000–₩99,000 · 5 free"
    assert lines[3] == "└ SOLD OUT"
    menu = button(listing, OPEN)
    assert [o["value"] for o in menu["options"]] == [str(seated), str(tiny)]

    opened = await world.server.select(world.fan, listing, custom_id=OPEN, values=[str(seated)])
    card = await opened.wait_for_message()
    assert card.embeds[0]["title"] == "Seated Show"
    assert [b["custom_id"] for b in card.buttons] == [f"picket:book:{seated}"]
    # The menu lists the events in its options, so it still opens them after a restart.
    await world.restart_bot()
    again = await world.server.select(world.fan, listing, custom_id=OPEN, values=[str(tiny)])
    assert (await again.wait_for_message()).embeds[0]["title"] == "Tiny Show"


async def test_page_buttons_from_before_a_restart_say_the_menu_expired(world: World) -> None:
    for n in range(1, 8):
        await post(world, f"Show {n:02d}", days=n)
    listing = await world.reply(world.fan, "events")
    await world.restart_bot()

    turned = await world.server.click(world.fan, listing, custom_id=NEXT)

    answer = await turned.wait_for_message()
    assert answer.content.startswith("This menu has expired")
    assert titles(listing) == [f"Show {n:02d}" for n in range(1, 6)]


async def test_filters_by_category_dates_and_keyword(world: World) -> None:
    await post(world, "Old Jazz", days=1)
    await post(world, "Jazz Night", days=10, venue="Blue Note")
    await post(world, "Jazz Secret", days=15, publish=False)
    await post(world, "Hamlet", days=20, category="theatre", venue="Arts Center")
    cats = await post(world, "Cats", days=40, category="musical", venue="Charlotte Theater")
    cats_start = local(
        (
            await event_details(cats, world.caller(world.fan), world.runtime.uow(), world.clock)
        ).event.starts_at,
        ZONE,
    )
    await post(world, "Rock Fest", days=60, category="festival", venue="Olympic Park")
    await post(world, "봄 콘서트", days=70, venue="올림픽홀")
    # Old Jazz has started by now: it is no longer upcoming.
    world.clock.advance(timedelta(days=2))

    everything = await world.reply(world.fan, "events")
    concerts = await world.reply(world.fan, "events", category="concert")
    # The end date counts whole: Cats, starting on that day, is in.
    spring = await world.reply(
        world.fan, "events", starts_from=local_date(world, 13), starts_to=local_date(world, 38)
    )
    olympic = await world.reply(world.fan, "events", keyword="olympic")
    hamlet = await world.reply(world.fan, "events", keyword="HAMLET")
    korean = await world.reply(world.fan, "events", keyword="콘서트")
    jazz_concerts = await world.reply(world.fan, "events", category="concert", keyword="jazz")
    # An end with a time ends there: Cats, starting later that day, is out.
    until_cats = await world.reply(
        world.fan, "events", starts_from=local_date(world, 13), starts_to=cats_start.removesuffix(" KST")
    )

    assert titles(everything) == ["Jazz Night", "Hamlet", "Cats", "Rock Fest", "봄 콘서트"]
    assert titles(concerts) == ["Jazz Night", "봄 콘서트"]
    assert titles(spring) == ["Hamlet", "Cats"]
    assert titles(olympic) == ["Rock Fest"]
    assert titles(hamlet) == ["Hamlet"]
    assert titles(korean) == ["봄 콘서트"]
    assert titles(jazz_concerts) == ["Jazz Night"]
    assert titles(until_cats) == ["Hamlet"]
    assert "· Arts Center · Theatre" in hamlet.embeds[0]["description"]
    assert concerts.embeds[0]["footer"]["text"] == "Page 1 of 1 · 2 found"
    # One page has nowhere to turn to, but its events can be opened.
    assert concerts.buttons == []
    assert [o["label"] for o in button(concerts, OPEN)["options"]] == ["#2 Jazz Night", "#7 봄 콘서트"]


async def test_when_nothing_matches_the_fan_is_told_so(world: World) -> None:
    await post(world, "Jazz Night", days=10)

    empty = await world.reply(world.fan, "events", keyword="opera")
    korean = await world.reply(world.korean_fan, "events", category="sports")

    assert empty.embeds[0]["description"] == "No upcoming events match. Try other filters."
    assert korean.embeds[0]["description"] == "조건에 맞는 공연이 없습니다. 다른 조건으로 찾아보세요."
    assert empty.buttons == [] and korean.buttons == []


async def test_filters_that_cannot_work_are_explained(world: World) -> None:
    backwards = await world.reply(world.fan, "events", starts_from="2031-03-02", starts_to="2031-03-01")
    unreadable = await world.reply(world.fan, "events", starts_from="march")
    # Seoul's first hours of the calendar have no UTC time before them.
    too_early = await world.reply(world.fan, "events", starts_from="0001-01-01")

    assert backwards.content == "The end of the date range is before its start."
    assert unreadable.content == "`march` is not a date I can read. Please write it like 2026-12-24 19:30."
    assert (
        too_early.content == "`0001-01-01` is not a date I can read. Please write it like 2026-12-24 19:30."
    )


# --- drafts and /event show -----------------------------------------------------------------------


async def test_a_draft_is_invisible_to_fans_and_visible_to_its_organizer(world: World) -> None:
    await world.set_up()
    draft_id = event_id_of(await world.create_event(title="Surprise Show"))
    await post(world, "Jazz Night", days=10)

    shown = await world.reply(world.fan, "event show", event=draft_id)
    booked = await world.reply(world.fan, "book", event=draft_id)
    listed = await world.reply(world.fan, "events")
    offered = await choices(world, world.fan, "event show", "")
    own = await world.reply(world.organizer, "event show", event=draft_id)

    assert shown.content == "That event could not be found."
    assert booked.content == "That event could not be found."
    assert titles(listed) == ["Jazz Night"]
    assert [name.split(" · ")[0] for name in offered] == ["Jazz Night"]
    assert own.embeds[0]["title"] == "Surprise Show"
    assert own.embeds[0]["footer"]["text"] == f"Event #{draft_id} · Draft (only you can see it)"
    # A draft has nothing to book yet.
    assert own.buttons == []
    assert own.attachment("seatmap.png").data.startswith(b"\x89PNG")


async def test_autocomplete_offers_upcoming_events_by_name_or_number(world: World) -> None:
    await world.set_up()
    jazz = await post(world, "Jazz Night", days=10)
    hamlet = await post(world, "Hamlet", days=20, category="theatre")
    await post(world, "Jazz Secret", days=15, publish=False)
    starts = (
        await event_details(jazz, world.caller(world.fan), world.runtime.uow(), world.clock)
    ).event.starts_at
    jazz_label = f"Jazz Night · {local(starts, ZONE)}"

    everything = await world.server.autocomplete(
        world.guild, world.fan, "event show", focused="event", value=""
    )
    assert [(c["name"].split(" · ")[0], c["value"]) for c in everything] == [
        ("Jazz Night", jazz),
        ("Hamlet", hamlet),
    ]
    assert everything[0]["name"] == jazz_label
    assert jazz_label.endswith("KST")
    assert await choices(world, world.fan, "event show", "jaz") == [jazz_label]
    assert await choices(world, world.fan, "book", "JAZZ") == [jazz_label]
    assert [c.split(" · ")[0] for c in await choices(world, world.fan, "book", f"#{hamlet}")] == ["Hamlet"]
    assert [c.split(" · ")[0] for c in await choices(world, world.fan, "book", str(hamlet))] == ["Hamlet"]
    assert await choices(world, world.fan, "event show", "opera") == []

    mine = await choices(world, world.organizer, "event edit", "jazz")
    assert mine[0] == jazz_label
    assert mine[1].startswith("Jazz Secret · ") and mine[1].endswith(" [draft]")
    korean = await choices(world, world.organizer, "event publish", "secret", locale="ko")
    assert len(korean) == 1 and korean[0].endswith(" [임시저장]")

    # What the fan picks is what the command gets.
    picked = await world.reply(world.fan, "event show", event=everything[1]["value"])
    assert picked.embeds[0]["title"] == "Hamlet"

    world.clock.advance(timedelta(days=11))
    assert [c.split(" · ")[0] for c in await choices(world, world.fan, "book", "")] == ["Hamlet"]


# --- Korean and English ---------------------------------------------------------------------------


async def test_the_same_command_answers_in_korean_or_english(world: World) -> None:
    await post(world, "Jazz Night", days=10)

    english = await world.reply(world.fan, "events")
    korean = await world.reply(world.korean_fan, "events")
    switched = await world.reply(world.fan, "events", locale="ko")
    missing_en = await world.reply(world.fan, "event show", event=999)
    missing_ko = await world.reply(world.korean_fan, "event show", event=999)

    assert english.embeds[0]["title"] == "Upcoming events"
    assert english.embeds[0]["description"].endswith("· Olympic Hall · Concert\n└ ₩10,000 · 100 free")
    assert korean.embeds[0]["title"] == "예정된 공연"
    assert korean.embeds[0]["description"].endswith("· Olympic Hall · 콘서트\n└ ₩10,000 · 잔여 100석")
    assert korean.embeds[0]["footer"]["text"] == "1/1 페이지 · 공연 1개"
    assert switched.embeds[0]["title"] == "예정된 공연"
    assert missing_en.content == "That event could not be found."
    assert missing_ko.content == "공연을 찾을 수 없습니다."


async def test_a_korean_organizer_gets_the_form_and_the_preview_in_korean(world: World) -> None:
    await world.set_up()
    form = await (
        await world.command(
            world.organizer, "event create", locale="ko", category="concert", capacity=50, price=0
        )
    ).wait_for_modal()
    preview = await world.create_event(locale="ko", title="봄 콘서트", capacity=50, price=0)

    assert form.title == "새 공연 등록"
    assert [f.label for f in form.fields] == [
        "공연 제목",
        "공연 일시 (Asia/Seoul 기준)",
        "공연장",
        "공연 소개",
    ]
    assert preview.content == "임시저장된 공연입니다. 공개하기 전까지는 나만 볼 수 있습니다."
    assert preview.embeds[0]["footer"]["text"] == f"공연 #{event_id_of(preview)} · 임시저장 (나만 볼 수 있음)"
    assert [b["label"] for b in preview.buttons] == ["공개하기"]


async def test_every_command_and_option_has_a_korean_name(world: World) -> None:
    commands = dict(walk(world.server.commands()))

    missing = [
        name
        for name, command in commands.items()
        if not (command.get("name_localizations") or {}).get("ko")
        or not (command.get("description_localizations") or {}).get("ko")
    ]
    assert missing == []
    korean = {name: commands[name]["name_localizations"]["ko"] for name in commands}
    assert korean["picket setup"] == "설정"
    assert (korean["event"], korean["event create"], korean["events"]) == ("공연", "등록", "공연목록")
    assert (korean["book"], korean["wallet"], korean["tickets"]) == ("예매", "지갑", "티켓")
    assert korean["events [keyword]"] == "검색어"
    categories = {c["value"]: c["name_localizations"]["ko"] for c in commands["events [category]"]["choices"]}
    assert (categories["concert"], categories["musical"]) == ("콘서트", "뮤지컬")


# --- the announcement and its seat map ------------------------------------------------------------


async def test_the_announcement_buttons_work_after_a_restart(world: World) -> None:
    await world.set_up()
    event_id = await world.published_event()
    announcement = await world.server.wait_for_channel_message(world.announcements)

    await world.restart_bot()

    details = await (
        await world.server.click(world.fan, announcement, custom_id=f"picket:show:{event_id}")
    ).wait_for_message()
    korean = await (
        await world.server.click(world.korean_fan, announcement, custom_id=f"picket:show:{event_id}")
    ).wait_for_message()
    picker = await (
        await world.server.click(world.fans[1], announcement, custom_id=f"picket:book:{event_id}")
    ).wait_for_message()

    assert details.ephemeral and details.visible_to == world.fan.id
    assert details.embeds[0]["title"] == "Spring Concert"
    assert details.attachment("seatmap.png").data.startswith(b"\x89PNG")
    assert [b["custom_id"] for b in details.buttons] == [f"picket:book:{event_id}"]
    assert korean.embeds[0]["fields"][0]["name"] == "공연 일시"
    assert picker.ephemeral and picker.embeds[0]["title"] == "Book: Spring Concert"


async def shown_map(message: Message) -> bytes:
    """The seat map a card shows: its own attachment, or an earlier upload it names by address."""
    url = message.embeds[0]["image"]["url"]
    if url.startswith("attachment://"):
        return message.attachment(url.removeprefix("attachment://")).data
    async with aiohttp.ClientSession() as session, session.get(url) as response:
        return await response.read()


def seat_colour(png: bytes, centre: tuple[int, int]) -> tuple[int, ...]:
    with Image.open(BytesIO(png)) as picture:
        pixel = picture.convert("RGB").getpixel(centre)
    assert isinstance(pixel, tuple)
    return pixel


async def test_the_seat_map_shows_a_held_then_sold_seat_in_its_colour(world: World) -> None:
    await world.set_up()
    event_id = await world.published_event()
    seats = (await event_details(event_id, world.caller(world.fan), world.runtime.uow(), world.clock)).seats
    by_label = {s.label: s for s in seats}
    # The same seats drawn the same way put each seat where the bot's picture has it.
    centres = render_seat_map(
        "Spring Concert", seats, price=price_in("KRW"), labels=seat_map_labels("en-US")
    ).centres
    a3, a4, c1 = (centres[by_label[label].id] for label in ("VIP A3", "VIP A4", "R C1"))
    await world.fund(world.fan)
    viewer = world.fans[1]

    before = await world.reply(viewer, "event show", event=event_id)
    assert seat_colour(await shown_map(before), a3) == FREE_COLOURS[0]

    picker = await world.reply(world.fan, "book", event=event_id, quantity=1)
    vip = option_value(picker, SECTION, "VIP")
    await (await world.server.select(world.fan, picker, cid(picker, SECTION), [vip])).wait_for_message()
    await (await world.server.click(world.fan, picker, custom_id=cid(picker, CHOOSE))).wait_for_message()
    await (await world.server.select(world.fan, picker, cid(picker, ROW), ["A"])).wait_for_message()
    await world.server.changes.wait_for(lambda: find(picker, SEATS), within=5.0, what="the seat menu")
    a3_id = str(by_label["VIP A3"].id)
    chosen = await world.server.select(world.fan, picker, cid(picker, SEATS), [a3_id])
    cart = await chosen.wait_for_message()
    pay = next(b for b in cart.buttons if b["custom_id"].startswith("picket:cart:pay"))

    # Pictures are drawn again at most every few seconds while seats change.
    world.clock.advance(REDRAW_AFTER)
    held = await world.reply(viewer, "event show", event=event_id)
    assert seat_colour(await shown_map(held), a3) == HELD_COLOUR

    await world.server.click(world.fan, cart, custom_id=pay["custom_id"])
    await world.server.wait_for_dm(world.fan)

    world.clock.advance(REDRAW_AFTER)
    sold = await world.reply(viewer, "event show", event=event_id)
    sold_map = await shown_map(sold)
    assert seat_colour(sold_map, a3) == SOLD_COLOUR
    assert seat_colour(sold_map, a3) != seat_colour(sold_map, a4)
    assert seat_colour(sold_map, a4) == FREE_COLOURS[0]
    assert seat_colour(sold_map, c1) == FREE_COLOURS[1]
    assert "**VIP** ₩99,000 · 19/20 free" in sold.embeds[0]["fields"][4]["value"]
