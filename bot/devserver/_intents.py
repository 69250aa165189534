"""Gateway intents: which are privileged, and how the application shows those enabled for it."""

from __future__ import annotations

GUILD_MEMBERS, GUILD_PRESENCES, MESSAGE_CONTENT = 1 << 1, 1 << 8, 1 << 15
PRIVILEGED_INTENTS = {
    GUILD_MEMBERS: "GUILD_MEMBERS",
    GUILD_PRESENCES: "GUILD_PRESENCES",
    MESSAGE_CONTENT: "MESSAGE_CONTENT",
}
# The application flag of each privileged intent enabled in the developer portal: the "limited" one Discord
# sets for a bot in fewer than 100 guilds, which needs no review.
LIMITED_FLAGS = {GUILD_PRESENCES: 1 << 13, GUILD_MEMBERS: 1 << 15, MESSAGE_CONTENT: 1 << 19}


def disallowed(requested: int, enabled: int) -> list[str]:
    """Names of the privileged intents in `requested` that are not `enabled` for the application."""
    return [name for bit, name in PRIVILEGED_INTENTS.items() if requested & bit and not enabled & bit]


def application_flags(enabled: int) -> int:
    return sum(flag for intent, flag in LIMITED_FLAGS.items() if enabled & intent)
