"""The server enforces Discord's rules per request: breaches get Discord's answer and are recorded."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from bot.devserver import ActionRefused, DevServer, DevServerConfig, ManualClock, RouteLimit
from bot.devserver.testing import serve

from ._raw import BOOK_COMMAND, PING_COMMAND, RawClient


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
async def server(clock: ManualClock) -> AsyncIterator[DevServer]:
    # Rate-limit windows follow the frozen clock, so counts do not depend on how fast the machine is.
    async with serve(DevServerConfig(clock=clock, max_upload_bytes=1000)) as server:
        yield server


@pytest.fixture
async def client(server: DevServer) -> AsyncIterator[RawClient]:
    guild = server.add_guild("Hall")
    server.add_member(guild, "fan")
    server.add_member(guild, "quiet", dms_open=False)
    async with RawClient(server) as client:
        await client.connect()
        assert (await client.sync(PING_COMMAND, BOOK_COMMAND)).status == 200
        yield client


def fan(server: DevServer) -> Any:
    return next(u for u in server.users.values() if u.name == "fan")


async def ping(server: DevServer, client: RawClient) -> dict[str, Any]:
    guild = next(iter(server.guilds.values()))
    await server.run_command(guild, fan(server), "ping")
    interaction: dict[str, Any] = (await client.wait_for("INTERACTION_CREATE"))["d"]
    return interaction


def first_error(errors: dict[str, Any], *path: str) -> dict[str, Any]:
    node = errors
    for part in path:
        node = node[part]
    error: dict[str, Any] = node["_errors"][0]
    return error


async def test_a_compliant_reply_passes(server: DevServer, client: RawClient) -> None:
    interaction = await ping(server, client)

    answer = await client.callback(interaction, {"type": 4, "data": {"content": "pong", "flags": 64}})

    assert answer.status == 200
    assert answer.headers["Content-Type"] == "application/json"
    assert answer.body["interaction"]["response_message_ephemeral"] is True
    assert answer.body["resource"]["message"]["content"] == "pong"
    assert server.violations == []


async def test_late_acknowledgement_is_unknown_interaction(
    server: DevServer, client: RawClient, clock: ManualClock
) -> None:
    interaction = await ping(server, client)
    clock.advance(3.01)

    answer = await client.callback(interaction, {"type": 4, "data": {"content": "too late"}})

    assert (answer.status, answer.body["code"]) == (404, 10062)
    assert [v.rule for v in server.take_violations()] == ["ack-deadline"]


async def test_acknowledging_twice_is_refused(server: DevServer, client: RawClient) -> None:
    interaction = await ping(server, client)
    assert (await client.callback(interaction, {"type": 5})).status == 200

    answer = await client.callback(interaction, {"type": 4, "data": {"content": "again"}})

    assert (answer.status, answer.body["code"]) == (400, 40060)
    assert [v.rule for v in server.take_violations()] == ["double-acknowledgement"]


async def test_embeds_over_6000_characters_are_refused(server: DevServer, client: RawClient) -> None:
    interaction = await ping(server, client)
    fields = [{"name": f"Row {n}", "value": "x" * 1000} for n in range(5)]
    embed = {"title": "Seat map", "description": "y" * 1500, "fields": fields}

    answer = await client.callback(interaction, {"type": 4, "data": {"embeds": [embed]}})

    assert (answer.status, answer.body["code"]) == (400, 50035)
    assert first_error(answer.body["errors"], "data", "embeds")["code"] == "MAX_EMBED_SIZE_EXCEEDED"
    assert [v.rule for v in server.take_violations()] == ["embed-limits"]


async def test_an_embed_title_over_256_characters_is_refused(server: DevServer, client: RawClient) -> None:
    interaction = await ping(server, client)

    answer = await client.callback(interaction, {"type": 4, "data": {"embeds": [{"title": "t" * 257}]}})

    assert (answer.status, answer.body["code"]) == (400, 50035)
    assert "title" in answer.body["errors"]["data"]["embeds"]["0"]
    assert len(server.take_violations()) == 1


def button(custom_id: str, label: str = "Go") -> dict[str, Any]:
    return {"type": 2, "style": 1, "label": label, "custom_id": custom_id}


@pytest.mark.parametrize(
    ("components", "where"),
    [
        ([{"type": 1, "components": [button("x" * 101)]}], ("0", "components", "0", "custom_id")),
        (
            [{"type": 1, "components": [button("same"), button("same")]}],
            ("0", "components", "1", "custom_id"),
        ),
        ([{"type": 1, "components": [button(f"b{n}") for n in range(6)]}], ("0", "components")),
        ([{"type": 1, "components": [button(f"row{n}")]} for n in range(6)], ()),
    ],
    ids=["custom-id-too-long", "custom-id-duplicated", "six-buttons-in-a-row", "six-rows"],
)
async def test_component_breaches_are_refused(
    server: DevServer, client: RawClient, components: list[dict[str, Any]], where: tuple[str, ...]
) -> None:
    channel = next(iter(server.channels.values()))

    answer = await client.request(
        "POST", f"/channels/{channel.id}/messages", json_body={"content": "Book", "components": components}
    )

    assert (answer.status, answer.body["code"]) == (400, 50035)
    assert "_errors" in first_path(answer.body["errors"], ("components", *where))
    assert len(server.take_violations()) == 1


def first_path(errors: dict[str, Any], path: tuple[str, ...]) -> dict[str, Any]:
    node = errors
    for part in path:
        node = node[part]
    return node


async def test_a_user_cannot_pick_an_option_that_does_not_exist(server: DevServer, client: RawClient) -> None:
    guild = next(iter(server.guilds.values()))

    with pytest.raises(ActionRefused, match="no option"):
        await server.run_command(guild, fan(server), "book", {"event": "Rock", "colour": "red"})
    with pytest.raises(ActionRefused, match="needs option 'event'"):
        await server.run_command(guild, fan(server), "book", {"seats": 2})
    with pytest.raises(ActionRefused, match="takes an integer"):
        await server.run_command(guild, fan(server), "book", {"event": "Rock", "seats": 2.5})


@pytest.mark.parametrize(
    ("definition", "where", "code"),
    [
        ({"name": "Book Seats", "description": "Book"}, ("0", "name"), "APPLICATION_COMMAND_INVALID_NAME"),
        (
            {
                "name": "book",
                "description": "Book",
                "options": [
                    {"type": 3, "name": "note", "description": "A note"},
                    {"type": 3, "name": "event", "description": "Which event", "required": True},
                ],
            },
            ("0", "options", "1", "required"),
            "APPLICATION_COMMAND_OPTIONS_REQUIRED_INVALID",
        ),
        (
            {"name": "book", "description": "Book", "name_localizations": {"kr": "예매"}},
            ("0", "name_localizations", "kr"),
            "LOCALE_INVALID",
        ),
    ],
    ids=["bad-name", "required-after-optional", "bad-locale"],
)
async def test_command_definition_breaches_are_refused(
    server: DevServer, client: RawClient, definition: dict[str, Any], where: tuple[str, ...], code: str
) -> None:
    answer = await client.sync(definition)

    assert (answer.status, answer.body["code"]) == (400, 50035)
    assert first_error(answer.body["errors"], *where)["code"] == code
    assert [v.rule for v in server.take_violations()] == ["command-definition"]
    assert {c["name"] for c in server.commands()} == {"ping", "book"}


async def test_korean_command_names_are_valid(server: DevServer, client: RawClient) -> None:
    definition = {"name": "book", "description": "Book", "name_localizations": {"ko": "예매"}}

    assert (await client.sync(definition)).status == 200


async def test_the_51st_request_in_a_second_gets_a_global_429(
    server: DevServer, client: RawClient, clock: ManualClock
) -> None:
    clock.advance(1.0)  # a fresh window: the fixture's command sync counted in the last one
    answers = [await client.request("GET", "/users/@me") for _ in range(50)]
    assert {a.status for a in answers} == {200}
    assert answers[0].headers["X-RateLimit-Limit"] == "50"

    limited = await client.request("GET", "/users/@me")

    assert limited.status == 429
    assert limited.headers["Retry-After"] == "1"
    assert limited.headers["Via"]
    assert limited.headers["X-RateLimit-Global"] == "true"
    assert limited.headers["X-RateLimit-Scope"] == "global"
    assert limited.body == {
        "message": "You are being rate limited.",
        "retry_after": pytest.approx(1.0),
        "global": True,
    }
    assert server.violations == []  # being told to wait is not a breach; not waiting is
    assert (await client.request("GET", "/gateway/bot")).status == 429
    assert [v.rule for v in server.take_violations()] == ["rate-limit"]
    clock.advance(1.0)
    assert (await client.request("GET", "/users/@me")).status == 200


async def test_interaction_routes_are_outside_the_global_limit(server: DevServer, client: RawClient) -> None:
    interaction = await ping(server, client)
    for _ in range(51):
        await client.request("GET", "/users/@me")
    server.take_violations()

    assert (await client.callback(interaction, {"type": 4, "data": {"content": "pong"}})).status == 200


async def test_messages_per_channel_have_their_own_bucket(server: DevServer, client: RawClient) -> None:
    channel = next(iter(server.channels.values()))
    path = f"/channels/{channel.id}/messages"
    answers = [await client.request("POST", path, json_body={"content": f"Seat {n}"}) for n in range(5)]
    assert [a.headers["X-RateLimit-Remaining"] for a in answers] == ["4", "3", "2", "1", "0"]
    assert len({a.headers["X-RateLimit-Bucket"] for a in answers}) == 1

    limited = await client.request("POST", path, json_body={"content": "one too many"})

    assert limited.status == 429
    assert limited.body["global"] is False
    assert limited.headers["X-RateLimit-Scope"] == "user"
    assert float(limited.headers["X-RateLimit-Reset-After"]) == pytest.approx(5.0)


async def test_rate_limits_can_be_lowered(clock: ManualClock) -> None:
    config = DevServerConfig(clock=clock, global_limit=RouteLimit(2, 1.0))
    async with serve(config) as server, RawClient(server) as client:
        statuses = [(await client.request("GET", "/users/@me")).status for _ in range(3)]
    assert statuses == [200, 200, 429]


async def test_a_body_that_does_not_match_the_openapi_schema_is_refused(
    server: DevServer, client: RawClient
) -> None:
    channel = next(iter(server.channels.values()))

    answer = await client.request("POST", f"/channels/{channel.id}/messages", json_body={"content": 5})

    assert (answer.status, answer.body["code"]) == (400, 50035)
    assert first_error(answer.body["errors"], "content")["code"] == "OPENAPI_SCHEMA_MISMATCH"
    assert [v.rule for v in server.take_violations()] == ["openapi-schema"]


async def test_a_compliant_message_with_a_file_passes(server: DevServer, client: RawClient) -> None:
    channel = next(iter(server.channels.values()))
    form = aiohttp.FormData(quote_fields=False)
    form.add_field(
        "payload_json", '{"content": "Seat map", "attachments": [{"id": 0, "filename": "map.png"}]}'
    )
    form.add_field("files[0]", b"png-bytes", filename="map.png", content_type="image/png")

    answer = await client.request("POST", f"/channels/{channel.id}/messages", data=form)

    assert answer.status == 200
    assert server.channel_messages(channel)[0].attachment("map.png").data == b"png-bytes"
    assert answer.body["attachments"][0]["url"].startswith(server.base_url)


async def test_files_over_the_size_limit_are_refused(server: DevServer, client: RawClient) -> None:
    channel = next(iter(server.channels.values()))
    form = aiohttp.FormData(quote_fields=False)
    form.add_field("payload_json", "{}")
    form.add_field("files[0]", b"x" * 1001, filename="big.bin")

    answer = await client.request("POST", f"/channels/{channel.id}/messages", data=form)

    assert (answer.status, answer.body["code"]) == (413, 40005)
    assert [v.rule for v in server.take_violations()] == ["file-size"]


async def test_a_dm_to_a_closed_inbox_is_forbidden_but_no_breach(
    server: DevServer, client: RawClient
) -> None:
    quiet = next(u for u in server.users.values() if u.name == "quiet")
    channel = await client.request("POST", "/users/@me/channels", json_body={"recipient_id": quiet.id})
    assert channel.status == 200

    answer = await client.request(
        "POST", f"/channels/{channel.body['id']}/messages", json_body={"content": "Ticket"}
    )

    assert (answer.status, answer.body["code"]) == (403, 50007)
    assert server.rejected_dms == [quiet.id]
    assert server.violations == []


async def test_a_resend_with_an_enforced_nonce_is_the_first_message(
    server: DevServer, client: RawClient
) -> None:
    channel = await client.request("POST", "/users/@me/channels", json_body={"recipient_id": fan(server).id})
    path = f"/channels/{channel.body['id']}/messages"
    body = {"content": "Your tickets", "nonce": "picket-7-0", "enforce_nonce": True}

    first = await client.request("POST", path, json_body=body)
    again = await client.request("POST", path, json_body=body)
    unenforced = await client.request("POST", path, json_body={**body, "enforce_nonce": False})

    assert first.status == again.status == 200
    assert again.body["id"] == first.body["id"]
    assert unenforced.body["id"] != first.body["id"]
    assert len(server.dms(fan(server))) == 2


async def test_a_token_expires_after_15_minutes(
    server: DevServer, client: RawClient, clock: ManualClock
) -> None:
    interaction = await ping(server, client)
    await client.callback(interaction, {"type": 5})
    clock.advance(15 * 60 + 1)

    answer = await client.request(
        "POST",
        f"/webhooks/{server.application_id}/{interaction['token']}?wait=1",
        json_body={"content": "late"},
    )

    assert (answer.status, answer.body["code"]) == (401, 50027)
    assert [v.rule for v in server.take_violations()] == ["interaction-token-expired"]


async def test_a_followup_before_acknowledging_is_refused(server: DevServer, client: RawClient) -> None:
    interaction = await ping(server, client)

    answer = await client.request(
        "POST", f"/webhooks/{server.application_id}/{interaction['token']}", json_body={"content": "early"}
    )

    assert (answer.status, answer.body["code"]) == (404, 10015)
    assert [v.rule for v in server.take_violations()] == ["followup-before-acknowledgement"]
    await client.callback(interaction, {"type": 4, "data": {"content": "pong"}})


async def test_an_unanswered_interaction_is_recorded(
    server: DevServer, client: RawClient, clock: ManualClock
) -> None:
    await ping(server, client)
    clock.advance(3.5)

    await server.settle_interactions()

    assert [v.rule for v in server.take_violations()] == ["never-acknowledged"]


@pytest.mark.parametrize(
    ("body", "rule"),
    [
        ({"type": 8, "data": {"choices": []}}, "response-type"),
        ({"type": 7, "data": {"content": "no message to update"}}, "response-type"),
        ({"type": 9, "data": {"custom_id": "m", "title": "t" * 46, "components": []}}, "openapi-schema"),
    ],
    ids=["choices-for-a-command", "update-without-a-message", "modal-title-too-long"],
)
async def test_callbacks_of_the_wrong_shape_are_refused(
    server: DevServer, client: RawClient, body: dict[str, Any], rule: str
) -> None:
    interaction = await ping(server, client)

    answer = await client.callback(interaction, body)

    assert (answer.status, answer.body["code"]) == (400, 50035)
    assert [v.rule for v in server.take_violations()] == [rule]
    await client.callback(interaction, {"type": 4, "data": {"content": "pong"}})


async def test_requests_need_the_bot_token(server: DevServer, client: RawClient) -> None:
    answer = await client.request("GET", "/users/@me", authorized=False)

    assert answer.status == 401
    assert [v.rule for v in server.take_violations()] == ["unauthorized"]


async def test_endpoints_the_server_lacks_are_reported(server: DevServer, client: RawClient) -> None:
    guild = next(iter(server.guilds.values()))

    answer = await client.request("GET", f"/guilds/{guild.id}/bans")

    assert answer.status == 404
    assert [v.rule for v in server.take_violations()] == ["unsupported-endpoint"]
