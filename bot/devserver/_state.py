"""The world the server holds: guilds, members and messages; building it, reading it, and its violations."""

from __future__ import annotations

import base64
import secrets
from collections.abc import Callable, Iterable
from typing import Protocol

from ._config import DevServerConfig
from ._errors import ActionRefused
from ._ids import SnowflakeGenerator
from ._interactions import InteractionRecord
from ._model import (
    CHANNEL_KINDS,
    DEFAULT_EVERYONE_PERMISSIONS,
    DM_CHANNEL,
    JSON,
    TEXT_CHANNEL,
    Channel,
    Guild,
    Member,
    Message,
    Role,
    User,
    Violation,
)
from ._payloads import channel_payload, guild_payload, member_payload, role_payload
from ._signal import ChangeSignal

DEFAULT_WAIT = 5.0

GuildRef = Guild | int
UserRef = User | Member | int


class EventSink(Protocol):
    """Where world events go once the bot is connected (the gateway)."""

    def __call__(self, guild_id: int | None, event: str, data: JSON) -> None: ...


def _user_id(user: UserRef) -> int:
    return user if isinstance(user, int) else user.id


class World:
    def __init__(self, config: DevServerConfig | None = None) -> None:
        self.config = config or DevServerConfig()
        self.clock = self.config.clock
        self.ids = SnowflakeGenerator()
        self.changes = ChangeSignal()
        self.base_url = ""
        self.application_id = self.ids.next()
        # A bot's user id is its application's id on Discord.
        self.bot_user = User(id=self.application_id, name=self.config.bot_name, bot=True)
        encoded_id = base64.urlsafe_b64encode(str(self.bot_user.id).encode()).decode().rstrip("=")
        self.token = f"{encoded_id}.devserver.{secrets.token_urlsafe(18)}"
        self.users: dict[int, User] = {self.bot_user.id: self.bot_user}
        self.guilds: dict[int, Guild] = {}
        self.channels: dict[int, Channel] = {}
        self.dm_channels: dict[int, Channel] = {}
        self.messages: dict[int, Message] = {}
        self.channel_log: dict[int, list[Message]] = {}
        self.interactions: dict[int, InteractionRecord] = {}
        self.global_commands: list[JSON] = []
        self.guild_commands: dict[int, list[JSON]] = {}
        self.command_syncs = 0
        self.violations: list[Violation] = []
        # Users a DM could not reach because they closed their DMs (Discord answers 403 50007).
        self.rejected_dms: list[int] = []
        # Each 429 the server gave; honoured ones are not violations, but a test may want to see them.
        self.rate_limited: list[str] = []
        self._read_cursors: dict[int, int] = {}
        self.emit_event: EventSink | None = None

    # --- building the world -------------------------------------------------------------------------

    def add_user(self, name: str, *, locale: str = "en-US", dms_open: bool = True) -> User:
        user = User(id=self.ids.next(), name=name, locale=locale, dms_open=dms_open)
        self.users[user.id] = user
        return user

    def add_guild(
        self,
        name: str,
        *,
        owner: User | None = None,
        locale: str = "en-US",
        shard: tuple[int, int] | None = None,
        channel_names: Iterable[str] = ("general",),
    ) -> Guild:
        """A guild the bot is in; `shard=(id, count)` picks an id that Discord would route to that shard."""
        guild_id = self.ids.next_on_shard(*shard) if shard else self.ids.next()
        owner = owner or self.add_user(f"{name} owner")
        guild = Guild(id=guild_id, name=name, owner_id=owner.id, preferred_locale=locale)
        guild.roles[guild.id] = Role(
            id=guild.id, guild_id=guild.id, name="@everyone", permissions=DEFAULT_EVERYONE_PERMISSIONS
        )
        self.guilds[guild.id] = guild
        for position, channel_name in enumerate(channel_names):
            self._store_channel(
                Channel(self.ids.next(), TEXT_CHANNEL, channel_name, guild_id=guild.id, position=position)
            )
        for user in (self.bot_user, owner):
            guild.members[user.id] = Member(guild_id=guild.id, user=user)
        self._emit(guild.id, "GUILD_CREATE", lambda: guild_payload(guild))
        return guild

    def add_role(self, guild: GuildRef, name: str, *, permissions: int = 0, color: int = 0) -> Role:
        target = self.guild(guild)
        role = Role(
            self.ids.next(), target.id, name, permissions=permissions, position=len(target.roles), color=color
        )
        target.roles[role.id] = role
        self._emit(
            target.id, "GUILD_ROLE_CREATE", lambda: {"guild_id": str(target.id), "role": role_payload(role)}
        )
        return role

    def add_channel(
        self, guild: GuildRef, name: str, *, kind: str = "text", topic: str | None = None
    ) -> Channel:
        target = self.guild(guild)
        channel = Channel(
            self.ids.next(),
            CHANNEL_KINDS[kind],
            name,
            guild_id=target.id,
            position=len(target.channels),
            topic=topic,
        )
        self._store_channel(channel)
        self._emit(target.id, "CHANNEL_CREATE", lambda: channel_payload(channel))
        return channel

    def add_member(
        self,
        guild: GuildRef,
        user: User | str,
        *,
        roles: Iterable[Role | int] = (),
        dms_open: bool | None = None,
        locale: str | None = None,
        nick: str | None = None,
    ) -> Member:
        """Put a user (or a new user of that name) in a guild; DM and locale settings belong to the user."""
        target = self.guild(guild)
        if isinstance(user, str):
            user = self.add_user(user)
        if dms_open is not None:
            user.dms_open = dms_open
        if locale is not None:
            user.locale = locale
        role_ids = [r if isinstance(r, int) else r.id for r in roles]
        unknown_roles = [r for r in role_ids if r not in target.roles]
        if unknown_roles:
            raise ValueError(f"roles {unknown_roles} are not in guild {target.name!r}")
        member = Member(guild_id=target.id, user=user, role_ids=role_ids, nick=nick)
        target.members[user.id] = member
        self._emit(
            target.id, "GUILD_MEMBER_ADD", lambda: {**member_payload(member), "guild_id": str(target.id)}
        )
        return member

    def _store_channel(self, channel: Channel) -> None:
        self.channels[channel.id] = channel
        if channel.guild_id is not None:
            self.guilds[channel.guild_id].channels[channel.id] = channel

    def _emit(self, guild_id: int, event: str, data: Callable[[], JSON]) -> None:
        if self.emit_event is not None:
            self.emit_event(guild_id, event, data())

    # --- looking things up --------------------------------------------------------------------------

    def guild(self, guild: GuildRef) -> Guild:
        guild_id = guild if isinstance(guild, int) else guild.id
        try:
            return self.guilds[guild_id]
        except KeyError:
            raise ActionRefused(f"no guild {guild_id}") from None

    def user(self, user: UserRef) -> User:
        user_id = _user_id(user)
        try:
            return self.users[user_id]
        except KeyError:
            raise ActionRefused(f"no user {user_id}") from None

    def member(self, guild: GuildRef, user: UserRef) -> Member:
        target = self.guild(guild)
        try:
            return target.members[_user_id(user)]
        except KeyError:
            raise ActionRefused(f"user {_user_id(user)} is not a member of guild {target.name!r}") from None

    def dm_channel_of(self, user: User) -> Channel:
        channel = self.dm_channels.get(user.id)
        if channel is None:
            channel = Channel(self.ids.next(), DM_CHANNEL, "", recipient_id=user.id)
            self.dm_channels[user.id] = channel
            self.channels[channel.id] = channel
        return channel

    # --- messages -----------------------------------------------------------------------------------

    def store_message(self, message: Message) -> Message:
        message._changes = self.changes
        self.messages[message.id] = message
        self.channel_log.setdefault(message.channel_id, []).append(message)
        self.changes.notify()
        return message

    def channel_messages(self, channel: Channel | int, *, as_user: UserRef | None = None) -> list[Message]:
        """Messages in the channel that everyone sees, plus the ephemeral ones shown to `as_user`."""
        channel_id = channel if isinstance(channel, int) else channel.id
        viewer = None if as_user is None else _user_id(as_user)
        return [
            m
            for m in self.channel_log.get(channel_id, [])
            if not m.deleted and not m.loading and m.visible_to in (None, viewer)
        ]

    def dms(self, user: UserRef) -> list[Message]:
        channel = self.dm_channels.get(_user_id(user))
        return [] if channel is None else self.channel_messages(channel, as_user=user)

    async def wait_for_dm(self, user: UserRef, *, within: float = DEFAULT_WAIT) -> Message:
        """The user's next DM not yet returned by this method, waiting for it to arrive."""
        user_id = _user_id(user)
        return await self._next_unread(lambda: self.dms(user_id), user_id, within, f"a DM to user {user_id}")

    async def wait_for_channel_message(
        self, channel: Channel | int, *, within: float = DEFAULT_WAIT
    ) -> Message:
        """The channel's next public message not yet returned by this method."""
        channel_id = channel if isinstance(channel, int) else channel.id
        return await self._next_unread(
            lambda: self.channel_messages(channel_id),
            channel_id,
            within,
            f"a message in channel {channel_id}",
        )

    async def _next_unread(
        self, messages: Callable[[], list[Message]], key: int, within: float, what: str
    ) -> Message:
        def probe() -> Message | None:
            seen = self._read_cursors.get(key, 0)
            current = messages()
            return current[seen] if len(current) > seen else None

        message = await self.changes.wait_for(probe, within=within, what=what)
        self._read_cursors[key] = self._read_cursors.get(key, 0) + 1
        return message

    # --- commands -----------------------------------------------------------------------------------

    def commands(self, guild: GuildRef | None = None) -> list[JSON]:
        """The commands the bot synced: global ones, or a guild's own when `guild` is given."""
        if guild is None:
            return list(self.global_commands)
        return list(self.guild_commands.get(self.guild(guild).id, []))

    async def wait_for_command_sync(self, syncs: int = 1, *, within: float = DEFAULT_WAIT) -> None:
        await self.changes.wait_for(
            lambda: True if self.command_syncs >= syncs else None,
            within=within,
            what=f"{syncs} command sync(s)",
        )

    # --- violations ---------------------------------------------------------------------------------

    def record_violation(self, rule: str, detail: str, request: str = "") -> None:
        self.violations.append(Violation(rule=rule, detail=detail, request=request))
        self.changes.notify()

    def take_violations(self, rule: str | None = None) -> list[Violation]:
        """Remove and return the violations (of one rule, if given), for a test that provoked them."""
        taken = [v for v in self.violations if rule is None or v.rule == rule]
        self.violations = [v for v in self.violations if v not in taken]
        return taken
