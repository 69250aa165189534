"""How events look: the detail card, the list page, the announcement."""

from __future__ import annotations

import discord

from bot.i18n import t
from bot.i18n.formatting import money, stamp
from cogs.shared.seatmap import SEAT_MAP_NAME
from cogs.shared.text import plain
from core.models import Event, Phase
from core.services.events import EventDetails, EventPage, Offer

COLOUR = discord.Colour(0x5B5BD6)


def _when(event: Event, locale: object) -> str:
    return f"{stamp(event.starts_at, 'F')} ({stamp(event.starts_at, 'R')})"


def _sale(event: Event, phase: Phase, locale: object) -> str:
    if phase is Phase.SCHEDULED:
        return t("event.sale_opens_at", locale, when=stamp(event.sale_opens_at, "F"))
    return t(f"event.phase.{phase.value}", locale)


def _prices(details: EventDetails, locale: object) -> str:
    event = details.event
    if event.ga_capacity is not None:
        return t(
            "event.ga_line",
            locale,
            price=money(event.ga_price or 0, event.currency),
            free=details.free,
            capacity=event.ga_capacity,
        )
    lines = [
        t(
            "event.section_line",
            locale,
            section=plain(s.name),
            price=money(s.price, event.currency),
            free=s.available,
            total=s.available + s.held + s.sold,
        )
        for s in details.sections
    ]
    return "\n".join(lines)[:1024]


def event_embed(
    details: EventDetails, locale: object, phase: Phase, picture: str | None = None
) -> discord.Embed:
    """The event's card; its seat map is the message's own attachment unless ``picture`` says where."""
    event = details.event
    embed = discord.Embed(
        title=plain(event.title), description=plain(event.description)[:4000] or None, colour=COLOUR
    )
    embed.add_field(name=t("event.field.when", locale), value=_when(event, locale), inline=False)
    if event.venue:
        embed.add_field(name=t("event.field.venue", locale), value=plain(event.venue), inline=True)
    embed.add_field(name=t("event.field.category", locale), value=t(f"category.{event.category}", locale))
    embed.add_field(name=t("event.field.sale", locale), value=_sale(event, phase, locale), inline=False)
    embed.add_field(name=t("event.field.prices", locale), value=_prices(details, locale) or "-", inline=False)
    embed.add_field(
        name=t("event.field.limit", locale), value=t("event.limit", locale, n=event.per_user_limit)
    )
    footer = t("event.footer", locale, id=event.id)
    if phase is Phase.DRAFT:
        footer += " · " + t("event.draft_footer", locale)
    embed.set_footer(text=footer)
    if details.seats:
        embed.set_image(url=picture or f"attachment://{SEAT_MAP_NAME}")
    return embed


def _offer(offer: Offer, currency: str, locale: object) -> str:
    if offer.free <= 0:
        return t("events.sold_out", locale)
    low, high = money(offer.low, currency), money(offer.high, currency)
    price = low if offer.low == offer.high else t("events.price_range", locale, low=low, high=high)
    return t("events.offer", locale, price=price, free=offer.free)


def list_embed(page: EventPage, locale: object) -> discord.Embed:
    embed = discord.Embed(title=t("events.title", locale), colour=COLOUR)
    if not page.events:
        embed.description = t("events.none", locale)
        return embed
    lines = []
    for event in page.events:
        venue = f" · {plain(event.venue)}" if event.venue else ""
        line = t(
            "events.line",
            locale,
            id=event.id,
            title=plain(event.title),
            when=stamp(event.starts_at, "f"),
            venue=venue,
            category=t(f"category.{event.category}", locale),
        )
        offer = page.offers.get(event.id)
        if offer is not None:
            line += "\n" + _offer(offer, event.currency, locale)
        lines.append(line)
    embed.description = "\n".join(lines)
    embed.set_footer(text=t("events.footer", locale, page=page.page, pages=page.pages, total=page.total))
    return embed
