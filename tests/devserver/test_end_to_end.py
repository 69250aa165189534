"""The real discord.py, unmodified, against the local server: every flow Picket relies on."""

from __future__ import annotations

import asyncio

import aiohttp
import discord
import pytest

from bot.devserver import ActionRefused, DevServer, DevServerConfig, RouteLimit
from bot.devserver.testing import running_bot, serve, serve_bot

from ._bot import SEAT_MAP, TICKET, ShowBot, make_bot, make_members_bot, make_sharded_bot, show_cog
from .conftest import Venue


async def test_command_sync_is_recorded(server: DevServer, bot: ShowBot) -> None:
    names = {c["name"] for c in server.commands()}
    assert {"ping", "event", "admin", "feedback", "ticket", "book", "slow"} <= names
    event = next(c for c in server.commands() if c["name"] == "event")
    assert {o["name"] for o in event["options"]} == {"show", "create"}
    assert server.command_syncs == 1


async def test_slash_command_answers_with_embed_and_file(
    server: DevServer, venue: Venue, bot: ShowBot
) -> None:
    result = await server.run_command(venue.guild, venue.fan, "event show", {"name": "Rock Night"})

    message = await result.wait_for_message()
    assert result.response_type == 4
    assert message.embeds[0]["title"] == "Rock Night"
    assert message.embeds[0]["fields"] == [{"name": "Venue", "value": "Hall A", "inline": True}]
    assert message.attachment("seats.png").data == SEAT_MAP
    assert not message.ephemeral
    assert [b["label"] for b in message.buttons] == ["Confirm", "Sold out", "Refresh", "Note"]
    async with (
        aiohttp.ClientSession() as session,
        session.get(message.attachment("seats.png").url) as response,
    ):
        assert await response.read() == SEAT_MAP


async def test_button_click_edits_the_message(server: DevServer, venue: Venue, bot: ShowBot) -> None:
    shown = await (
        await server.run_command(venue.guild, venue.fan, "event show", {"name": "Rock Night"})
    ).wait_for_message()

    click = await server.click(venue.organizer, shown, label="Confirm")

    edited = await click.wait_for_message()
    assert edited is shown
    assert shown.content == "Confirmed by organizer"
    assert shown.components == []
    assert shown.history[0].components != []
    assert click.response_type == 7


async def test_deferred_update_then_edit_of_the_clicked_message(
    server: DevServer, venue: Venue, bot: ShowBot
) -> None:
    shown = await (
        await server.run_command(venue.guild, venue.fan, "event show", {"name": "Rock Night"})
    ).wait_for_message()

    click = await server.click(venue.fan, shown, custom_id="booking:refresh")

    assert await click.wait_for_response() == 6
    assert (await click.wait_for_message()) is shown
    assert shown.content == "Refreshed: 12 seats left"
    assert (await shown.wait_for_edits(1)).history[0].content == ""


async def test_modal_opened_from_a_button_edits_that_message(
    server: DevServer, venue: Venue, bot: ShowBot
) -> None:
    shown = await (
        await server.run_command(venue.guild, venue.fan, "event show", {"name": "Rock Night"})
    ).wait_for_message()
    modal = await (await server.click(venue.fan, shown, label="Note")).wait_for_modal()

    with pytest.raises(ActionRefused, match="at least 2"):
        await server.submit_modal(venue.fan, modal, {"note": "x"})
    with pytest.raises(ActionRefused, match="shown to user"):
        await server.submit_modal(venue.organizer, modal, {"note": "aisle please"})
    submitted = await server.submit_modal(venue.fan, modal, {"note": "aisle please"})

    assert (await submitted.wait_for_message()) is shown
    assert shown.content == "Note: aisle please"


async def test_disabled_or_missing_buttons_cannot_be_clicked(
    server: DevServer, venue: Venue, bot: ShowBot
) -> None:
    shown = await (
        await server.run_command(venue.guild, venue.fan, "event show", {"name": "Rock Night"})
    ).wait_for_message()

    with pytest.raises(ActionRefused, match="disabled"):
        await server.click(venue.fan, shown, label="Sold out")
    with pytest.raises(ActionRefused, match="no button"):
        await server.click(venue.fan, shown, label="Refund")


async def test_select_menu(server: DevServer, venue: Venue, bot: ShowBot) -> None:
    shown = await (
        await server.run_command(venue.guild, venue.fan, "event show", {"name": "Rock Night"})
    ).wait_for_message()

    picked = await server.select(venue.fan, shown, "booking:seats", ["B"])

    reply = await picked.wait_for_message()
    assert reply.content == "Seat B"
    assert reply.ephemeral
    with pytest.raises(ActionRefused, match="not options"):
        await server.select(venue.fan, shown, "booking:seats", ["Z"])


