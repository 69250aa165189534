"""Text that members wrote (titles, venues, section and display names) shown inside Picket's messages."""

from __future__ import annotations

from discord.utils import escape_markdown, escape_mentions


def plain(text: str) -> str:
    """The text as typed: its markdown shows literally and its mentions stay inert, so a title cannot
    restyle the message around it, forge a link or ping anyone. For places Discord renders markdown."""
    return escape_mentions(escape_markdown(text))
