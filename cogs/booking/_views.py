"""The public Book button on event posts: it opens the picker and keeps working after a restart."""

from __future__ import annotations

import re
from typing import Any

import discord

from cogs.booking._picker import open_booking
from cogs.shared.errors import report


class BookButton(
    discord.ui.DynamicItem[discord.ui.Button[discord.ui.View]], template=r"picket:book:(?P<id>\d+)"
):
    """The public Book button on event posts; it keeps working after a restart."""

    def __init__(self, event_id: int, label: str = "Book") -> None:
        super().__init__(
            discord.ui.Button(
                label=label[:80], style=discord.ButtonStyle.success, custom_id=f"picket:book:{event_id}"
            )
        )
        self.event_id = event_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> BookButton:
        return cls(int(match["id"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        try:
            await open_booking(interaction, self.event_id, 1)
        except Exception as error:
            await report(interaction, error)