async def test_modal_submit(server: DevServer, venue: Venue, bot: ShowBot) -> None:
    result = await server.run_command(venue.guild, venue.fan, "feedback")
    modal = await result.wait_for_modal()
    assert modal.title == "How was the show?"
    assert [f.custom_id for f in modal.fields] == ["comment", "stars"]
    assert [f.in_label for f in modal.fields] == [False, True]

    submitted = await server.submit_modal(venue.fan, modal, {"comment": "Loved it", "stars": "5"})

    assert (await submitted.wait_for_message()).content == "Thanks! Loved it (5)"
    with pytest.raises(ActionRefused, match="already submitted"):
        await server.submit_modal(venue.fan, modal, {"comment": "again"})


async def test_dm_with_a_file(server: DevServer, venue: Venue, bot: ShowBot) -> None:
    result = await server.run_command(venue.guild, venue.organizer, "ticket", {"fan": venue.fan.user})

    dm = await server.wait_for_dm(venue.fan)
    assert dm.content == "Your ticket"
    assert dm.attachment("ticket.pdf").data == TICKET
    assert (await result.wait_for_message()).content == "Ticket sent"

    clicked = await server.click(venue.fan, dm, label="Show QR")

    assert (await clicked.wait_for_message()).content == "QR for minji in DM"
    with pytest.raises(ActionRefused, match="someone else's DMs"):
        await server.click(venue.organizer, dm, label="Show QR")


async def test_slash_command_in_a_dm(server: DevServer, venue: Venue, bot: ShowBot) -> None:
    result = await server.run_command(None, venue.fan, "ping")

    reply = await result.wait_for_message()
    assert reply.content.startswith("pong locale=ko guild_locale=None")
    assert server.dms(venue.fan) == [reply]
    with pytest.raises(ActionRefused, match="cannot be used in DMs"):
        await server.run_command(None, venue.fan, "admin event cancel", {"code": "RN-1"})


async def test_dm_to_a_member_with_closed_dms_is_forbidden(
    server: DevServer, venue: Venue, bot: ShowBot
) -> None:
    result = await server.run_command(venue.guild, venue.organizer, "ticket", {"fan": venue.shy_fan})

    assert (await result.wait_for_message()).content == "DMs closed (code 50007)"
    assert server.dms(venue.shy_fan) == []
    assert server.rejected_dms == [venue.shy_fan.id]


async def test_autocomplete(server: DevServer, venue: Venue, bot: ShowBot) -> None:
    choices = await server.autocomplete(venue.guild, venue.fan, "book", focused="event", value="Ro")

    assert [c["value"] for c in choices] == ["Rock Night", "Rooftop Jazz"]


async def test_deferred_reply_then_followups(server: DevServer, venue: Venue, bot: ShowBot) -> None:
    result = await server.run_command(venue.guild, venue.fan, "slow")

    assert await result.wait_for_response() == 5
    reply = await result.wait_for_message()
    assert reply.content == "Here is your slow answer"
    assert reply.ephemeral  # the deferral was ephemeral, so the reply that fills it is too
    second = await result.wait_for_followup(0)
    assert second.content == "And one more thing"
    channel = venue.guild.text_channels()[0]
    assert server.channel_messages(channel) == []
    assert server.channel_messages(channel, as_user=venue.fan) == [reply, second]


async def test_subcommand_group_and_resolved_options(server: DevServer, venue: Venue, bot: ShowBot) -> None:
    staff = next(r for r in venue.guild.roles.values() if r.name == "staff")
    lobby = server.add_channel(venue.guild, "lobby")
    created = await server.run_command(
        venue.guild,
        venue.organizer,
        "event create",
        {"title": "Rock Night", "seats": 300, "host": venue.organizer, "role": staff, "channel": lobby},
    )
    cancelled = await server.run_command(venue.guild, venue.organizer, "admin event cancel", {"code": "RN-1"})

    assert (await created.wait_for_message()).content == "Rock Night | 300 | organizer | staff | lobby"
    assert (await cancelled.wait_for_message()).content == "cancelled RN-1"


async def test_user_refusals_match_discord(server: DevServer, venue: Venue, bot: ShowBot) -> None:
    with pytest.raises(ActionRefused, match="never synced"):
        await server.run_command(venue.guild, venue.fan, "refund")
    with pytest.raises(ActionRefused, match="no option"):
        await server.run_command(venue.guild, venue.fan, "event show", {"name": "x", "colour": "red"})
    with pytest.raises(ActionRefused, match="needs option 'name'"):
        await server.run_command(venue.guild, venue.fan, "event show")
    with pytest.raises(ActionRefused, match="takes values from 1 to 500"):
        await server.run_command(
            venue.guild, venue.fan, "event create", {"title": "x", "seats": 501, "host": venue.fan}
        )
    with pytest.raises(ActionRefused, match="takes an integer"):
        await server.run_command(
            venue.guild, venue.fan, "event create", {"title": "x", "seats": "many", "host": venue.fan}
        )
    with pytest.raises(ActionRefused, match="is a group"):
        await server.run_command(venue.guild, venue.fan, "admin event")


