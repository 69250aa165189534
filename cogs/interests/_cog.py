"""/interests: what a member follows in this server, and when Picket may DM them about it."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.app_commands import locale_str as _
from discord.ext import commands

from bot.i18n import language, t
from bot.i18n.formatting import stamp
from cogs.shared.caller import caller_of
from cogs.shared.choices import CATEGORY_CHOICES
from cogs.shared.runtime import runtime_of
from cogs.shared.text import plain
from core.alerts import zone_named
from core.errors import InvalidInput
from core.models import Interest, InterestKind, MemberPrefs
from core.runtime import Runtime
from core.services.interests import follow, following, mute, quiet_hours, unfollow, unmute
from core.timeparse import parse_local

COLOUR = discord.Colour(0xE67E22)
FOREVER_YEAR = 9999


def shown(interest: Interest, locale: object) -> str:
    kind = t(f"interests.kind.{interest.kind.value}", locale)
    if interest.kind is InterestKind.ORGANIZER:
        return f"{kind}: <@{interest.value}>"
    if interest.kind is InterestKind.CATEGORY:
        return f"{kind}: {t(f'category.{interest.value}', locale)}"
    return f"{kind}: {plain(interest.value)}"


async def my_interests(interaction: discord.Interaction, current: str) -> list[app_commands.Choice[int]]:
    runtime = runtime_of(interaction.client)
    mine = await following(caller_of(interaction), runtime.uow())
    choices = []
    for interest in mine.interests:
        kind = t(f"interests.kind.{interest.kind.value}", interaction.locale)
        label = f"{kind}: {interest.value}"
        if current.lower() in label.lower():
            choices.append(app_commands.Choice(name=label[:100], value=interest.id))
    return choices[:25]


def _settings(prefs: MemberPrefs | None, locale: object) -> str:
    lines = []
    if prefs is not None and prefs.muted_until is not None:
        if prefs.muted_until.year >= FOREVER_YEAR:
            lines.append(t("interests.muted", locale))
        else:
            lines.append(t("interests.muted_until", locale, until=stamp(prefs.muted_until, "f")))
    if prefs is not None and prefs.quiet_start is not None and prefs.quiet_end is not None:
        lines.append(
            t(
                "interests.quiet_line",
                locale,
                start=f"{prefs.quiet_start // 60:02d}:{prefs.quiet_start % 60:02d}",
                end=f"{prefs.quiet_end // 60:02d}:{prefs.quiet_end % 60:02d}",
                zone=prefs.time_zone or "-",
            )
        )
    return "\n".join(lines)


@app_commands.guild_only()
class InterestsCog(
    commands.GroupCog, group_name="interests", group_description="Events you want to hear about"
):
    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        super().__init__()

    @app_commands.command(name="add", description=_("Get a DM when a matching event is announced"))
    @app_commands.describe(
        category=_("A kind of event"),
        keyword=_("A word in the title or description"),
        organizer=_("A member who organizes events"),
        venue=_("A venue (part of its name)"),
    )
    @app_commands.choices(category=CATEGORY_CHOICES)
    async def add(
        self,
        interaction: discord.Interaction,
        category: app_commands.Choice[str] | None = None,
        keyword: str | None = None,
        organizer: discord.Member | None = None,
        venue: str | None = None,
    ) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        wanted = [
            (InterestKind.CATEGORY, category.value if category else None),
            (InterestKind.KEYWORD, keyword),
            (InterestKind.ORGANIZER, str(organizer.id) if organizer else None),
            (InterestKind.VENUE, venue),
        ]
        chosen = [(kind, value) for kind, value in wanted if value is not None]
        if not chosen:
            raise InvalidInput(reason="no_interest")
        caller, lang = caller_of(interaction), language(interaction.locale)
        for kind, value in chosen:
            await follow(caller, kind, value, lang, self.runtime.uow(), self.runtime.clock)
        await self._show(interaction, t("interests.added", interaction.locale))

    @app_commands.command(name="list", description=_("What you follow and when Picket may DM you"))
    async def list_interests(self, interaction: discord.Interaction) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        await self._show(interaction, None)

    @app_commands.command(name="remove", description=_("Stop following something"))
    @app_commands.describe(interest=_("What to stop following"))
    @app_commands.autocomplete(interest=my_interests)
    async def remove(self, interaction: discord.Interaction, interest: int) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        await unfollow(caller_of(interaction), interest, self.runtime.uow())
        await self._show(interaction, t("interests.removed", interaction.locale))

    @app_commands.command(name="mute", description=_("No alerts for a while (tickets still come)"))
    @app_commands.describe(until=_("Until when, e.g. 2026-12-31 09:00 (default: until you unmute)"))
    async def mute(self, interaction: discord.Interaction, until: str | None = None) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        runtime = self.runtime
        caller, lang = caller_of(interaction), language(interaction.locale)
        prefs = (await following(caller, runtime.uow())).prefs
        zone = zone_named(prefs.time_zone) if prefs and prefs.time_zone else runtime.zone
        moment = parse_local(until, zone) if until else None
        await mute(caller, moment, lang, runtime.uow(), runtime.clock)
        await self._show(interaction, t("interests.mute_done", interaction.locale))

    @app_commands.command(name="unmute", description=_("Alerts again"))
    async def unmute(self, interaction: discord.Interaction) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        await unmute(
            caller_of(interaction), language(interaction.locale), self.runtime.uow(), self.runtime.clock
        )
        await self._show(interaction, t("interests.unmuted", interaction.locale))

    @app_commands.command(
        name="quiet", description=_("Hours when alerts wait (the same start and end: none)")
    )
    @app_commands.describe(
        start=_("From this hour (0-23)"),
        end=_("Until this hour (0-23)"),
        timezone=_("Your time zone, e.g. Asia/Seoul or Europe/Berlin"),
    )
    async def quiet(
        self,
        interaction: discord.Interaction,
        start: app_commands.Range[int, 0, 23],
        end: app_commands.Range[int, 0, 23],
        timezone: str | None = None,
    ) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        await quiet_hours(
            caller_of(interaction),
            start * 60,
            end * 60,
            timezone,
            language(interaction.locale),
            self.runtime.uow(),
            self.runtime.clock,
        )
        await self._show(interaction, t("interests.quiet_done", interaction.locale))

    async def _show(self, interaction: discord.Interaction, done: str | None) -> None:
        mine = await following(caller_of(interaction), self.runtime.uow())
        locale = interaction.locale
        embed = discord.Embed(title=t("interests.title", locale), colour=COLOUR)
        lines = [f"`{x.id}` {shown(x, locale)}" for x in mine.interests]
        embed.description = "\n".join(lines) if lines else t("interests.none", locale)
        settings = _settings(mine.prefs, locale)
        if settings:
            embed.add_field(name=t("interests.settings", locale), value=settings, inline=False)
        embed.set_footer(text=t("interests.footer", locale))
        await interaction.followup.send(content=done, embed=embed, ephemeral=True)
