"""/event staff, /event scanner-key and /checkin: who works the door and how tickets are let in."""

from __future__ import annotations

import base64

import discord
from discord import app_commands
from discord.app_commands import locale_str as _
from discord.ext import commands

from bot.i18n import t
from bot.i18n.formatting import stamp
from cogs.shared.autocomplete import event_choices
from cogs.shared.caller import caller_of
from cogs.shared.text import plain
from core.runtime import Runtime
from core.services.door import Scan, change_rules, check_in, door_event, set_staff
from core.services.events import event_details
from core.services.queue import tune_queue

COLOUR_IN = discord.Colour(0x2F9E6E)


class DoorCommands:
    """Mixed into the /event group."""

    runtime: Runtime
    staff = app_commands.Group(name="staff", description=_("Door staff of your event"))

    @staff.command(name="add", description=_("Let a member check tickets in at your event's door"))
    @app_commands.describe(event=_("The event"), member=_("The member"))
    @app_commands.autocomplete(event=event_choices)
    @app_commands.guild_only()
    async def staff_add(self, interaction: discord.Interaction, event: int, member: discord.Member) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        staff = await set_staff(event, member.id, True, caller_of(interaction), self.runtime.uow())
        await interaction.followup.send(_staff_text(staff, interaction.locale), ephemeral=True)

    @staff.command(name="remove", description=_("Take a member off your event's door staff"))
    @app_commands.describe(event=_("The event"), member=_("The member"))
    @app_commands.autocomplete(event=event_choices)
    @app_commands.guild_only()
    async def staff_remove(
        self, interaction: discord.Interaction, event: int, member: discord.Member
    ) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        staff = await set_staff(event, member.id, False, caller_of(interaction), self.runtime.uow())
        await interaction.followup.send(_staff_text(staff, interaction.locale), ephemeral=True)

    @staff.command(name="token", description=_("Your key to the door scanner page for this event"))
    @app_commands.describe(event=_("The event"))
    @app_commands.autocomplete(event=event_choices)
    @app_commands.guild_only()
    async def staff_token(self, interaction: discord.Interaction, event: int) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        found = await door_event(event, caller_of(interaction), self.runtime.uow())
        token = self.runtime.codes.staff_token(found.id, interaction.user.id)
        text = t("door.token", interaction.locale, title=plain(found.title), token=token)
        await interaction.followup.send(text, ephemeral=True)

    @app_commands.command(
        name="scanner-key", description=_("The public keys that verify this server's tickets")
    )
    async def scanner_key(self, interaction: discord.Interaction) -> None:
        lines = [
            f"`{kid}` `{base64.b64encode(raw).decode('ascii')}`"
            for kid, raw in self.runtime.codes.public_keys().items()
        ]
        text = t("door.keys", interaction.locale) + "\n" + "\n".join(lines)
        await interaction.response.send_message(text, ephemeral=True)

    @app_commands.command(
        name="rules", description=_("Who may buy: a minimum account age, a role (a presale)")
    )
    @app_commands.describe(
        event=_("The event"),
        min_account_days=_("Discord accounts younger than this many days may not buy (0: no minimum)"),
        buyer_role=_("Only members with this role may buy (@everyone: anyone)"),
    )
    @app_commands.autocomplete(event=event_choices)
    @app_commands.guild_only()
    async def rules(
        self,
        interaction: discord.Interaction,
        event: int,
        min_account_days: app_commands.Range[int, 0, 3650] | None = None,
        buyer_role: discord.Role | None = None,
    ) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        rules = await change_rules(
            event,
            caller_of(interaction),
            self.runtime.uow(),
            min_account_days=min_account_days,
            buyer_role_id=buyer_role.id if buyer_role is not None else None,
        )
        locale = interaction.locale
        role = f"<@&{rules.buyer_role_id}>" if rules.buyer_role_id else t("rules.anyone", locale)
        days = rules.min_account_days or 0
        await interaction.followup.send(t("rules.saved", locale, role=role, days=days), ephemeral=True)

    @app_commands.command(name="queue", description=_("Your event's waiting room: how fast fans are let in"))
    @app_commands.describe(
        event=_("The event"),
        rate=_("Fans let in per minute"),
        cap=_("At most this many choosing seats at once"),
        paused=_("Pause or resume letting fans in"),
    )
    @app_commands.autocomplete(event=event_choices)
    @app_commands.guild_only()
    async def queue(
        self,
        interaction: discord.Interaction,
        event: int,
        rate: app_commands.Range[int, 1, 100_000] | None = None,
        cap: app_commands.Range[int, 1, 100_000] | None = None,
        paused: bool | None = None,
    ) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        runtime, caller, locale = self.runtime, caller_of(interaction), interaction.locale
        queue = runtime.queue
        line = await tune_queue(event, caller, runtime.uow(), queue, rate=rate, cap=cap, paused=paused)
        details = await event_details(event, caller, runtime.uow(), runtime.clock)
        text = t(
            "queue.tuned",
            locale,
            title=plain(details.event.title),
            rate=line.rate_per_minute,
            cap=line.cap,
            paused=t("queue.paused", locale) if line.paused else "",
        )
        await interaction.followup.send(text, ephemeral=True)


def _staff_text(staff: list[int], locale: object) -> str:
    members = ", ".join(f"<@{user}>" for user in staff) or t("door.no_staff", locale)
    return t("door.staff", locale, members=members)


class CheckInCog(commands.Cog):
    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime

    @app_commands.command(name="checkin", description=_("Check a ticket in at the door (door staff)"))
    @app_commands.describe(
        code=_("The ticket's code, as the scanner read it"), event=_("The event at whose door you are")
    )
    @app_commands.autocomplete(event=event_choices)
    @app_commands.guild_only()
    async def checkin(self, interaction: discord.Interaction, code: str, event: int) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        runtime, locale = self.runtime, interaction.locale
        found = await door_event(event, caller_of(interaction), runtime.uow())
        welcome = await check_in(
            Scan(code, found.id, interaction.user.id), runtime.uow(), runtime.clock, runtime.codes
        )
        ticket = welcome.ticket
        seat = ticket.seat_label or t("ticket.general_admission", locale)
        embed = discord.Embed(
            title=t("door.welcome", locale, name=plain(ticket.holder_name) or f"#{ticket.id}"),
            colour=COLOUR_IN,
        )
        embed.add_field(name=t("ticket.seat", locale), value=seat)
        embed.add_field(name=t("door.holder", locale), value=f"<@{ticket.holder_id}>")
        embed.set_footer(text=t("ticket.footer", locale, ticket=ticket.id))
        user = interaction.client.get_user(ticket.holder_id)
        if user is not None:
            embed.set_thumbnail(url=user.display_avatar.url)
        at = ticket.checked_in_at
        embed.description = stamp(at, "T") if at is not None else None
        await interaction.followup.send(embed=embed, ephemeral=True)
