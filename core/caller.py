"""Who is acting, and where: the facts an interaction carries, handed to every service that needs them."""

from __future__ import annotations

from dataclasses import dataclass

from core.errors import EventNotFound, NotAllowed
from core.models import Event

# Discord ids and Picket's own ids are positive 64-bit integers; anything else names nothing.
MAX_ID = 2**63 - 1


@dataclass(frozen=True)
class Caller:
    """A member acting through one interaction.

    ``guild_id`` is the server the interaction came from, or None in a DM. Nothing here is trusted
    beyond what Discord put into the interaction: a member has the roles and permissions listed,
    no more, and no default stands for "trusted".
    """

    user_id: int
    guild_id: int | None
    role_ids: frozenset[int] = frozenset()
    manages_guild: bool = False
    name: str = ""

    def require_guild(self) -> int:
        if self.guild_id is None:
            raise NotAllowed(reason="guild_only")
        return self.guild_id


def valid_id(value: int) -> bool:
    return 0 < value <= MAX_ID


def in_scope(event: Event | None, caller: Caller, event_id: int) -> Event:
    """The event, if the caller's server is the event's; otherwise "no such event", word for word as
    for a number that names nothing, so another server's events cannot even be confirmed to exist."""
    if event is None or caller.guild_id is None or event.guild_id != caller.guild_id:
        raise EventNotFound(event_id=event_id)
    return event
