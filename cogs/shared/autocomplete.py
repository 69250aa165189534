"""Event-name autocomplete, for every command that takes an event."""

from __future__ import annotations

import discord
from discord import app_commands

from bot.i18n import t
from bot.i18n.formatting import local
from cogs.shared.caller import caller_of
from cogs.shared.runtime import runtime_of
from cogs.shared.zones import zone_of
from core.services.events import search_events

MAX_CHOICE_NAME = 100


async def event_choices(interaction: discord.Interaction, current: str) -> list[app_commands.Choice[int]]:
    runtime = runtime_of(interaction.client)
    events = await search_events(caller_of(interaction), current, runtime.uow(), runtime.clock)
    zone = await zone_of(interaction)
    choices = []
    for event in events[:25]:
        draft = f" [{t('event.draft_tag', interaction.locale)}]" if event.status == "draft" else ""
        # A long title is shortened, never the date or the draft tag after it.
        after = f" · {local(event.starts_at, zone)}{draft}"
        label = event.title[: MAX_CHOICE_NAME - len(after)] + after
        choices.append(app_commands.Choice(name=label[:MAX_CHOICE_NAME], value=event.id))
    return choices
