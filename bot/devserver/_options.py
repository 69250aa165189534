"""Building a slash command's interaction data from what the bot synced, refusing what Discord would.

A user cannot run a command the bot never synced, pick an option that does not exist, leave out a
required one, or type a value of the wrong type; Discord's client stops all of these, so does this.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ._errors import ActionRefused
from ._model import JSON, Channel, Guild, Member, Role, User
from ._payloads import member_payload, role_payload, user_payload
from ._state import World

SUB_COMMAND, SUB_COMMAND_GROUP = 1, 2
STRING, INTEGER, BOOLEAN, USER, CHANNEL, ROLE, MENTIONABLE, NUMBER, ATTACHMENT = 3, 4, 5, 6, 7, 8, 9, 10, 11
MAX_SAFE_INTEGER = 2**53
GUILD_CONTEXT, BOT_DM_CONTEXT = 0, 1

OptionValue = str | int | float | bool | User | Member | Role | Channel


class Resolved:
    def __init__(self, viewer_permissions: int) -> None:
        # Resolved channels carry the invoking user's permissions in them.
        self.viewer_permissions = viewer_permissions
        self.users: JSON = {}
        self.members: JSON = {}
        self.roles: JSON = {}
        self.channels: JSON = {}

    def payload(self) -> JSON:
        parts = {"users": self.users, "members": self.members, "roles": self.roles, "channels": self.channels}
        return {key: value for key, value in parts.items() if value}


def find_command(world: World, guild: Guild | None, name: str) -> JSON:
    scopes = ([world.guild_commands.get(guild.id, [])] if guild else []) + [world.global_commands]
    for commands in scopes:
        for command in commands:
            if command["name"] == name and command.get("type", 1) == 1:
                return command
    raise ActionRefused(f"the bot never synced a slash command named {name!r}")


def check_usable(world: World, command: JSON, guild: Guild | None, user: User) -> None:
    contexts = command.get("contexts")
    if guild is None:
        allowed = BOT_DM_CONTEXT in contexts if contexts else command.get("dm_permission", True)
        if not allowed or "guild_id" in command:
            raise ActionRefused(f"/{command['name']} cannot be used in DMs")
        return
    if contexts and GUILD_CONTEXT not in contexts:
        raise ActionRefused(f"/{command['name']} cannot be used in a guild")
    required = command.get("default_member_permissions")
    if required is not None and guild.permissions_of(user.id) & int(required) != int(required):
        raise ActionRefused(f"/{command['name']} is hidden from members without permissions {required}")


def command_data(
    world: World,
    guild: Guild | None,
    user: User,
    path: str,
    values: Mapping[str, Any],
    *,
    focused: str | None = None,
) -> JSON:
    """INTERACTION_CREATE `data` for `/path` with `values`; `focused` marks the option being typed."""
    parts = path.split()
    if not parts:
        raise ActionRefused("no command name given")
    command = find_command(world, guild, parts[0])
    check_usable(world, command, guild, user)
    levels: list[JSON] = []
    current = command
    for part in parts[1:]:
        child = next(
            (
                o
                for o in current.get("options") or []
                if o["name"] == part and o["type"] in (SUB_COMMAND, SUB_COMMAND_GROUP)
            ),
            None,
        )
        if child is None:
            raise ActionRefused(f"/{' '.join(parts[: len(levels) + 1])} has no subcommand {part!r}")
        levels.append(child)
        current = child
    definitions: list[JSON] = current.get("options") or []
    if any(d["type"] in (SUB_COMMAND, SUB_COMMAND_GROUP) for d in definitions):
        names = [d["name"] for d in definitions]
        raise ActionRefused(f"/{path} is a group; name one of its subcommands {names}")
    resolved = Resolved(guild.permissions_of(user.id) if guild else 0)
    given = _options(world, guild, path, definitions, values, focused, resolved)
    for level in reversed(levels):
        given = [{"name": level["name"], "type": level["type"], "options": given}]
    data: JSON = {"id": command["id"], "name": command["name"], "type": 1, "options": given}
    if "guild_id" in command:
        data["guild_id"] = command["guild_id"]
    if resolved.payload():
        data["resolved"] = resolved.payload()
    return data


def _options(
    world: World,
    guild: Guild | None,
    path: str,
    definitions: list[JSON],
    values: Mapping[str, Any],
    focused: str | None,
    resolved: Resolved,
) -> list[JSON]:
    by_name = {d["name"]: d for d in definitions}
    unknown = [name for name in values if name not in by_name]
    if unknown:
        raise ActionRefused(f"/{path} has no option(s) {unknown}; it has {list(by_name)}")
    if focused is not None and not by_name[focused].get("autocomplete"):
        raise ActionRefused(f"option {focused!r} of /{path} has no autocomplete")
    given: list[JSON] = []
    for definition in definitions:
        name = definition["name"]
        if name not in values:
            if definition.get("required") and focused is None:
                raise ActionRefused(f"/{path} needs option {name!r}")
            continue
        option: JSON = {"name": name, "type": definition["type"]}
        if name == focused:
            option.update(value=str(values[name]), focused=True)  # what the user has typed so far
        else:
            option["value"] = _converted(world, guild, path, definition, values[name], resolved)
        given.append(option)
    return given


def _converted(
    world: World, guild: Guild | None, path: str, definition: JSON, value: Any, resolved: Resolved
) -> Any:
    kind, name = definition["type"], definition["name"]
    where = f"option {name!r} of /{path}"
    if kind == STRING:
        if not isinstance(value, str):
            raise ActionRefused(f"{where} takes text, not {value!r}")
        low, high = definition.get("min_length", 0), definition.get("max_length", 6000)
        if not low <= len(value) <= high:
            raise ActionRefused(f"{where} takes {low} to {high} characters")
    elif kind in (INTEGER, NUMBER):
        number_types = (int,) if kind == INTEGER else (int, float)
        if isinstance(value, bool) or not isinstance(value, number_types) or abs(value) > MAX_SAFE_INTEGER:
            raise ActionRefused(
                f"{where} takes {'an integer' if kind == INTEGER else 'a number'}, not {value!r}"
            )
        low, high = definition.get("min_value"), definition.get("max_value")
        if (low is not None and value < low) or (high is not None and value > high):
            raise ActionRefused(f"{where} takes values from {low} to {high}, not {value}")
    elif kind == BOOLEAN:
        if not isinstance(value, bool):
            raise ActionRefused(f"{where} takes True or False, not {value!r}")
    elif kind in (USER, CHANNEL, ROLE, MENTIONABLE):
        return str(_resolve_entity(world, guild, where, definition, value, resolved))
    else:
        raise ActionRefused(f"{where} has type {kind}, which the local server cannot fill in")
    choices = definition.get("choices")
    if choices and value not in [c["value"] for c in choices]:
        raise ActionRefused(f"{where} must be one of {[c['value'] for c in choices]}, not {value!r}")
    return value


def _resolve_entity(
    world: World, guild: Guild | None, where: str, definition: JSON, value: Any, resolved: Resolved
) -> int:
    kind = definition["type"]
    entity_id = (
        value if isinstance(value, int) and not isinstance(value, bool) else getattr(value, "id", None)
    )
    if not isinstance(entity_id, int):
        raise ActionRefused(f"{where} takes an id or an object with one, not {value!r}")
    if kind in (ROLE, MENTIONABLE) and guild is not None and entity_id in guild.roles:
        resolved.roles[str(entity_id)] = role_payload(guild.roles[entity_id])
        return entity_id
    if kind in (USER, MENTIONABLE) and entity_id in world.users:
        user = world.users[entity_id]
        resolved.users[str(entity_id)] = user_payload(user)
        if guild is not None and entity_id in guild.members:
            member = guild.members[entity_id]
            permissions = guild.permissions_of(entity_id)
            resolved.members[str(entity_id)] = member_payload(
                member, with_user=False, permissions=permissions
            )
        return entity_id
    if kind == CHANNEL and entity_id in world.channels:
        channel = world.channels[entity_id]
        allowed = definition.get("channel_types")
        if channel.guild_id != (guild.id if guild else None) or (allowed and channel.type not in allowed):
            raise ActionRefused(f"{where} cannot take channel {channel.name!r}")
        resolved.channels[str(entity_id)] = {
            "id": str(channel.id),
            "name": channel.name,
            "type": channel.type,
            "permissions": str(resolved.viewer_permissions),
            "parent_id": None,
            "nsfw": False,
            "position": channel.position,
            "flags": 0,
            "rate_limit_per_user": 0,
            "last_message_id": None,
        }
        return entity_id
    raise ActionRefused(
        f"{where} cannot take {value!r}: no such {'role' if kind == ROLE else 'user or channel'}"
    )
