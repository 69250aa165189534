from discord.ext import commands

from cogs.setup._cog import SetupCog
from cogs.shared.runtime import runtime_of


async def setup(bot: commands.Bot) -> None:
    await bot.add_cog(SetupCog(runtime_of(bot)))
