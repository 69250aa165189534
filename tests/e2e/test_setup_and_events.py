"""Admins set Picket up, organizers create and publish events: what each of them sees in Discord."""

from __future__ import annotations

from datetime import datetime
from io import BytesIO

import pytest
from PIL import Image

from bot.devserver import Message
from bot.i18n.formatting import price_in, stamp
from cogs.pictures.seat_map import render_seat_map
from cogs.shared.seatmap import seat_map_labels
from core.services.events import event_details
from tests.e2e.world import World, event_id_of

CHANNEL_MESSAGE = 4
MODAL = 9
PUBLISH = "picket:preview:publish"


def field(message: Message, name: str) -> str:
    for item in message.embeds[0].get("fields", []):
        if item["name"] == name:
            return str(item["value"])
    raise AssertionError(f"no field {name!r} in {message.embeds[0]}")


# --- /picket setup --------------------------------------------------------------------------------


async def test_an_admin_sets_picket_up(world: World) -> None:
    reply = await world.set_up()

    assert reply.ephemeral and reply.visible_to == world.admin.id
    assert reply.content == (
        f"Picket is set up. Members with <@&{world.organizer_role.id}> can post events; "
        f"new events are announced in <#{world.announcements.id}>. "
        "Times are typed in Asia/Seoul; fans see every time in their own zone."
    )
    # The set-up took: the organizer now gets the form instead of "not set up".
    result = await world.command(world.organizer, "event create", category="concert", capacity=10, price=0)
    assert await result.wait_for_response() == MODAL


async def test_the_server_chooses_the_zone_its_organizers_type_times_in(world: World) -> None:
    # A Korean server types times in Seoul's zone unless it says otherwise.
    await world.set_up()
    choices = await world.server.autocomplete(
        world.guild,
        world.admin,
        "picket setup",
        focused="time_zone",
        value="berl",
        options={"organizer_role": world.organizer_role.id},
    )
    assert [c["value"] for c in choices] == ["Europe/Berlin"]
    refused = await world.reply(
        world.admin, "picket setup", organizer_role=world.organizer_role.id, time_zone="Mars/Olympus"
    )
    assert refused.content.startswith("`Mars/Olympus` is not a time zone")

    berlin = await world.reply(
        world.admin, "picket setup", organizer_role=world.organizer_role.id, time_zone="Europe/Berlin"
    )
    assert "Times are typed in Europe/Berlin" in berlin.content
    result = await world.command(world.organizer, "event create", category="concert", capacity=10, price=0)
    form = await result.wait_for_modal()
    assert form.fields[1].label == "Starts (Europe/Berlin)"
    values = {f.custom_id: "" for f in form.fields}
    values[form.fields[0].custom_id] = "Winter Gala"
    values[form.fields[1].custom_id] = "2030-01-10 20:00"
    preview = await (await world.server.submit_modal(world.organizer, form, values)).wait_for_message()
    async with world.runtime.uow() as uow:
        event = await uow.events.get(event_id_of(preview))
    assert event is not None
    # 20:00 in Berlin in January is 19:00 UTC; fans see it as a Discord timestamp in their own zone.
    assert event.starts_at == datetime(2030, 1, 10, 19, 0)
    assert stamp(event.starts_at, "F") in preview.embeds[0]["fields"][0]["value"]
    # Setting up again without a zone keeps the one chosen.
    again = await world.set_up()
    assert "Times are typed in Europe/Berlin" in again.content


async def test_a_member_without_manage_server_cannot_set_picket_up(world: World) -> None:
    reply = await world.reply(world.organizer, "picket setup", organizer_role=world.organizer_role.id)

    assert reply.ephemeral
    assert reply.content == "Only members who may manage this server can set Picket up."
    still = await world.reply(world.organizer, "event create", category="concert", capacity=10, price=0)
    assert still.content == "Picket is not set up in this server yet. An admin can run /picket setup."


