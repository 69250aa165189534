from discord.ext import commands

from cogs.interests._cog import InterestsCog
from cogs.interests._views import FollowButton
from cogs.shared.runtime import runtime_of


async def setup(bot: commands.Bot) -> None:
    bot.add_dynamic_items(FollowButton)
    await bot.add_cog(InterestsCog(runtime_of(bot)))
