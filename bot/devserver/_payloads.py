"""The JSON shapes Discord uses for users, members, roles, channels, guilds and messages."""

from __future__ import annotations

from ._model import (
    DM_CHANNEL,
    JSON,
    Attachment,
    Channel,
    Guild,
    Member,
    Message,
    Role,
    User,
)

APPLICATION_COMMAND_REPLY = 20


def user_payload(user: User) -> JSON:
    return {
        "id": str(user.id),
        "username": user.name,
        "global_name": None if user.bot else user.name,
        "discriminator": "0",
        "avatar": None,
        "bot": user.bot,
        "public_flags": 0,
        "flags": 0,
        "banner": None,
        "accent_color": None,
        "avatar_decoration_data": None,
    }


def role_payload(role: Role) -> JSON:
    return {
        "id": str(role.id),
        "name": role.name,
        "color": role.color,
        "hoist": False,
        "icon": None,
        "unicode_emoji": None,
        "position": role.position,
        "permissions": str(role.permissions),
        "managed": False,
        "mentionable": False,
        "flags": 0,
    }


def channel_payload(channel: Channel, *, recipient: User | None = None) -> JSON:
    if channel.type == DM_CHANNEL:
        return {
            "id": str(channel.id),
            "type": DM_CHANNEL,
            "recipients": [user_payload(recipient)] if recipient else [],
            "last_message_id": None,
            "flags": 0,
        }
    return {
        "id": str(channel.id),
        "type": channel.type,
        "guild_id": str(channel.guild_id),
        "name": channel.name,
        "position": channel.position,
        "permission_overwrites": [],
        "nsfw": False,
        "topic": channel.topic,
        "parent_id": None,
        "rate_limit_per_user": 0,
        "last_message_id": None,
        "flags": 0,
    }


def member_payload(member: Member, *, with_user: bool = True, permissions: int | None = None) -> JSON:
    payload: JSON = {
        "roles": [str(r) for r in member.role_ids],
        "nick": member.nick,
        "avatar": None,
        "banner": None,
        "joined_at": member.joined_at.isoformat(),
        "premium_since": None,
        "deaf": False,
        "mute": False,
        "pending": False,
        "flags": 0,
        "communication_disabled_until": None,
    }
    if with_user:
        payload["user"] = user_payload(member.user)
    if permissions is not None:
        payload["permissions"] = str(permissions)
    return payload


def _bot_joined_at(guild: Guild) -> str | None:
    # GUILD_CREATE's `joined_at` is when the bot joined.
    joined = [m.joined_at for m in guild.members.values() if m.user.bot]
    return joined[0].isoformat() if joined else None


def guild_payload(guild: Guild) -> JSON:
    """A GUILD_CREATE body: the guild with its channels, roles and members (the bot among them)."""
    return {
        "id": str(guild.id),
        "name": guild.name,
        "icon": None,
        "splash": None,
        "discovery_splash": None,
        "banner": None,
        "description": None,
        "owner_id": str(guild.owner_id),
        "afk_channel_id": None,
        "afk_timeout": 300,
        "verification_level": 0,
        "default_message_notifications": 0,
        "explicit_content_filter": 0,
        "mfa_level": 0,
        "nsfw_level": 0,
        "premium_tier": 0,
        "premium_subscription_count": 0,
        "premium_progress_bar_enabled": False,
        "preferred_locale": guild.preferred_locale,
        "system_channel_id": None,
        "system_channel_flags": 0,
        "rules_channel_id": None,
        "public_updates_channel_id": None,
        "safety_alerts_channel_id": None,
        "vanity_url_code": None,
        "features": [],
        "max_members": 500000,
        "max_video_channel_users": 25,
        "roles": [role_payload(r) for r in guild.roles.values()],
        "emojis": [],
        "stickers": [],
        "channels": [channel_payload(c) for c in guild.channels.values()],
        "members": [member_payload(m) for m in guild.members.values()],
        "member_count": len(guild.members),
        "large": False,
        "unavailable": False,
        "joined_at": _bot_joined_at(guild),
        "voice_states": [],
        "presences": [],
        "threads": [],
        "stage_instances": [],
        "guild_scheduled_events": [],
        "soundboard_sounds": [],
    }


def attachment_payload(attachment: Attachment) -> JSON:
    payload: JSON = {
        "id": str(attachment.id),
        "filename": attachment.filename,
        "size": attachment.size,
        "url": attachment.url,
        "proxy_url": attachment.url,
        "content_type": attachment.content_type,
    }
    if attachment.description is not None:
        payload["description"] = attachment.description
    return payload


def message_payload(message: Message, *, application_id: int) -> JSON:
    from_interaction = message.interaction_metadata is not None
    payload: JSON = {
        "id": str(message.id),
        "channel_id": str(message.channel_id),
        "author": user_payload(message.author),
        "content": message.content,
        "timestamp": message.created_at.isoformat(),
        "edited_timestamp": message.edited_at.isoformat() if message.edited_at else None,
        "tts": False,
        "mention_everyone": False,
        "mentions": [],
        "mention_roles": [],
        "attachments": [attachment_payload(a) for a in message.attachments],
        "embeds": message.embeds,
        "components": message.components,
        "pinned": False,
        "type": APPLICATION_COMMAND_REPLY
        if from_interaction and (message.interaction_metadata or {}).get("type") == 2
        else 0,
        "flags": message.flags,
    }
    if message.guild_id is not None:
        payload["guild_id"] = str(message.guild_id)
    if message.webhook_id is not None:
        payload["webhook_id"] = str(message.webhook_id)
    if from_interaction:
        payload["application_id"] = str(application_id)
        payload["interaction_metadata"] = message.interaction_metadata
    if message.nonce is not None:
        payload["nonce"] = message.nonce
    return payload