async def test_setting_up_again_changes_who_may_post(world: World) -> None:
    await world.set_up()
    staff = world.server.add_role(world.guild, "Staff")
    promoter = world.server.add_member(world.guild, "promoter", roles=[staff])

    await world.reply(world.admin, "picket setup", organizer_role=staff.id)

    refused = await world.reply(world.organizer, "event create", category="concert", capacity=10, price=0)
    assert refused.content == "Only members with this server's organizer role can do that."
    preview = await world.create_event(promoter, capacity=10, price=0)
    assert preview.embeds[0]["title"] == "Spring Concert"


# --- /event create --------------------------------------------------------------------------------


async def test_organizer_creates_a_draft_with_a_seat_map(world: World) -> None:
    await world.set_up()
    preview = await world.create_event()

    assert preview.ephemeral and preview.visible_to == world.organizer.id
    assert preview not in world.server.channel_messages(preview.channel_id, as_user=world.fan)
    assert preview.content == "Here is your draft. Only you can see it until you publish it."
    card = preview.embeds[0]
    assert card["title"] == "Spring Concert"
    assert card["footer"]["text"] == f"Event #{event_id_of(preview)} · Draft (only you can see it)"
    assert field(preview, "Tickets") == "Draft: not visible to fans yet"
    assert field(preview, "Prices and free seats") == (
        "**VIP** ₩99,000 · 20/20 free\n**R** ₩77,000 · 30/30 free"
    )
    assert card["image"]["url"] == "attachment://seatmap.png"
    with Image.open(BytesIO(preview.attachment("seatmap.png").data)) as picture:
        assert picture.format == "PNG"
        assert picture.width >= 480 and picture.height > 200
    assert [b["label"] for b in preview.buttons] == ["Publish"]


@pytest.mark.parametrize(
    ("layout", "told"),
    [
        (
            "VIP:A-B x 1-10 @ 99000; R:E-C x 1-10 @ 77000",
            "Part 2 (`R:E-C x 1-10 @ 77000`): the row range goes backwards; write it as A-D.",
        ),
        (
            "VIP:A-B x 1-10 @ 99000; seats for everyone",
            "Part 2 of the seat layout (`seats for everyone`) should look like `R:C-J x 1-20 @ 77000`: "
            "section name, rows, seat numbers, price.",
        ),
        (
            "VIP:A x 1-10 @ 99000; vip:B-C x 1-10 @ 77000",
            "Part 2 (`vip:B-C x 1-10 @ 77000`): that section name is already used.",
        ),
        (
            "VIP:A x 10-1 @ 99000",
            "Part 1 (`VIP:A x 10-1 @ 99000`): "
            "seat numbers start at 1 and the range must go upwards, like 1-20.",
        ),
    ],
    ids=["rows-backwards", "not-a-layout", "section-twice", "seats-backwards"],
)
async def test_a_bad_layout_is_refused_before_the_form_naming_the_part(
    world: World, layout: str, told: str
) -> None:
    await world.set_up()
    result = await world.command(world.organizer, "event create", category="concert", layout=layout)

    reply = await result.wait_for_message()
    assert result.response_type == CHANNEL_MESSAGE and result.modal is None
    assert reply.ephemeral
    assert reply.content == told


@pytest.mark.parametrize(
    ("options", "told"),
    [
        (
            {"layout": "VIP:A x 1-10 @ 99000", "capacity": 100, "price": 10},
            "Give either a seat layout or a general-admission capacity (not both).",
        ),
        ({}, "Give either a seat layout or a general-admission capacity (not both)."),
        ({"capacity": 100}, "Please give a ticket price between 0 and 10,000,000."),
        (
            {"capacity": 100, "price": 0, "sale_opens": "soon"},
            "`soon` is not a date I can read. Please write it like 2026-12-24 19:30.",
        ),
    ],
    ids=["layout-and-capacity", "neither", "capacity-without-price", "unreadable-sale-opening"],
)
async def test_options_that_cannot_work_are_refused_before_the_form(
    world: World, options: dict[str, object], told: str
) -> None:
    await world.set_up()
    result = await world.command(world.organizer, "event create", category="concert", **options)

    reply = await result.wait_for_message()
    assert result.modal is None
    assert reply.ephemeral
    assert reply.content == told


