"""The door through the real bot: the organizer names door staff, staff check tickets in with /checkin,
each ticket once, the live code by default and the DM's QR code once the organizer allows it."""

from __future__ import annotations

import base64

from core.ticket_codes import read_rotating
from tests.e2e.test_booking import buy
from tests.e2e.test_tickets import read_qr
from tests.e2e.world import World


async def test_staff_check_tickets_in_once_each(world: World) -> None:
    holder, staff = world.fans[0], world.fans[1]
    await world.set_up()
    event_id = await world.published_event()
    await world.fund(holder)
    await buy(world, holder, event_id, 2)
    dm = await world.server.wait_for_dm(holder)
    static = read_qr(dm.attachment("ticket-1.png").data)

    refused = await world.reply(staff, "checkin", code=static, event=event_id)
    assert refused.content == "Only the event's organizer and door staff can check tickets in."
    named = await world.reply(world.organizer, "event staff add", event=event_id, member=staff)
    assert named.content == f"Door staff: <@{staff.id}>"

    shown = await world.reply(holder, "tickets show", ticket=1)
    live = read_qr(shown.attachment("ticket-1.png").data)
    assert read_rotating(live)[0] == 1
    welcome = await world.reply(staff, "checkin", code=live, event=event_id)
    assert welcome.embeds[0]["title"] == f"Welcome, {holder.user.name}!"
    assert [f["value"] for f in welcome.embeds[0]["fields"]] == ["VIP A5", f"<@{holder.id}>"]
    again = await world.reply(world.organizer, "checkin", code=live, event=event_id)
    assert again.content.startswith("Already checked in <t:") and again.content.endswith(f"by <@{staff.id}>.")

    # The DM's QR code is the static one: refused until the organizer allows it, then good once.
    static_two = read_qr(dm.attachment("ticket-2.png").data)
    assert (await world.reply(staff, "checkin", code=static_two, event=event_id)).content == (
        "This event takes only the live code: ask them to open /tickets show."
    )
    edited = await world.reply(world.organizer, "event edit", event=event_id, door="static")
    assert "the live code or the QR code from the ticket DM" in edited.content
    second = await world.reply(staff, "checkin", code=static_two, event=event_id)
    assert second.embeds[0]["fields"][0]["value"] == "VIP A6"

    forged = await world.reply(staff, "checkin", code="PK2.made-up", event=event_id)
    assert forged.content.startswith("Not a Picket ticket")

    stats = await world.reply(world.organizer, "event stats", event=event_id)
    vip = next(f for f in stats.embeds[0]["fields"] if f["name"].startswith("VIP"))
    assert vip["value"].endswith("\n2 checked in")
    listed = await world.reply(world.organizer, "event attendees", event=event_id)
    rows = listed.attachments[0].data.decode("utf-8-sig").splitlines()
    assert rows[0].endswith(",checked_in_at_utc")
    assert all(row.split(",")[-1] for row in rows[1:])


async def test_staff_get_their_scanner_key_and_anyone_the_public_keys(world: World) -> None:
    staff = world.fans[1]
    await world.set_up()
    event_id = await world.published_event()
    await world.reply(world.organizer, "event staff add", event=event_id, member=staff)
    answer = await world.reply(staff, "event staff token", event=event_id)
    token = answer.content.split("`")[1]
    assert world.runtime.codes.staff_of(token) == (event_id, staff.id)
    assert (await world.reply(world.fans[2], "event staff token", event=event_id)).content == (
        "Only the event's organizer and door staff can check tickets in."
    )

    keys = await world.reply(world.fans[2], "event scanner-key")
    kid, key = (part.strip("`") for part in keys.content.splitlines()[1].split())
    assert int(kid) == world.runtime.codes.key_id
    assert base64.b64decode(key) == world.runtime.codes.public_bytes()
