from discord.ext import commands

from cogs.booking._cart import CartButton
from cogs.booking._cog import BookingCog
from cogs.booking._picker import PICKER_ITEMS
from cogs.booking._views import BookButton
from cogs.shared.runtime import runtime_of


async def setup(bot: commands.Bot) -> None:
    bot.add_dynamic_items(BookButton, CartButton, *PICKER_ITEMS)
    await bot.add_cog(BookingCog(runtime_of(bot)))
