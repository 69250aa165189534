from discord.ext import commands

from cogs.events._cog import EventCog, EventsListCog
from cogs.events._door import CheckInCog
from cogs.events._views import DetailsButton, EventMenu
from cogs.shared.runtime import runtime_of


async def setup(bot: commands.Bot) -> None:
    runtime = runtime_of(bot)
    bot.add_dynamic_items(DetailsButton, EventMenu)
    await bot.add_cog(EventCog(runtime))
    await bot.add_cog(EventsListCog(runtime))
    await bot.add_cog(CheckInCog(runtime))
