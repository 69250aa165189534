"""Channel and DM routes: create, read, edit and delete the bot's messages; serve uploaded files."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from aiohttp import web

from ._errors import DiscordError, cannot_message_user, unknown
from ._http import body_of, json_object, no_content, reply, snowflake
from ._messages import apply_edit, check_message, new_message
from ._model import DM_CHANNEL, Channel, Message, utcnow
from ._payloads import channel_payload, message_payload
from ._rest import API_PREFIX
from ._state import World

# How long Discord remembers a message's nonce for enforce_nonce (its documentation: a few minutes).
NONCE_KEPT = timedelta(minutes=5)


class MessageRoutes:
    def __init__(self, world: World) -> None:
        self.world = world

    def register(self, router: web.UrlDispatcher) -> None:
        api = API_PREFIX
        router.add_post(f"{api}/users/@me/channels", self.create_dm)
        router.add_get(f"{api}/channels/{{channel_id}}", self.get_channel)
        router.add_get(f"{api}/channels/{{channel_id}}/messages", self.list_messages)
        router.add_post(f"{api}/channels/{{channel_id}}/messages", self.create_message)
        router.add_post(f"{api}/channels/{{channel_id}}/typing", self.typing)
        router.add_get(f"{api}/channels/{{channel_id}}/messages/{{message_id}}", self.get_message)
        router.add_patch(f"{api}/channels/{{channel_id}}/messages/{{message_id}}", self.edit_message)
        router.add_delete(f"{api}/channels/{{channel_id}}/messages/{{message_id}}", self.delete_message)
        router.add_get("/attachments/{channel_id}/{attachment_id}/{filename}", self.attachment)

    def _channel(self, request: web.Request) -> Channel:
        channel = self.world.channels.get(snowflake(request, "channel_id"))
        if channel is None:
            raise unknown("Channel", 10003)
        return channel

    def _message(self, request: web.Request, channel: Channel) -> Message:
        message = self.world.messages.get(snowflake(request, "message_id"))
        # Ephemeral messages belong to their interaction; the channel routes cannot see them.
        if message is None or message.channel_id != channel.id or message.deleted or message.ephemeral:
            raise unknown("Message", 10008)
        return message

    def _payload(self, channel: Channel) -> dict[str, object]:
        recipient = self.world.users.get(channel.recipient_id) if channel.recipient_id else None
        return channel_payload(channel, recipient=recipient)

    def _message_payload(self, message: Message) -> dict[str, object]:
        return message_payload(message, application_id=self.world.application_id)

    async def create_dm(self, request: web.Request) -> web.Response:
        recipient_id = json_object(request).get("recipient_id")
        user = self.world.users.get(int(str(recipient_id))) if str(recipient_id).isdigit() else None
        if user is None or user.bot:
            raise DiscordError(400, 50033, "Invalid Recipient(s)")
        # Opening the channel succeeds even when the user closed their DMs; sending will not.
        return reply(self._payload(self.world.dm_channel_of(user)))

    async def get_channel(self, request: web.Request) -> web.Response:
        return reply(self._payload(self._channel(request)))

    async def list_messages(self, request: web.Request) -> web.Response:
        channel = self._channel(request)
        limit = min(int(request.query.get("limit", "50")), 100)
        messages = [m for m in self.world.channel_messages(channel) if not m.ephemeral]
        return reply([self._message_payload(m) for m in reversed(messages)][:limit])

    async def create_message(self, request: web.Request) -> web.Response:
        channel = self._channel(request)
        if channel.type == DM_CHANNEL and channel.recipient_id is not None:
            recipient = self.world.users[channel.recipient_id]
            if not recipient.dms_open:
                self.world.rejected_dms.append(recipient.id)
                self.world.changes.notify()
                raise cannot_message_user()
        check_message(json_object(request))
        repeated = self._same_nonce(channel.id, json_object(request))
        if repeated is not None:
            return reply(self._message_payload(repeated))
        message = new_message(
            self.world,
            channel_id=channel.id,
            guild_id=channel.guild_id,
            body=body_of(request),
            author=self.world.bot_user,
        )
        return reply(self._message_payload(message))

    def _same_nonce(self, channel_id: int, payload: dict[str, Any]) -> Message | None:
        """With ``enforce_nonce``, Discord answers a send whose nonce the same author used in the last
        few minutes with the message that send made, and creates nothing."""
        nonce = payload.get("nonce")
        if nonce is None or not payload.get("enforce_nonce"):
            return None
        since = utcnow() - NONCE_KEPT
        return next(
            (
                m
                for m in reversed(self.world.channel_log.get(channel_id, []))
                if m.nonce == nonce and m.author is self.world.bot_user and m.created_at >= since
            ),
            None,
        )

    async def typing(self, request: web.Request) -> web.Response:
        self._channel(request)
        return no_content()

    async def get_message(self, request: web.Request) -> web.Response:
        channel = self._channel(request)
        return reply(self._message_payload(self._message(request, channel)))

    async def edit_message(self, request: web.Request) -> web.Response:
        channel = self._channel(request)
        message = self._message(request, channel)
        if message.author is not self.world.bot_user:
            raise DiscordError(
                403, 50005, "Cannot edit a message authored by another user", violation="edit-foreign-message"
            )
        check_message(json_object(request))
        apply_edit(self.world, message, body_of(request))
        return reply(self._message_payload(message))

    async def delete_message(self, request: web.Request) -> web.Response:
        channel = self._channel(request)
        message = self._message(request, channel)
        message.deleted = True
        self.world.changes.notify()
        return no_content()

    async def attachment(self, request: web.Request) -> web.Response:
        attachment_id = snowflake(request, "attachment_id")
        for message in self.world.channel_log.get(snowflake(request, "channel_id"), []):
            for attachment in message.attachments:
                if attachment.id == attachment_id:
                    content_type = attachment.content_type or "application/octet-stream"
                    return web.Response(body=attachment.data, headers={"Content-Type": content_type})
        raise web.HTTPNotFound()
