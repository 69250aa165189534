from discord.ext import commands

from cogs.shared.runtime import runtime_of
from cogs.wallet._cog import WalletCog


async def setup(bot: commands.Bot) -> None:
    await bot.add_cog(WalletCog(runtime_of(bot)))
