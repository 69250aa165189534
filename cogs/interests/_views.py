"""The Follow button on event posts: one click and the organizer's next events come by DM."""

from __future__ import annotations

import re
from typing import Any

import discord

from bot.i18n import language, t
from cogs.shared.caller import caller_of
from cogs.shared.errors import report
from cogs.shared.runtime import runtime_of
from core.models import InterestKind
from core.services.interests import follow


class FollowButton(
    discord.ui.DynamicItem[discord.ui.Button[discord.ui.View]],
    template=r"picket:follow:(?P<organizer>\d{1,19})",
):
    """Everything it needs is in its custom id; a forged one can only make its presser follow someone."""

    def __init__(self, organizer_id: int, label: str = "Follow organizer") -> None:
        super().__init__(
            discord.ui.Button(
                label=label[:80],
                style=discord.ButtonStyle.secondary,
                custom_id=f"picket:follow:{organizer_id}",
            )
        )
        self.organizer_id = organizer_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> FollowButton:
        return cls(int(match["organizer"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        try:
            await interaction.response.defer(ephemeral=True, thinking=True)
            runtime = runtime_of(interaction.client)
            added = await follow(
                caller_of(interaction),
                InterestKind.ORGANIZER,
                str(self.organizer_id),
                language(interaction.locale),
                runtime.uow(),
                runtime.clock,
            )
            key = "interests.followed" if added else "interests.already_following"
            text = t(key, interaction.locale, organizer=f"<@{self.organizer_id}>")
            await interaction.followup.send(text, ephemeral=True)
        except Exception as error:
            await report(interaction, error)
