"""The public post of an event, as first announced and as kept current after sales, edits, a sell-out
or a cancellation."""

from __future__ import annotations

from typing import Any

import discord

from bot.i18n import t
from cogs.booking._views import BookButton
from cogs.events._embeds import event_embed
from cogs.events._views import DetailsButton
from cogs.interests._views import FollowButton
from cogs.shared.seatmap import seat_map_file
from cogs.shared.text import plain
from core.models import Phase
from core.services.events import EventDetails


async def post_message(
    client: discord.Client, details: EventDetails, phase: Phase, locale: object
) -> dict[str, Any]:
    """Content, card, buttons and seat map of the post; a cancelled event keeps no Book button."""
    event = details.event
    title = plain(event.title)
    if phase is Phase.CANCELLED:
        content = t("post.cancelled", locale, title=title)
    elif phase is Phase.ENDED:
        content = t("post.ended", locale, title=title)
    elif details.free <= 0:
        content = t("post.sold_out", locale, title=title)
    else:
        content = t("publish.announcement", locale, title=title)
    view = discord.ui.View(timeout=None)
    if phase is not Phase.CANCELLED:
        view.add_item(BookButton(event.id, t("event.book_button", locale)))
    view.add_item(DetailsButton(event.id, t("event.details_button", locale)))
    view.add_item(FollowButton(event.organizer_id, t("interests.follow_button", locale)))
    picture = await seat_map_file(client, event, details.seats, details.stamp, locale)
    message: dict[str, Any] = {"content": content, "embed": event_embed(details, locale, phase), "view": view}
    if picture is not None:
        message["file"] = picture
    return message