@pytest.mark.parametrize(
    ("starts", "told"),
    [
        ("2020-03-01 19:30", "The start time is in the past. Please choose a future date and time."),
        ("next friday", "`next friday` is not a date I can read. Please write it like 2026-12-24 19:30."),
        (
            "2031-02-30 19:00",
            "`2031-02-30 19:00` is not a date I can read. Please write it like 2026-12-24 19:30.",
        ),
    ],
    ids=["past", "words", "no-such-day"],
)
async def test_a_start_in_the_past_or_unreadable_is_refused_with_help(
    world: World, starts: str, told: str
) -> None:
    await world.set_up()
    reply = await world.create_event(starts=starts)

    assert reply.ephemeral
    assert reply.content == told
    assert reply.embeds == []
    # Nothing was saved: the organizer has no draft to pick.
    drafts = await world.server.autocomplete(
        world.guild, world.organizer, "event publish", focused="event", value=""
    )
    assert drafts == []


async def test_general_admission_has_a_capacity_and_price_and_no_seat_map(world: World) -> None:
    await world.set_up()
    preview = await world.create_event(title="Club Night", capacity=300, price=33000, category="festival")

    assert preview.embeds[0]["title"] == "Club Night"
    assert field(preview, "Prices and free seats") == "General admission ₩33,000 · 300 of 300 left"
    assert field(preview, "Category") == "Festival"
    assert preview.attachments == []
    assert "image" not in preview.embeds[0]


async def test_a_member_without_the_organizer_role_cannot_create_events(world: World) -> None:
    await world.set_up()
    result = await world.command(world.fan, "event create", category="concert", capacity=10, price=0)

    reply = await result.wait_for_message()
    assert result.modal is None
    assert reply.ephemeral
    assert reply.content == "Only members with this server's organizer role can do that."


async def test_creating_an_event_before_set_up_says_picket_is_not_set_up(world: World) -> None:
    # Even with a broken layout, the member first learns that nobody may post here yet.
    result = await world.command(world.organizer, "event create", category="concert", layout="nonsense")

    reply = await result.wait_for_message()
    assert result.modal is None
    assert reply.ephemeral
    assert reply.content == "Picket is not set up in this server yet. An admin can run /picket setup."
    # A Korean client shows the command by its Korean name, so that is the one the message gives.
    korean = await world.reply(world.korean_fan, "event create", category="concert", capacity=10, price=0)
    assert (
        korean.content
        == "이 서버에는 아직 Picket이 설정되지 않았습니다. 관리자가 /피켓 설정을 실행해 주세요."
    )


# --- /event publish -------------------------------------------------------------------------------


async def test_publishing_announces_the_event_with_book_and_details_buttons(world: World) -> None:
    await world.set_up()
    event_id = event_id_of(await world.create_event())

    reply = await world.reply(world.organizer, "event publish", event=event_id)

    assert reply.ephemeral
    assert reply.content == (f"**Spring Concert** is published.\nAnnounced in <#{world.announcements.id}>.")
    post = await world.server.wait_for_channel_message(world.announcements)
    assert not post.ephemeral and post.author.id == world.server.bot_user.id
    # The post speaks the server's language (Korean here), whoever published it.
    assert post.content == "새 공연: **Spring Concert**"
    assert post.embeds[0]["title"] == "Spring Concert"
    assert post.embeds[0]["footer"]["text"] == f"공연 #{event_id}"
    assert [(b["label"], b["custom_id"]) for b in post.buttons] == [
        ("예매하기", f"picket:book:{event_id}"),
        ("상세 정보", f"picket:show:{event_id}"),
        ("기획자 팔로우", f"picket:follow:{world.organizer.id}"),
    ]
    assert post.attachment("seatmap.png").data.startswith(b"\x89PNG")


async def test_the_announcement_seat_map_speaks_the_servers_language(world: World) -> None:
    # The picture is drawn with the same words as the card around it, not the organizer's.
    await world.set_up()
    event_id = await world.published_event()
    post = await world.server.wait_for_channel_message(world.announcements)

    details = await event_details(event_id, world.caller(world.organizer), world.runtime.uow(), world.clock)
    korean = render_seat_map(
        details.event.title, details.seats, price=price_in("KRW"), labels=seat_map_labels("ko")
    )
    assert post.attachment("seatmap.png").data == korean.png


