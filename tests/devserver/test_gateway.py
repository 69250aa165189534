"""The gateway on its own: zlib-stream frames, heartbeats, sessions, resume, member chunks, shard routing."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.devserver import BotNotConnected, DevServer, DevServerConfig
from bot.devserver.testing import serve

from ._raw import GUILDS_AND_MESSAGES, PING_COMMAND, RawClient

GUILD_MEMBERS, GUILD_PRESENCES, MESSAGE_CONTENT = 1 << 1, 1 << 8, 1 << 15


@pytest.fixture
async def server() -> AsyncIterator[DevServer]:
    async with serve() as server:
        yield server


async def test_identify_gets_ready_then_a_guild_create_per_guild(server: DevServer) -> None:
    guild = server.add_guild("Hall")
    async with RawClient(server) as client:
        ready = await client.connect()
        created = await client.wait_for("GUILD_CREATE")

    assert ready["guilds"] == [{"id": str(guild.id), "unavailable": True}]
    assert ready["resume_gateway_url"] == server.gateway_url
    assert ready["user"]["id"] == str(server.bot_user.id)
    assert ready["application"]["id"] == str(server.application_id)
    assert created["s"] == 2
    assert str(server.bot_user.id) in {m["user"]["id"] for m in created["d"]["members"]}


async def test_heartbeats_are_acknowledged(server: DevServer) -> None:
    async with RawClient(server) as client:
        await client.connect()
        await client.send(1, 1)
        assert (await client.receive())["op"] == 11


async def test_a_wrong_token_closes_the_socket_with_4004(server: DevServer) -> None:
    async with RawClient(server) as client:
        with pytest.raises(ConnectionError, match="4004"):
            await client.connect(token="not-the-token")


async def test_resume_replays_missed_events_then_resumed(server: DevServer) -> None:
    guild = server.add_guild("Hall")
    async with RawClient(server) as first:
        ready = await first.connect()
        created = await first.wait_for("GUILD_CREATE")
        await server.drop_gateway()
        server.add_channel(guild, "late-news")  # dispatched while nobody listens

        async with RawClient(server) as second:
            await second.connect_only()
            await second.send(
                6, {"token": server.token, "session_id": ready["session_id"], "seq": created["s"]}
            )
            missed = await second.receive()
            resumed = await second.receive()

    assert (missed["t"], missed["s"], missed["d"]["name"]) == ("CHANNEL_CREATE", 3, "late-news")
    assert (resumed["t"], resumed["s"]) == ("RESUMED", 4)


async def test_resuming_an_unknown_session_is_invalid(server: DevServer) -> None:
    async with RawClient(server) as client:
        await client.connect_only()
        await client.send(6, {"token": server.token, "session_id": "nope", "seq": 1})
        assert await client.receive() == {"op": 9, "d": False}


async def test_member_chunks_answer_queries_and_ids(server: DevServer) -> None:
    guild = server.add_guild("Hall")
    minji = server.add_member(guild, "minji")
    server.add_member(guild, "mina")
    server.add_member(guild, "joon")
    async with RawClient(server) as client:
        await client.connect()
        await client.send(8, {"guild_id": str(guild.id), "query": "min", "limit": 0, "nonce": "a"})
        by_query = (await client.wait_for("GUILD_MEMBERS_CHUNK"))["d"]
        await client.send(8, {"guild_id": str(guild.id), "user_ids": [minji.id, 42], "limit": 0})
        by_ids = (await client.wait_for("GUILD_MEMBERS_CHUNK"))["d"]

    assert sorted(m["user"]["username"] for m in by_query["members"]) == ["mina", "minji"]
    assert (by_query["nonce"], by_query["chunk_index"], by_query["chunk_count"]) == ("a", 0, 1)
    assert [m["user"]["id"] for m in by_ids["members"]] == [str(minji.id)]
    assert by_ids["not_found"] == ["42"]


async def test_a_privileged_intent_not_enabled_closes_the_socket_with_4014(server: DevServer) -> None:
    async with RawClient(server) as client:
        with pytest.raises(ConnectionError, match="4014"):
            await client.connect(intents=GUILDS_AND_MESSAGES | MESSAGE_CONTENT)

    [violation] = server.take_violations()
    assert violation.rule == "disallowed-intents" and "MESSAGE_CONTENT" in violation.detail
    assert server.gateway.sessions == {}


async def test_enabled_privileged_intents_are_granted_and_shown_in_the_application_flags() -> None:
    async with serve(DevServerConfig(privileged_intents=GUILD_MEMBERS | MESSAGE_CONTENT)) as server:
        async with RawClient(server) as client:
            ready = await client.connect(intents=GUILDS_AND_MESSAGES | GUILD_MEMBERS | MESSAGE_CONTENT)
        async with RawClient(server) as client:
            with pytest.raises(ConnectionError, match="4014"):
                await client.connect(intents=GUILDS_AND_MESSAGES | GUILD_PRESENCES)
        assert [v.rule for v in server.take_violations()] == ["disallowed-intents"]

    assert ready["application"]["flags"] == (1 << 15) | (1 << 19)  # members and content, "limited"


async def test_without_privileged_intents_members_are_not_sent_but_the_bot_itself() -> None:
    async with serve() as server:
        guild = server.add_guild("Hall")
        server.add_member(guild, "minji")
        async with RawClient(server) as client:
            await client.connect()
            created = (await client.wait_for("GUILD_CREATE"))["d"]
            server.add_member(guild, "late fan")
            server.add_channel(guild, "late-news")
            after = await client.wait_for("CHANNEL_CREATE")

    assert [m["user"]["id"] for m in created["members"]] == [str(server.bot_user.id)]
    assert created["member_count"] == 3
    assert after["s"] == 3  # no GUILD_MEMBER_ADD came before it


async def test_members_and_presences_intents_get_every_member_and_joins() -> None:
    enabled = GUILD_MEMBERS | GUILD_PRESENCES
    async with serve(DevServerConfig(privileged_intents=enabled)) as server:
        guild = server.add_guild("Hall")
        server.add_member(guild, "minji")
        async with RawClient(server) as client:
            await client.connect(intents=GUILDS_AND_MESSAGES | enabled)
            created = (await client.wait_for("GUILD_CREATE"))["d"]
            server.add_member(guild, "late fan")
            joined = (await client.wait_for("GUILD_MEMBER_ADD"))["d"]

    assert len(created["members"]) == 3
    assert joined["user"]["username"] == "late fan"


async def test_the_whole_member_list_needs_the_members_intent(server: DevServer) -> None:
    guild = server.add_guild("Hall")
    server.add_member(guild, "minji")
    async with RawClient(server) as client:
        await client.connect()
        await client.wait_for("GUILD_CREATE")
        await client.send(8, {"guild_id": str(guild.id), "query": "", "limit": 0, "nonce": "all"})
        await client.send(1, 2)
        # Frames leave in order, so a chunk would come before the heartbeat's answer.
        answer = await client.receive()

    assert answer["op"] == 11
    assert [v.rule for v in server.take_violations()] == ["members-intent-required"]


async def test_guilds_and_interactions_go_to_the_shard_that_owns_them(server: DevServer) -> None:
    guilds = [server.add_guild(f"Hall {n}", shard=(n % 2, 2)) for n in range(4)]
    fans = [server.add_member(g, f"fan {n}") for n, g in enumerate(guilds)]
    async with RawClient(server) as zero, RawClient(server) as one:
        ready = [await zero.connect(shard=(0, 2)), await one.connect(shard=(1, 2))]
        assert (await zero.sync(PING_COMMAND)).status == 200
        await server.run_command(guilds[1], fans[1], "ping")
        interaction = (await one.wait_for("INTERACTION_CREATE"))["d"]

    assert [{int(g["id"]) for g in r["guilds"]} for r in ready] == [
        {guilds[0].id, guilds[2].id},
        {guilds[1].id, guilds[3].id},
    ]
    assert interaction["guild_id"] == str(guilds[1].id)


async def test_interactions_need_a_connected_bot(server: DevServer) -> None:
    guild = server.add_guild("Hall")
    fan = server.add_member(guild, "fan")
    server.global_commands.append({"id": "1", "name": "ping", "description": "d", "type": 1, "options": []})

    with pytest.raises(BotNotConnected):
        await server.run_command(guild, fan, "ping")
    assert server.interactions == {}
