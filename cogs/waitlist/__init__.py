from discord.ext import commands

from cogs.shared.errors import offer_way_out
from cogs.shared.runtime import runtime_of
from cogs.waitlist._cog import WaitlistCog
from cogs.waitlist._join import JoinButton, join_offer


async def setup(bot: commands.Bot) -> None:
    bot.add_dynamic_items(JoinButton)
    offer_way_out(join_offer)
    await bot.add_cog(WaitlistCog(runtime_of(bot)))
