"""/book: pick seats for an event."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.app_commands import locale_str as _
from discord.ext import commands

from cogs.booking._picker import open_booking
from cogs.shared.autocomplete import event_choices
from core.runtime import Runtime


class BookingCog(commands.Cog):
    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime

    @app_commands.command(name="book", description=_("Pick seats for an event"))
    @app_commands.describe(event=_("The event"), quantity=_("How many tickets"))
    @app_commands.autocomplete(event=event_choices)
    @app_commands.guild_only()
    async def book(
        self, interaction: discord.Interaction, event: int, quantity: app_commands.Range[int, 1, 10] = 1
    ) -> None:
        await open_booking(interaction, event, quantity)
