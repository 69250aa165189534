"""`forge_click`: a button click for a custom id that is not on the message, as a modified client sends."""

from __future__ import annotations

import discord
import pytest

from bot.devserver import ActionRefused, DevServer

from ._bot import ShowBot
from .conftest import Venue

FORGED = "booking:refund-all"


class Backdoor(discord.ui.View):
    """A handler for a custom id the bot never puts on a message. discord.py hands it any click that
    names the id, whatever the message: just what a forged click is for finding."""

    def __init__(self) -> None:
        super().__init__(timeout=None)

    @discord.ui.button(label="Refund all", custom_id=FORGED)
    async def refund_all(self, interaction: discord.Interaction, button: discord.ui.Button[Backdoor]) -> None:
        where = "DM" if interaction.guild_id is None else f"guild {interaction.guild_id}"
        message = interaction.message.id if interaction.message else None
        await interaction.response.send_message(
            f"refund-all by {interaction.user.name} in {where}, channel {interaction.channel_id}, "
            f"message {message}",
            ephemeral=True,
        )


def custom_ids_on(message_payload: dict[str, object]) -> list[str]:
    rows = message_payload.get("components") or []
    assert isinstance(rows, list)
    return [c["custom_id"] for row in rows for c in row["components"] if "custom_id" in c]


async def test_a_forged_click_reaches_the_bot_as_discord_would_send_it(
    server: DevServer, venue: Venue, bot: ShowBot
) -> None:
    bot.add_view(Backdoor())
    shown = await (
        await server.run_command(venue.guild, venue.fan, "event show", {"name": "Rock Night"})
    ).wait_for_message()
    with pytest.raises(ActionRefused, match="no button"):
        await server.click(venue.fan, shown, custom_id=FORGED)

    forged = await server.forge_click(venue.fan, shown, FORGED)

    reply = await forged.wait_for_message()
    assert reply.content == (
        f"refund-all by minji in guild {venue.guild.id}, channel {shown.channel_id}, message {shown.id}"
    )
    assert reply.ephemeral and reply.visible_to == venue.fan.id
    payload = forged.record.payload
    assert payload["type"] == 3
    assert payload["data"] == {"custom_id": FORGED, "component_type": 2}
    assert payload["member"]["user"]["id"] == str(venue.fan.id)
    assert (payload["guild_id"], payload["channel_id"]) == (str(venue.guild.id), str(shown.channel_id))
    # Only the custom id is made up: the message comes as it really is, without the forged button.
    assert payload["message"]["id"] == str(shown.id)
    on_message = custom_ids_on(payload["message"])
    assert "booking:confirm" in on_message and FORGED not in on_message
    assert shown.history == []


async def test_a_forged_click_in_a_dm_comes_from_the_dm(
    server: DevServer, venue: Venue, bot: ShowBot
) -> None:
    bot.add_view(Backdoor())
    await (
        await server.run_command(venue.guild, venue.organizer, "ticket", {"fan": venue.fan.user})
    ).wait_for_message()
    dm = await server.wait_for_dm(venue.fan)

    forged = await server.forge_click(venue.fan, dm, FORGED, locale="en-GB")

    reply = await forged.wait_for_message()
    assert reply.content == f"refund-all by minji in DM, channel {dm.channel_id}, message {dm.id}"
    assert "guild_id" not in forged.record.payload
    assert forged.record.payload["user"]["id"] == str(venue.fan.id)
    assert forged.record.payload["locale"] == "en-GB"


async def test_forging_needs_a_message_the_user_can_see_and_a_possible_custom_id(
    server: DevServer, venue: Venue, bot: ShowBot
) -> None:
    shown = await (
        await server.run_command(venue.guild, venue.fan, "event show", {"name": "Rock Night"})
    ).wait_for_message()
    private = await (await server.run_command(venue.guild, venue.fan, "slow")).wait_for_message()
    await (
        await server.run_command(venue.guild, venue.organizer, "ticket", {"fan": venue.fan.user})
    ).wait_for_message()
    dm = await server.wait_for_dm(venue.fan)
    stranger = server.add_user("stranger")

    with pytest.raises(ActionRefused, match="ephemeral and shown to someone else"):
        await server.forge_click(venue.organizer, private, FORGED)
    with pytest.raises(ActionRefused, match="someone else's DMs"):
        await server.forge_click(venue.organizer, dm, FORGED)
    with pytest.raises(ActionRefused, match="not a member"):
        await server.forge_click(stranger, shown, FORGED)
    with pytest.raises(ActionRefused, match="does not exist"):
        await server.forge_click(venue.fan, 12345, FORGED)
    for impossible in ("", "x" * 101):
        with pytest.raises(ValueError, match="1 to 100 characters"):
            await server.forge_click(venue.fan, shown, impossible)
    assert not any(r.type == 3 and r.name == FORGED for r in server.interactions.values())
