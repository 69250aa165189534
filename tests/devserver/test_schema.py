"""Request bodies against Discord's OpenAPI description: what discord.py sends passes, a mismatch does not."""

from __future__ import annotations

import datetime
import io
import json
from pathlib import Path
from typing import Any

import discord
import pytest
from discord import app_commands
from discord.http import handle_message_parameters
from discord.webhook.async_ import interaction_message_response_params

from bot import devserver
from bot.devserver import DevServer, DevServerConfig
from bot.devserver._config import default_openapi_path
from bot.devserver._schema import OpenApiValidator, load_validator


@pytest.fixture(scope="module")
def validator() -> OpenApiValidator:
    return load_validator(default_openapi_path())


def rich_embed() -> discord.Embed:
    embed = discord.Embed(
        title="Rock Night", description="Hall A", colour=0x5865F2, url="https://example.com/e/1"
    )
    embed.timestamp = datetime.datetime(2026, 5, 1, 19, 30, tzinfo=datetime.UTC)
    embed.set_author(name="Picket").set_footer(text="R석 C열 12번").set_image(url="attachment://seats.png")
    return embed.add_field(name="Price", value="₩99,000").add_field(name="Seats", value="2", inline=False)


class BookingView(discord.ui.View):
    @discord.ui.button(label="Confirm", custom_id="confirm", style=discord.ButtonStyle.success)
    async def confirm(
        self, interaction: discord.Interaction, button: discord.ui.Button[BookingView]
    ) -> None: ...

    @discord.ui.select(
        custom_id="seats", options=[discord.SelectOption(label="A1", value="a1", description="Aisle")]
    )
    async def seats(
        self, interaction: discord.Interaction, select: discord.ui.Select[BookingView]
    ) -> None: ...

    @discord.ui.select(cls=discord.ui.UserSelect, custom_id="friend", max_values=3)
    async def friend(
        self, interaction: discord.Interaction, select: discord.ui.UserSelect[BookingView]
    ) -> None: ...


async def booking_view() -> BookingView:
    view = BookingView()
    view.add_item(discord.ui.Button(label="Map", url="https://example.com/map"))
    return view


class ClassicModal(discord.ui.Modal, title="Transfer a ticket"):
    recipient: discord.ui.TextInput[ClassicModal] = discord.ui.TextInput(
        label="To", custom_id="to", max_length=32
    )
    note: discord.ui.TextInput[ClassicModal] = discord.ui.TextInput(
        label="Note", style=discord.TextStyle.paragraph, required=False
    )


class LabelledModal(discord.ui.Modal, title="Rate the show"):
    stars: discord.ui.Label[LabelledModal] = discord.ui.Label(
        text="Stars", description="1 to 5", component=discord.ui.TextInput(custom_id="stars", max_length=1)
    )
    seat: discord.ui.Label[LabelledModal] = discord.ui.Label(
        text="Seat", component=discord.ui.Select(custom_id="seat", options=[discord.SelectOption(label="A1")])
    )


def payload_of(params: Any) -> Any:
    """The JSON part of what discord.py sends: the body, or `payload_json` of a multipart request."""
    if params.multipart:
        return json.loads(next(p["value"] for p in params.multipart if p["name"] == "payload_json"))
    return params.payload


async def test_what_discord_py_sends_for_messages_passes(validator: OpenApiValidator) -> None:
    view = await booking_view()
    seat_map = discord.File(io.BytesIO(b"png"), "seats.png", description="Seat map")
    with handle_message_parameters(content="Booked", embed=rich_embed(), file=seat_map, view=view) as params:
        body = payload_of(params)
    assert validator.issues("POST", "/channels/1/messages", kind="multipart", body=body) == []
    assert validator.issues("PATCH", "/channels/1/messages/2", kind="multipart", body=body) == []
    assert validator.issues("POST", "/webhooks/1/token", kind="multipart", body=body) == []
    assert (
        validator.issues("PATCH", "/webhooks/1/token/messages/@original", kind="multipart", body=body) == []
    )


async def test_what_discord_py_sends_for_interaction_responses_passes(validator: OpenApiValidator) -> None:
    view = await booking_view()
    file = discord.File(io.BytesIO(b"pdf"), "ticket.pdf")
    reply = interaction_message_response_params(
        type=4,
        content="Here",
        embed=rich_embed(),
        view=view,
        file=file,
        flags=discord.MessageFlags(ephemeral=True),
    )
    update = interaction_message_response_params(type=7, content="Confirmed", view=None)
    bodies = [
        payload_of(reply),
        payload_of(update),
        {"type": 5, "data": {"flags": 64}},
        {"type": 6},
        {"type": 8, "data": {"choices": [app_commands.Choice(name="Rock Night", value="rn").to_dict()]}},
        {"type": 9, "data": ClassicModal().to_dict()},
        {"type": 9, "data": LabelledModal().to_dict()},
    ]
    for body in bodies:
        assert validator.issues("POST", "/interactions/1/token/callback", kind="json", body=body) == [], body


def test_what_discord_py_sends_for_command_sync_passes(validator: OpenApiValidator) -> None:
    client = discord.Client(intents=discord.Intents.default())
    tree = app_commands.CommandTree(client)
    tickets = app_commands.Group(name="tickets", description="Your tickets", guild_only=True)

    @tickets.command(name="show", description="Show a ticket")
    @app_commands.describe(code="The ticket code")
    async def show(
        interaction: discord.Interaction, code: str, seats: app_commands.Range[int, 1, 8] = 1
    ) -> None: ...

    @app_commands.command(name="book", description="Book seats")
    @app_commands.default_permissions(manage_events=True)
    @app_commands.choices(grade=[app_commands.Choice(name="VIP석", value="vip")])
    async def book(
        interaction: discord.Interaction, grade: app_commands.Choice[str], fan: discord.Member
    ) -> None: ...

    tree.add_command(tickets)
    tree.add_command(book)
    body = [command.to_dict(tree) for command in tree.get_commands()]
    assert validator.issues("PUT", "/applications/1/commands", kind="json", body=body) == []


def test_a_mismatch_names_the_field(validator: OpenApiValidator) -> None:
    issues = validator.issues(
        "POST", "/channels/1/messages", kind="json", body={"embeds": [{"color": "red"}]}
    )
    assert issues is not None and [i.path for i in issues] == [("embeds", 0, "color")]


def test_literal_path_segments_win_over_parameters(validator: OpenApiValidator) -> None:
    original = validator.operation_for("PATCH", "/webhooks/1/token/messages/@original")
    assert original is not None and original.template.endswith("/messages/@original")
    assert validator.operation_for("GET", "/no/such/route") is None


def test_the_description_ships_with_the_package_under_its_licence() -> None:
    package = Path(devserver.__file__).resolve().parent
    described = default_openapi_path()
    assert described.is_relative_to(package) and described.is_file()
    assert "Discord" in (described.parent / "LICENSE").read_text(encoding="utf-8")


def test_a_missing_description_is_refused_not_skipped(tmp_path: Path) -> None:
    missing = tmp_path / "missing.json"

    with pytest.raises(FileNotFoundError, match="OpenAPI description is missing") as refused:
        DevServer(DevServerConfig(openapi_path=missing))
    assert refused.value.filename == str(missing)
