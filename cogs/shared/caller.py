"""The caller's facts, read from the interaction Discord sent; core decides what they allow."""

from __future__ import annotations

import discord

from core.caller import Caller


def caller_of(interaction: discord.Interaction) -> Caller:
    user = interaction.user
    in_guild = interaction.guild_id is not None
    permissions = interaction.permissions
    return Caller(
        user_id=user.id,
        guild_id=interaction.guild_id,
        role_ids=frozenset(role.id for role in getattr(user, "roles", ())) if in_guild else frozenset(),
        manages_guild=in_guild and (permissions.manage_guild or permissions.administrator),
        name=user.display_name,
    )
