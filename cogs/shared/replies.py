from __future__ import annotations

from typing import Any

import discord


async def send(interaction: discord.Interaction, *, ephemeral: bool = True, **kwargs: Any) -> None:
    """Answers the interaction, or follows up when it was already deferred or answered."""
    if interaction.response.is_done():
        await interaction.followup.send(ephemeral=ephemeral, **kwargs)
    else:
        await interaction.response.send_message(ephemeral=ephemeral, **kwargs)
