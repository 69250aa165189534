"""How the booking journey looks: the picker, the cart, the receipt."""

from __future__ import annotations

import discord

from bot.i18n import t
from bot.i18n.formatting import money, stamp
from cogs.shared.text import plain
from core.services.booking import BookingStart, HoldView, OrderView

COLOUR = discord.Colour(0x2F9E6E)


def picker_embed(
    start: BookingStart, locale: object, quantity: int, section: str | None, picture: str | None = None
) -> discord.Embed:
    event = start.event
    embed = discord.Embed(title=t("book.title", locale, title=plain(event.title)), colour=COLOUR)
    lines = [t("book.when", locale, when=stamp(event.starts_at, "F"))]
    if event.is_general_admission:
        lines.append(
            t("book.ga_free", locale, free=start.ga_free, price=money(event.ga_price or 0, event.currency))
        )
    else:
        for s in start.sections:
            lines.append(
                t(
                    "book.section_line",
                    locale,
                    section=plain(s.name),
                    price=money(s.price, event.currency),
                    free=s.available,
                )
            )
    lines.append("")
    lines.append(t("book.quantity", locale, n=quantity, limit=event.per_user_limit, bought=start.bought))
    if section:
        lines.append(t("book.chosen_section", locale, section=plain(section)))
    lines.append(t("book.balance", locale, balance=money(start.balance, event.currency)))
    embed.description = "\n".join(lines)
    if picture is not None:
        embed.set_image(url=picture)
    return embed


def cart_embed(held: HoldView, locale: object, balance: int, picture: str | None = None) -> discord.Embed:
    event, hold = held.event, held.hold
    embed = discord.Embed(title=t("cart.title", locale, title=plain(event.title)), colour=COLOUR)
    if held.seats:
        seats = "\n".join(
            t("cart.seat_line", locale, seat=s.label, price=money(s.price, event.currency))
            for s in held.seats
        )
    else:
        seats = t("cart.ga_line", locale, n=hold.quantity, price=money(event.ga_price or 0, event.currency))
    embed.add_field(name=t("cart.seats", locale), value=seats[:1024], inline=False)
    embed.add_field(name=t("cart.total", locale), value=money(hold.amount, event.currency))
    embed.add_field(name=t("cart.balance", locale), value=money(balance, event.currency))
    embed.add_field(
        name=t("cart.expires", locale),
        value=t("cart.expires_value", locale, minutes=event.hold_minutes, when=stamp(hold.expires_at, "R")),
        inline=False,
    )
    if picture is not None:
        embed.set_thumbnail(url=picture)
    return embed


def receipt_embed(order: OrderView, locale: object, picture: str | None = None) -> discord.Embed:
    event = order.event
    embed = discord.Embed(title=t("receipt.title", locale, title=plain(event.title)), colour=COLOUR)
    embed.description = t("receipt.body", locale, order=order.order.id, when=stamp(event.starts_at, "F"))
    seats = "\n".join(
        t(
            "receipt.ticket_line",
            locale,
            ticket=ticket.id,
            seat=ticket.seat_label or t("ticket.general_admission", locale),
        )
        for ticket in order.tickets
    )
    embed.add_field(name=t("receipt.tickets", locale), value=seats[:1024], inline=False)
    embed.add_field(name=t("receipt.paid", locale), value=money(order.order.amount, event.currency))
    if order.balance is not None:
        embed.add_field(name=t("receipt.balance", locale), value=money(order.balance, event.currency))
    if picture is not None:
        embed.set_thumbnail(url=picture)
    return embed