async def test_publishing_twice_announces_once(world: World) -> None:
    await world.set_up()
    event_id = await world.published_event()

    again = await world.reply(world.organizer, "event publish", event=event_id)

    assert again.content == "**Spring Concert** was already published."
    assert len(world.server.channel_messages(world.announcements)) == 1


async def test_the_preview_publish_button_publishes_and_updates_the_preview(world: World) -> None:
    await world.set_up()
    preview = await world.create_event()

    clicked = await world.server.click(world.organizer, preview, custom_id=PUBLISH)
    updated = await clicked.wait_for_message()

    assert updated.id == preview.id
    assert updated.content == (f"**Spring Concert** is published.\nAnnounced in <#{world.announcements.id}>.")
    assert updated.buttons == []
    assert updated.embeds[0]["footer"]["text"] == f"Event #{event_id_of(preview)}"
    assert field(updated, "Tickets") == "On sale now"
    post = await world.server.wait_for_channel_message(world.announcements)
    assert post.embeds[0]["title"] == "Spring Concert"


async def test_without_an_announcement_channel_publishing_posts_nothing(world: World) -> None:
    await world.reply(world.admin, "picket setup", organizer_role=world.organizer_role.id)
    event_id = event_id_of(await world.create_event())

    reply = await world.reply(world.organizer, "event publish", event=event_id)

    assert reply.content == "**Spring Concert** is published."
    assert world.server.channel_messages(world.announcements) == []
    shown = await world.reply(world.fan, "event show", event=event_id)
    assert shown.embeds[0]["title"] == "Spring Concert"


async def test_a_rival_organizer_cannot_publish_or_edit_another_organizers_event(world: World) -> None:
    await world.set_up()
    event_id = await world.published_event()

    publish = await world.reply(world.other_organizer, "event publish", event=event_id)
    edit = await world.reply(world.other_organizer, "event edit", event=event_id, title="Mine now")

    refusal = "**Spring Concert** belongs to another organizer; you can only manage your own events."
    assert (publish.content, edit.content) == (refusal, refusal)
    assert publish.ephemeral and edit.ephemeral
    shown = await world.reply(world.fan, "event show", event=event_id)
    assert shown.embeds[0]["title"] == "Spring Concert"


async def test_someone_elses_draft_is_not_found_and_its_title_stays_private(world: World) -> None:
    await world.set_up()
    draft_id = event_id_of(await world.create_event(title="Secret Reunion Tour"))

    for member, command, options in [
        (world.other_organizer, "event publish", {}),
        (world.other_organizer, "event edit", {"title": "Mine now"}),
        (world.fan, "event publish", {}),
    ]:
        reply = await world.reply(member, command, event=draft_id, **options)
        assert reply.content == "That event could not be found."
    assert world.server.channel_messages(world.announcements) == []
    own = await world.reply(world.organizer, "event show", event=draft_id)
    assert own.embeds[0]["title"] == "Secret Reunion Tour"


async def test_publish_clicked_and_typed_at_once_announces_once(world: World) -> None:
    await world.set_up()
    preview = await world.create_event()
    event_id = event_id_of(preview)

    clicked = await world.server.click(world.organizer, preview, custom_id=PUBLISH)
    typed = await world.command(world.organizer, "event publish", event=event_id)
    answers = [(await clicked.wait_for_message()).content, (await typed.wait_for_message()).content]

    announced = f"**Spring Concert** is published.\nAnnounced in <#{world.announcements.id}>."
    assert sorted(answers) == sorted([announced, "**Spring Concert** was already published."])
    assert len(world.server.channel_messages(world.announcements)) == 1


async def test_a_member_who_lost_the_organizer_role_cannot_publish_their_draft(world: World) -> None:
    await world.set_up()
    event_id = event_id_of(await world.create_event())
    world.organizer.role_ids.remove(world.organizer_role.id)

    reply = await world.reply(world.organizer, "event publish", event=event_id)

    assert reply.content == "Only members with this server's organizer role can do that."
    assert world.server.channel_messages(world.announcements) == []
    hidden = await world.reply(world.fan, "event show", event=event_id)
    assert hidden.content == "That event could not be found."
