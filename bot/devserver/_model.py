"""The server's world: users, guilds and what the bot posted, as plain objects a test can read."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from ._signal import ChangeSignal

JSON = dict[str, Any]

EPHEMERAL = 1 << 6
LOADING = 1 << 7
COMPONENTS_V2 = 1 << 15

TEXT_CHANNEL = 0
DM_CHANNEL = 1
VOICE_CHANNEL = 2
CATEGORY_CHANNEL = 4
CHANNEL_KINDS = {"text": TEXT_CHANNEL, "voice": VOICE_CHANNEL, "category": CATEGORY_CHANNEL}

ADMINISTRATOR = 1 << 3
# @everyone on a new Discord server: invite, react, view, send, embed, attach, history, external emoji,
# connect, speak, change nickname, use application commands.
DEFAULT_EVERYONE_PERMISSIONS = sum(1 << bit for bit in (0, 6, 10, 11, 14, 15, 16, 18, 20, 21, 26, 31))
ALL_PERMISSIONS = (1 << 51) - 1


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(eq=False)
class User:
    id: int
    name: str
    bot: bool = False
    locale: str = "en-US"
    dms_open: bool = True

    @property
    def mention(self) -> str:
        return f"<@{self.id}>"


@dataclass(eq=False)
class Role:
    id: int
    guild_id: int
    name: str
    permissions: int = 0
    position: int = 0
    color: int = 0


@dataclass(eq=False)
class Channel:
    id: int
    type: int
    name: str
    guild_id: int | None = None
    position: int = 0
    recipient_id: int | None = None
    topic: str | None = None


@dataclass(eq=False)
class Member:
    guild_id: int
    user: User
    role_ids: list[int] = field(default_factory=list)
    nick: str | None = None
    joined_at: datetime = field(default_factory=utcnow)

    @property
    def id(self) -> int:
        return self.user.id


@dataclass(eq=False)
class Guild:
    id: int
    name: str
    owner_id: int
    preferred_locale: str = "en-US"
    roles: dict[int, Role] = field(default_factory=dict)
    channels: dict[int, Channel] = field(default_factory=dict)
    members: dict[int, Member] = field(default_factory=dict)

    @property
    def everyone_role(self) -> Role:
        return self.roles[self.id]

    def text_channels(self) -> list[Channel]:
        return [c for c in self.channels.values() if c.type == TEXT_CHANNEL]

    def permissions_of(self, user_id: int) -> int:
        if user_id == self.owner_id:
            return ALL_PERMISSIONS
        member = self.members.get(user_id)
        role_ids = [self.id, *(member.role_ids if member else [])]
        value = 0
        for role_id in role_ids:
            role = self.roles.get(role_id)
            if role is not None:
                value |= role.permissions
        return ALL_PERMISSIONS if value & ADMINISTRATOR else value


@dataclass(eq=False)
class Attachment:
    id: int
    filename: str
    data: bytes
    url: str
    content_type: str | None = None
    description: str | None = None

    @property
    def size(self) -> int:
        return len(self.data)


@dataclass(frozen=True)
class MessageRevision:
    """How a message looked before one edit."""

    content: str
    embeds: list[JSON]
    components: list[JSON]
    attachments: list[Attachment]
    flags: int
    replaced_at: datetime


@dataclass(eq=False)
class Message:
    id: int
    channel_id: int
    author: User
    guild_id: int | None = None
    content: str = ""
    embeds: list[JSON] = field(default_factory=list)
    components: list[JSON] = field(default_factory=list)
    attachments: list[Attachment] = field(default_factory=list)
    flags: int = 0
    created_at: datetime = field(default_factory=utcnow)
    edited_at: datetime | None = None
    # Only this user sees an ephemeral message; None means everyone who can read the channel.
    visible_to: int | None = None
    interaction_id: int | None = None
    webhook_id: int | None = None
    interaction_metadata: JSON | None = None
    nonce: str | int | None = None
    deleted: bool = False
    history: list[MessageRevision] = field(default_factory=list)
    _changes: ChangeSignal | None = field(default=None, repr=False)

    @property
    def ephemeral(self) -> bool:
        return bool(self.flags & EPHEMERAL)

    @property
    def loading(self) -> bool:
        return bool(self.flags & LOADING)

    def remember_revision(self) -> None:
        self.history.append(
            MessageRevision(
                content=self.content,
                embeds=copy.deepcopy(self.embeds),
                components=copy.deepcopy(self.components),
                attachments=list(self.attachments),
                flags=self.flags,
                replaced_at=utcnow(),
            )
        )

    def walk_components(self) -> Iterator[JSON]:
        yield from walk_components(self.components)

    @property
    def buttons(self) -> list[JSON]:
        return [c for c in self.walk_components() if c.get("type") == 2]

    def component(self, *, custom_id: str | None = None, label: str | None = None) -> JSON | None:
        for component in self.walk_components():
            if custom_id is not None and component.get("custom_id") == custom_id:
                return component
            if label is not None and component.get("label") == label:
                return component
        return None

    def attachment(self, filename: str) -> Attachment:
        for attachment in self.attachments:
            if attachment.filename == filename:
                return attachment
        names = [a.filename for a in self.attachments]
        raise KeyError(f"message {self.id} has no attachment {filename!r}; it has {names}")

    async def wait_for_edits(self, count: int = 1, *, within: float = 5.0) -> Message:
        """Wait until the message has been edited at least `count` times in all."""
        if self._changes is None:
            raise RuntimeError("this message is not held by a running server")
        return await self._changes.wait_for(
            lambda: self if len(self.history) >= count else None,
            within=within,
            what=f"{count} edit(s) of message {self.id}",
        )


def walk_components(components: list[JSON]) -> Iterator[JSON]:
    for component in components:
        yield component
        nested: list[JSON] = list(component.get("components") or [])
        for key in ("component", "accessory"):
            child = component.get(key)
            if isinstance(child, dict):
                nested.append(child)
        yield from walk_components(nested)


@dataclass(frozen=True)
class Violation:
    """A breach of Discord's documented rules by the bot, with the request that made it."""

    rule: str
    detail: str
    request: str = ""

    def __str__(self) -> str:
        where = f" ({self.request})" if self.request else ""
        return f"[{self.rule}] {self.detail}{where}"
