"""Localizes command names and descriptions through discord.py's translator."""

from __future__ import annotations

from discord import Locale, app_commands
from discord.app_commands import TranslationContextLocation as Where

from bot.i18n import catalog, command_catalog, language


def command_key(context: app_commands.TranslationContextTypes, string: app_commands.locale_str) -> str | None:
    data = context.data
    where = context.location
    if where in (Where.command_name, Where.group_name):
        return f"{data.qualified_name}.name"
    if where in (Where.command_description, Where.group_description):
        return f"{data.qualified_name}.description"
    if where is Where.parameter_name:
        return f"{data.command.qualified_name}.{data.name}.name"
    if where is Where.parameter_description:
        return f"{data.command.qualified_name}.{data.name}.description"
    if where is Where.choice_name:
        return f"choice.{string.message}"
    return None


class PicketTranslator(app_commands.Translator):
    async def translate(
        self, string: app_commands.locale_str, locale: Locale, context: app_commands.TranslationContextTypes
    ) -> str | None:
        if language(locale.value) != "ko":
            return None
        if "key" in string.extras:
            return catalog("ko").get(string.extras["key"])
        key = command_key(context, string)
        return command_catalog().get(key) if key else None
