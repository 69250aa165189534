from discord.ext import commands

from cogs.shared.runtime import runtime_of
from cogs.tickets._cancel import CancelButton
from cogs.tickets._cog import TicketsCog
from cogs.tickets._live import RefreshButton


async def setup(bot: commands.Bot) -> None:
    bot.add_dynamic_items(RefreshButton, CancelButton)
    await bot.add_cog(TicketsCog(runtime_of(bot)))
