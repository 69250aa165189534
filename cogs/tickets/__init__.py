from discord.ext import commands

from cogs.shared.runtime import runtime_of
from cogs.tickets._cog import TicketsCog


async def setup(bot: commands.Bot) -> None:
    await bot.add_cog(TicketsCog(runtime_of(bot)))
