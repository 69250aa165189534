"""Option choices shared by several commands."""

from __future__ import annotations

from discord import app_commands
from discord.app_commands import locale_str as _

from core.models import CATEGORIES

CATEGORY_CHOICES = [
    app_commands.Choice(name=_(c.capitalize(), key=f"category.{c}"), value=c) for c in CATEGORIES
]
