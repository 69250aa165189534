"""Views and modals that report errors through the shared handler and belong to one member."""

from __future__ import annotations

from typing import Any

import discord

from bot.i18n import t
from cogs.shared.errors import report


class PicketView(discord.ui.View):
    """A view whose buttons only its owner may press (a fan's cart, an organizer's preview)."""

    def __init__(self, owner_id: int | None, *, timeout: float | None = 600) -> None:
        super().__init__(timeout=timeout)
        self.owner_id = owner_id

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        if self.owner_id is None or interaction.user.id == self.owner_id:
            return True
        await interaction.response.send_message(
            t("error.not_your_buttons", interaction.locale), ephemeral=True
        )
        return False

    async def on_error(self, interaction: discord.Interaction, error: Exception, item: Any) -> None:
        await report(interaction, error)


class OwnersOnly:
    """For a button that outlives restarts and belongs to one member (a cart, a cancellation): others
    are told so. Only comfort: whatever the button does, core checks who may do it."""

    owner_id: int

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        if interaction.user.id == self.owner_id:
            return True
        await interaction.response.send_message(
            t("error.not_your_buttons", interaction.locale), ephemeral=True
        )
        return False


class PicketModal(discord.ui.Modal):
    async def on_error(self, interaction: discord.Interaction, error: Exception) -> None:
        await report(interaction, error)
