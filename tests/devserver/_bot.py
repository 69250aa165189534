"""A tiny bot used only to prove the local server works with the real discord.py; not Picket's bot."""

from __future__ import annotations

import asyncio
import io

import discord
from discord import app_commands
from discord.ext import commands

from bot.devserver.testing import FAST_GUILD_READY

SEAT_MAP = b"\x89PNG\r\n\x1a\nseat-map-bytes"
TICKET = b"%PDF-1.7 ticket for row C seat 12"
EVENTS = ["Rock Night", "Rooftop Jazz", "Seoul Philharmonic"]


class ConfirmView(discord.ui.View):
    def __init__(self) -> None:
        super().__init__(timeout=None)

    @discord.ui.button(label="Confirm", style=discord.ButtonStyle.success, custom_id="booking:confirm")
    async def confirm(self, interaction: discord.Interaction, button: discord.ui.Button[ConfirmView]) -> None:
        await interaction.response.edit_message(content=f"Confirmed by {interaction.user.name}", view=None)

    @discord.ui.button(label="Sold out", style=discord.ButtonStyle.secondary, disabled=True)
    async def sold_out(
        self, interaction: discord.Interaction, button: discord.ui.Button[ConfirmView]
    ) -> None:
        raise AssertionError("a disabled button cannot be clicked")

    @discord.ui.button(label="Refresh", custom_id="booking:refresh")
    async def refresh(self, interaction: discord.Interaction, button: discord.ui.Button[ConfirmView]) -> None:
        await interaction.response.defer()
        await interaction.edit_original_response(content="Refreshed: 12 seats left")

    @discord.ui.button(label="Note", custom_id="booking:note")
    async def note(self, interaction: discord.Interaction, button: discord.ui.Button[ConfirmView]) -> None:
        await interaction.response.send_modal(NoteModal())

    @discord.ui.select(
        custom_id="booking:seats", options=[discord.SelectOption(label=s, value=s) for s in "ABC"]
    )
    async def seats(self, interaction: discord.Interaction, select: discord.ui.Select[ConfirmView]) -> None:
        await interaction.response.send_message(f"Seat {select.values[0]}", ephemeral=True)


class NoteModal(discord.ui.Modal, title="Add a note"):
    note: discord.ui.TextInput[NoteModal] = discord.ui.TextInput(label="Note", custom_id="note", min_length=2)

    async def on_submit(self, interaction: discord.Interaction) -> None:
        await interaction.response.edit_message(content=f"Note: {self.note.value}")


class TicketView(discord.ui.View):
    def __init__(self) -> None:
        super().__init__(timeout=None)

    @discord.ui.button(label="Show QR", custom_id="ticket:qr")
    async def show_qr(self, interaction: discord.Interaction, button: discord.ui.Button[TicketView]) -> None:
        where = "DM" if interaction.guild is None else "guild"
        await interaction.response.send_message(f"QR for {interaction.user.name} in {where}")


class FeedbackModal(discord.ui.Modal, title="How was the show?"):
    comment: discord.ui.TextInput[FeedbackModal] = discord.ui.TextInput(label="Comment", custom_id="comment")
    stars: discord.ui.Label[FeedbackModal] = discord.ui.Label(
        text="Stars", component=discord.ui.TextInput(custom_id="stars", max_length=1, required=False)
    )

    async def on_submit(self, interaction: discord.Interaction) -> None:
        assert isinstance(self.stars.component, discord.ui.TextInput)
        await interaction.response.send_message(
            f"Thanks! {self.comment.value} ({self.stars.component.value or '-'})"
        )


