"""The one place where errors become words: domain errors are explained, anything else is apologised for."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

import discord
from discord import app_commands

from bot.i18n import t
from bot.i18n.formatting import stamp
from cogs.shared.replies import send_message
from cogs.shared.text import plain
from core.errors import DomainError

log = logging.getLogger(__name__)

# What a feature offers beside a refusal (the waitlist's Join button beside "sold out"), registered
# when its cog loads, so the shared error path needs to know no feature.
WayOut = Callable[[BaseException, object], discord.ui.View | None]
ways_out: list[WayOut] = []


def offer_way_out(offer: WayOut) -> None:
    if offer not in ways_out:
        ways_out.append(offer)


def _way_out(error: BaseException, locale: object) -> discord.ui.View | None:
    if isinstance(error, app_commands.CommandInvokeError):
        error = error.original
    return next((view for offer in ways_out if (view := offer(error, locale)) is not None), None)


def _shown(params: dict[str, Any], locale: object) -> dict[str, Any]:
    shown: dict[str, Any] = {}
    for name, value in params.items():
        if isinstance(value, datetime):
            shown[name] = stamp(value, "F")
        elif name == "fields" and isinstance(value, list | tuple):
            # An event's fields as the member knows them from the commands, not as the code names them.
            shown[name] = ", ".join(t(f"field.{field}", locale) for field in value)
        elif isinstance(value, list | tuple):
            shown[name] = ", ".join(plain(str(v)) for v in value)
        elif isinstance(value, str):
            # Refusals quote what members wrote (a title, a part of a layout): shown, never rendered.
            shown[name] = plain(value)
        else:
            shown[name] = value
    return shown


def message_for(error: BaseException, locale: object) -> str | None:
    """The localized sentence for an error a member may see, or None when it is a fault of ours."""
    if isinstance(error, app_commands.CommandInvokeError):
        error = error.original
    if isinstance(error, DomainError):
        reason = error.params.get("reason")
        if reason is not None:
            specific = f"{error.key}.{reason}"
            text = t(specific, locale, **_shown(error.params, locale))
            if text != specific:
                return text
        return t(error.key, locale, **_shown(error.params, locale))
    if isinstance(error, app_commands.MissingPermissions | app_commands.BotMissingPermissions):
        return t("error.missing_permissions", locale)
    if isinstance(error, app_commands.NoPrivateMessage):
        return t("error.guild_only", locale)
    if isinstance(error, app_commands.CommandOnCooldown):
        return t("error.cooldown", locale, seconds=round(error.retry_after))
    if isinstance(error, app_commands.TransformerError):
        return t("error.bad_option", locale, value=str(error.value)[:50])
    return None


async def report(interaction: discord.Interaction, error: BaseException) -> None:
    text = message_for(error, interaction.locale)
    if text is None:
        log.error(
            "interaction %s (%s) failed",
            interaction.id,
            getattr(interaction.command, "qualified_name", "-"),
            exc_info=error,
        )
        text = t("error.unexpected", interaction.locale)
    extra: dict[str, Any] = {}
    view = _way_out(error, interaction.locale)
    if view is not None:
        extra["view"] = view
    try:
        await send_message(interaction, content=text, **extra)
    except discord.HTTPException:
        log.warning("could not tell interaction %s about its error", interaction.id)
