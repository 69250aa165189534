"""/wallet balance, history and top-up (through the sandbox payment provider when it is enabled)."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.app_commands import locale_str as _
from discord.ext import commands

from bot.i18n import t
from bot.i18n.formatting import money, stamp
from core.ledger import MAX_TOPUP
from core.runtime import Runtime
from core.services.wallet import TopUp, balance, history, top_up

COLOUR = discord.Colour(0xE0A526)


class WalletCog(commands.GroupCog, group_name="wallet", group_description="Your Picket wallet"):
    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        super().__init__()

    @app_commands.command(name="balance", description=_("See your wallet balance"))
    async def show_balance(self, interaction: discord.Interaction) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        amount = await balance(interaction.user.id, self.runtime.uow())
        await interaction.followup.send(
            t("wallet.balance", interaction.locale, balance=money(amount)), ephemeral=True
        )

    @app_commands.command(name="history", description=_("See your recent payments, refunds and top-ups"))
    async def show_history(self, interaction: discord.Interaction) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        entries = await history(interaction.user.id, self.runtime.uow(), limit=15)
        locale = interaction.locale
        embed = discord.Embed(title=t("wallet.history_title", locale), colour=COLOUR)
        if not entries:
            embed.description = t("wallet.history_empty", locale)
        else:
            lines = []
            for entry in entries:
                kind = entry.memo.split(":", 1)[0]
                label = t(f"wallet.memo.{kind}", locale)
                sign = "+" if entry.amount > 0 else "−"
                lines.append(
                    f"{stamp(entry.created_at, 'f')} · {label} · **{sign}{money(abs(entry.amount))}**"
                )
            embed.description = "\n".join(lines)
        await interaction.followup.send(embed=embed, ephemeral=True)

    @app_commands.command(name="topup", description=_("Add money to your wallet"))
    @app_commands.describe(amount=_("Amount in won"))
    async def topup(
        self, interaction: discord.Interaction, amount: app_commands.Range[int, 1, MAX_TOPUP]
    ) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        runtime = self.runtime
        command = TopUp(interaction.user.id, amount, str(interaction.id))
        total = await top_up(command, runtime.uow(), runtime.clock, runtime.payments)
        real = runtime.payments is not None and runtime.payments.moves_real_money
        key = "wallet.topped_up_real" if real else "wallet.topped_up"
        text = t(key, interaction.locale, amount=money(amount), balance=money(total))
        await interaction.followup.send(text, ephemeral=True)