class ShowCog(commands.Cog):
    event = app_commands.Group(name="event", description="Events on sale")
    admin = app_commands.Group(name="admin", description="Organizer tools", guild_only=True)
    admin_event = app_commands.Group(name="event", description="Manage an event", parent=admin)

    def __init__(self, bot: commands.Bot | commands.AutoShardedBot) -> None:
        self.bot = bot
        self.resumed = asyncio.Event()

    @commands.Cog.listener()
    async def on_resumed(self) -> None:
        self.resumed.set()

    @app_commands.command(name="ping", description="Check the bot answers")
    async def ping(self, interaction: discord.Interaction) -> None:
        shard = interaction.guild.shard_id if interaction.guild else 0
        await interaction.response.send_message(
            f"pong locale={interaction.locale.value} guild_locale={interaction.guild_locale} shard={shard}"
        )

    @event.command(name="show", description="Show an event with its seat map")
    async def show(self, interaction: discord.Interaction, name: str) -> None:
        embed = discord.Embed(title=name, description="Seats are selling fast").add_field(
            name="Venue", value="Hall A"
        )
        embed.set_image(url="attachment://seats.png")
        await interaction.response.send_message(
            embed=embed, file=discord.File(io.BytesIO(SEAT_MAP), "seats.png"), view=ConfirmView()
        )

    @event.command(name="create", description="Create an event")
    async def create(
        self,
        interaction: discord.Interaction,
        title: str,
        seats: app_commands.Range[int, 1, 500],
        host: discord.Member,
        role: discord.Role | None = None,
        channel: discord.TextChannel | None = None,
    ) -> None:
        parts = [title, str(seats), host.name, role.name if role else "-", channel.name if channel else "-"]
        await interaction.response.send_message(" | ".join(parts), ephemeral=True)

    @admin_event.command(name="cancel", description="Cancel an event")
    async def cancel(self, interaction: discord.Interaction, code: str) -> None:
        await interaction.response.send_message(f"cancelled {code}", ephemeral=True)

    @app_commands.command(name="feedback", description="Tell us about the show")
    async def feedback(self, interaction: discord.Interaction) -> None:
        await interaction.response.send_modal(FeedbackModal())

    @app_commands.command(name="ticket", description="Send a ticket by DM")
    async def ticket(self, interaction: discord.Interaction, fan: discord.User) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        try:
            await fan.send(
                "Your ticket", file=discord.File(io.BytesIO(TICKET), "ticket.pdf"), view=TicketView()
            )
        except discord.Forbidden as error:
            await interaction.followup.send(f"DMs closed (code {error.code})", ephemeral=True)
        else:
            await interaction.followup.send("Ticket sent", ephemeral=True)

    @app_commands.command(name="book", description="Book seats")
    async def book(self, interaction: discord.Interaction, event: str) -> None:
        await interaction.response.send_message(f"Booking {event}")

    @book.autocomplete("event")
    async def book_event(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return [app_commands.Choice(name=e, value=e) for e in EVENTS if e.lower().startswith(current.lower())]

    @app_commands.command(name="slow", description="A reply that takes a while")
    async def slow(self, interaction: discord.Interaction) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        await interaction.followup.send("Here is your slow answer")
        await interaction.followup.send("And one more thing", ephemeral=True)

    @app_commands.command(name="announce", description="Post several announcements")
    async def announce(self, interaction: discord.Interaction, count: int) -> None:
        await interaction.response.defer(ephemeral=True)
        assert isinstance(interaction.channel, discord.TextChannel)
        for number in range(count):
            await interaction.channel.send(f"Announcement {number + 1}")
        await interaction.followup.send(f"posted {count}", ephemeral=True)


class ShowBot(commands.Bot):
    async def setup_hook(self) -> None:
        await self.add_cog(ShowCog(self))


class ShardedShowBot(commands.AutoShardedBot):
    async def setup_hook(self) -> None:
        await self.add_cog(ShowCog(self))


def make_bot() -> ShowBot:
    return ShowBot(
        command_prefix=commands.when_mentioned,
        intents=discord.Intents.default(),
        guild_ready_timeout=FAST_GUILD_READY,
    )


def make_members_bot() -> ShowBot:
    intents = discord.Intents.default()
    intents.members = True
    return ShowBot(
        command_prefix=commands.when_mentioned, intents=intents, guild_ready_timeout=FAST_GUILD_READY
    )


def make_sharded_bot() -> ShardedShowBot:
    intents = discord.Intents.default()
    intents.members = True  # also exercises member chunking at startup
    return ShardedShowBot(
        command_prefix=commands.when_mentioned, intents=intents, guild_ready_timeout=FAST_GUILD_READY
    )


def show_cog(bot: commands.Bot | commands.AutoShardedBot) -> ShowCog:
    cog = bot.get_cog("ShowCog")
    assert isinstance(cog, ShowCog)
    return cog