async def test_locales_reach_the_bot(server: DevServer, venue: Venue, bot: ShowBot) -> None:
    korean = await server.run_command(venue.guild, venue.fan, "ping")
    english = await server.run_command(venue.guild, venue.fan, "ping", locale="en-GB")

    assert (await korean.wait_for_message()).content.startswith("pong locale=ko guild_locale=ko")
    assert (await english.wait_for_message()).content.startswith("pong locale=en-GB")


async def test_rate_limited_bot_waits_and_breaks_no_rule() -> None:
    # Two messages per 0.2 s per channel: discord.py must read the headers and wait between bursts.
    config = DevServerConfig(channel_message_limit=RouteLimit(2, 0.2))
    async with serve(config) as server:
        guild = server.add_guild("Hall")
        fan = server.add_member(guild, "fan")
        async with running_bot(server, make_bot):
            result = await server.run_command(guild, fan, "announce", {"count": 5})
            assert (await result.wait_for_message()).content == "posted 5"
        posted = [m.content for m in server.channel_messages(guild.text_channels()[0])]
        assert posted == [f"Announcement {n}" for n in range(1, 6)]


async def test_a_bot_that_honours_a_global_429_breaks_no_rule() -> None:
    # discord.py cannot see the global limit coming, so it gets 429s, waits retry_after and retries.
    async with serve(DevServerConfig(global_limit=RouteLimit(3, 0.5))) as server:
        guild = server.add_guild("Hall")
        fan = server.add_member(guild, "fan")
        async with running_bot(server, make_bot):
            result = await server.run_command(guild, fan, "announce", {"count": 4})
            assert (await result.wait_for_message()).content == "posted 4"
        assert any("global" in hit for hit in server.rate_limited)
        assert len(server.channel_messages(guild.text_channels()[0])) == 4


async def test_serve_bot_builds_the_world_before_the_bot_connects() -> None:
    def build(server: DevServer) -> None:
        server.add_member(server.add_guild("Hall"), "fan")

    async with serve_bot(make_bot, build_world=build) as (server, bot):
        assert [g.name for g in bot.guilds] == ["Hall"]
        assert server.command_syncs == 1


async def test_auto_sharded_bot_gets_interactions_on_both_shards() -> None:
    # The sharded bot asks for the members intent, so the application must have it enabled.
    config = DevServerConfig(recommended_shards=2, privileged_intents=discord.Intents(members=True).value)
    async with serve(config) as server:
        first = server.add_guild("Shard zero hall", shard=(0, 2))
        second = server.add_guild("Shard one hall", shard=(1, 2))
        fans = [server.add_member(first, "a"), server.add_member(second, "b")]
        async with running_bot(server, make_sharded_bot) as bot:
            assert bot.shard_count == 2
            assert {g.id: g.shard_id for g in bot.guilds} == {first.id: 0, second.id: 1}
            chunked = bot.get_guild(second.id)
            assert (
                chunked is not None and chunked.get_member(fans[1].id) is not None
            )  # members intent: chunked
            results = [
                await server.run_command(g, f, "ping") for g, f in zip((first, second), fans, strict=True)
            ]
            replies = [(await r.wait_for_message()).content for r in results]
        assert replies[0].endswith("shard=0") and replies[1].endswith("shard=1")


async def test_gateway_resume_after_the_server_drops_the_socket(
    server: DevServer, venue: Venue, bot: ShowBot
) -> None:
    session_id = server.gateway.session_of_shard(0).id
    await server.drop_gateway()
    # Sent while the bot is reconnecting: the session's backlog replays it after RESUME.
    result = await server.run_command(venue.guild, venue.fan, "ping")

    await server.wait_for_resume()
    assert (await result.wait_for_message()).content.startswith("pong")
    assert server.gateway.session_of_shard(0).id == session_id
    await asyncio.wait_for(show_cog(bot).resumed.wait(), timeout=5)


async def test_a_bot_asking_for_a_privileged_intent_not_enabled_cannot_connect() -> None:
    async with serve() as server:
        with pytest.raises(discord.PrivilegedIntentsRequired):
            async with running_bot(server, make_members_bot):
                pass
        assert [v.rule for v in server.take_violations()] == ["disallowed-intents"]


async def test_an_enabled_members_intent_lets_the_bot_chunk_every_member() -> None:
    config = DevServerConfig(privileged_intents=discord.Intents(members=True).value)
    async with serve(config) as server:
        guild = server.add_guild("Hall")
        fan = server.add_member(guild, "fan")
        async with running_bot(server, make_members_bot) as bot:
            cached = bot.get_guild(guild.id)
            # GUILD_CREATE lists only the bot without the presences intent, so the fan came by chunking.
            assert cached is not None and cached.chunked and cached.get_member(fan.id) is not None
            assert bot.application_flags.gateway_guild_members_limited
