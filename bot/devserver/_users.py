"""Acting as Discord users: run slash commands, type into autocomplete, click, select, submit modals."""

from __future__ import annotations

import contextlib
import secrets
from collections.abc import Mapping, Sequence
from typing import Any

from ._command_rules import VALID_LOCALES
from ._errors import ActionRefused
from ._interactions import (
    APPLICATION_COMMAND,
    AUTOCOMPLETE,
    DEFAULT_WAIT,
    MESSAGE_COMPONENT,
    MODAL_SUBMIT,
    InteractionRecord,
    InteractionResult,
    Modal,
)
from ._modals import FieldValue, submission_components
from ._model import DM_CHANNEL, JSON, Channel, Guild, Message, User
from ._options import command_data
from ._payloads import channel_payload, member_payload, message_payload, user_payload
from ._rules import BUTTON, LINK_STYLE, PREMIUM_STYLE, SELECT_TYPES
from ._signal import WaitTimeout
from ._state import GuildRef, UserRef, World

MAX_CUSTOM_ID = 100  # Discord's limit on a component's custom_id


class UserActions(World):
    def _deliver(self, guild_id: int | None, payload: JSON) -> None:
        raise NotImplementedError("the server delivers interactions through its gateway")

    # --- slash commands -----------------------------------------------------------------------------

    async def run_command(
        self,
        guild: GuildRef | None,
        user: UserRef,
        name: str,
        options: Mapping[str, Any] | None = None,
        *,
        channel: Channel | int | None = None,
        locale: str | None = None,
    ) -> InteractionResult:
        """Run `/name` (subcommands separated by spaces) as `user`; `guild=None` runs it in the bot's DM."""
        target = None if guild is None else self.guild(guild)
        actor = self._actor(target, user)
        data = command_data(self, target, actor, name, options or {})
        where = self._channel_for(target, actor, channel)
        return self._start(APPLICATION_COMMAND, actor, target, where, name, data, locale=locale)

    async def autocomplete(
        self,
        guild: GuildRef | None,
        user: UserRef,
        name: str,
        *,
        focused: str,
        value: str,
        options: Mapping[str, Any] | None = None,
        channel: Channel | int | None = None,
        locale: str | None = None,
        within: float = DEFAULT_WAIT,
    ) -> list[JSON]:
        """Type `value` into option `focused` of `/name` and return the choices the bot offers."""
        target = None if guild is None else self.guild(guild)
        actor = self._actor(target, user)
        values = {**(options or {}), focused: value}
        data = command_data(self, target, actor, name, values, focused=focused)
        where = self._channel_for(target, actor, channel)
        result = self._start(AUTOCOMPLETE, actor, target, where, name, data, locale=locale)
        return await result.wait_for_choices(within=within)

    # --- components ---------------------------------------------------------------------------------

    async def click(
        self,
        user: UserRef,
        message: Message | int,
        *,
        label: str | None = None,
        custom_id: str | None = None,
        locale: str | None = None,
    ) -> InteractionResult:
        """Click the button with this label or custom_id on a message the user can see."""
        if (label is None) == (custom_id is None):
            raise ValueError("name the button by exactly one of label= or custom_id=")
        actor, target, shown = self._visible_message(user, message)
        button = shown.component(custom_id=custom_id, label=label)
        if button is None or button.get("type") != BUTTON:
            labels = [b.get("label") or b.get("custom_id") for b in shown.buttons]
            raise ActionRefused(f"message {shown.id} has no button {label or custom_id!r}; it has {labels}")
        if button.get("disabled"):
            raise ActionRefused(f"button {label or custom_id!r} is disabled")
        if button.get("style") in (LINK_STYLE, PREMIUM_STYLE):
            raise ActionRefused(
                f"button {label or custom_id!r} opens a link or a purchase, not an interaction"
            )
        return self._press(actor, target, shown, button["custom_id"], locale)

    async def forge_click(
        self, user: UserRef, message: Message | int, custom_id: str, *, locale: str | None = None
    ) -> InteractionResult:
        """FORGED: a button click for any `custom_id`, as a modified client could try to send one.

        Discord's client only sends the custom ids of enabled buttons shown on the message, and that is
        all `click` does. A forged request names whatever id it likes: a button that is not on the
        message (another server's event in `picket:book:<id>`, someone's cart), or a disabled one. Only
        the custom id is made up; the rest is what Discord would send: the click comes from `user`, on a
        message they can see, in that message's channel and guild (refused otherwise, as for `click`),
        and the interaction's `message` is that message as it really is, so the forged button is not on
        it. Use it to test that a bot trusts no custom id it did not put on that message; whether the
        bot's library even hands such a click to the bot's code is part of what it shows. (Discord may
        itself turn such a request away; a bot should not count on that, and this server does not.)
        """
        if not 1 <= len(custom_id) <= MAX_CUSTOM_ID:
            raise ValueError(f"a custom_id has 1 to {MAX_CUSTOM_ID} characters, a forged one too")
        actor, target, shown = self._visible_message(user, message)
        return self._press(actor, target, shown, custom_id, locale)

    def _press(
        self, actor: User, guild: Guild | None, shown: Message, custom_id: str, locale: str | None
    ) -> InteractionResult:
        data = {"custom_id": custom_id, "component_type": BUTTON}
        return self._start(
            MESSAGE_COMPONENT, actor, guild, shown.channel_id, custom_id, data, locale=locale, source=shown
        )

    async def select(
        self,
        user: UserRef,
        message: Message | int,
        custom_id: str,
        values: Sequence[str | int | Any],
        *,
        locale: str | None = None,
    ) -> InteractionResult:
        """Pick `values` in the select menu `custom_id`: option values, or ids for user/role/channel menus."""
        actor, target, shown = self._visible_message(user, message)
        menu = shown.component(custom_id=custom_id)
        if menu is None or menu.get("type") not in SELECT_TYPES:
            raise ActionRefused(f"message {shown.id} has no select menu {custom_id!r}")
        if menu.get("disabled"):
            raise ActionRefused(f"select menu {custom_id!r} is disabled")
        low, high = menu.get("min_values", 1), menu.get("max_values", 1)
        if not low <= len(values) <= high:
            raise ActionRefused(f"select menu {custom_id!r} takes {low} to {high} values, not {len(values)}")
        picked = [str(v if isinstance(v, str | int) else v.id) for v in values]
        if menu["type"] == 3:
            offered = [o["value"] for o in menu.get("options") or []]
            missing = [v for v in picked if v not in offered]
            if missing:
                raise ActionRefused(f"{missing} are not options of {custom_id!r}; it offers {offered}")
        data = {"custom_id": custom_id, "component_type": menu["type"], "values": picked}
        return self._start(
            MESSAGE_COMPONENT, actor, target, shown.channel_id, custom_id, data, locale=locale, source=shown
        )

    async def submit_modal(
        self, user: UserRef, modal: Modal, values: Mapping[str, FieldValue], *, locale: str | None = None
    ) -> InteractionResult:
        """Fill in and submit a modal the bot showed to this user."""
        actor = self.user(user)
        if actor.id != modal.user_id:
            raise ActionRefused(
                f"modal {modal.custom_id!r} was shown to user {modal.user_id}, not {actor.id}"
            )
        if modal.submitted:
            raise ActionRefused(f"modal {modal.custom_id!r} was already submitted")
        components = submission_components(modal, values)
        opener = modal.opened_by
        target = None if opener.guild_id is None else self.guild(opener.guild_id)
        data = {"custom_id": modal.custom_id, "components": components}
        result = self._start(
            MODAL_SUBMIT,
            actor,
            target,
            opener.channel_id,
            modal.custom_id,
            data,
            locale=locale or opener.locale,
            source=opener.source_message,
        )
        modal.submitted = True
        return result

    # --- plumbing -----------------------------------------------------------------------------------

    def _actor(self, guild: Guild | None, user: UserRef) -> User:
        return self.member(guild, user).user if guild is not None else self.user(user)

    def _channel_for(self, guild: Guild | None, user: User, channel: Channel | int | None) -> int:
        if guild is None:
            return self.dm_channel_of(user).id
        if channel is None:
            text_channels = guild.text_channels()
            if not text_channels:
                raise ActionRefused(f"guild {guild.name!r} has no text channel to run a command in")
            return text_channels[0].id
        channel_id = channel if isinstance(channel, int) else channel.id
        if channel_id not in guild.channels:
            raise ActionRefused(f"channel {channel_id} is not in guild {guild.name!r}")
        return channel_id

    def _visible_message(self, user: UserRef, message: Message | int) -> tuple[User, Guild | None, Message]:
        shown = self.messages.get(message if isinstance(message, int) else message.id)
        if shown is None or shown.deleted:
            raise ActionRefused(
                f"message {message if isinstance(message, int) else message.id} does not exist"
            )
        actor = self.user(user)
        if shown.visible_to not in (None, actor.id):
            raise ActionRefused(f"message {shown.id} is ephemeral and shown to someone else")
        channel = self.channels[shown.channel_id]
        if channel.type == DM_CHANNEL:
            if channel.recipient_id != actor.id:
                raise ActionRefused(f"message {shown.id} is in someone else's DMs")
            return actor, None, shown
        guild = self.guild(shown.guild_id or 0)
        self.member(guild, actor)
        return actor, guild, shown

    def _start(
        self,
        kind: int,
        user: User,
        guild: Guild | None,
        channel_id: int,
        name: str,
        data: JSON,
        *,
        locale: str | None,
        source: Message | None = None,
    ) -> InteractionResult:
        locale = locale or user.locale
        if locale not in VALID_LOCALES:
            raise ValueError(f"{locale!r} is not a Discord locale")
        record = InteractionRecord(
            id=self.ids.next(),
            token=f"aW50ZXJhY3Rpb24{secrets.token_urlsafe(60)}",
            type=kind,
            user=user,
            guild_id=guild.id if guild else None,
            channel_id=channel_id,
            created_at=self.clock.monotonic(),
            locale=locale,
            name=name,
            source_message=source,
        )
        record.payload = self._interaction_payload(record, guild, data)
        self._deliver(record.guild_id, record.payload)
        self.interactions[record.id] = record
        self.changes.notify()
        return InteractionResult(record, self.changes)

    def _interaction_payload(self, record: InteractionRecord, guild: Guild | None, data: JSON) -> JSON:
        channel = self.channels[record.channel_id]
        payload: JSON = {
            "id": str(record.id),
            "application_id": str(self.application_id),
            "type": record.type,
            "data": data,
            "token": record.token,
            "version": 1,
            "locale": record.locale,
            "entitlements": [],
            "entitlement_sku_ids": [],
            "attachment_size_limit": self.config.max_upload_bytes,
            "channel_id": str(channel.id),
        }
        if guild is not None:
            permissions = guild.permissions_of(record.user.id)
            payload.update(
                guild_id=str(guild.id),
                guild={"id": str(guild.id), "locale": guild.preferred_locale, "features": []},
                guild_locale=guild.preferred_locale,
                member=member_payload(guild.members[record.user.id], permissions=permissions),
                channel={**channel_payload(channel), "permissions": str(permissions)},
                app_permissions=str(guild.permissions_of(self.bot_user.id)),
                authorizing_integration_owners={"0": str(guild.id)},
                context=0,
            )
        else:
            payload.update(
                user=user_payload(record.user),
                channel=channel_payload(channel, recipient=record.user),
                app_permissions=str((1 << 11) | (1 << 14) | (1 << 15) | (1 << 16)),
                authorizing_integration_owners={"0": "0"},
                context=1,
            )
        if record.source_message is not None:
            payload["message"] = message_payload(record.source_message, application_id=self.application_id)
        return payload

    async def settle_interactions(self) -> None:
        """Give unanswered interactions until their deadline, then record each still unanswered one."""
        pending = [r for r in self.interactions.values() if r.response_type is None and not r.abandoned]
        if not pending:
            return
        deadline = self.config.ack_deadline
        remaining = max(r.created_at + deadline for r in pending) - self.clock.monotonic()
        if remaining > 0:
            with contextlib.suppress(WaitTimeout):
                await self.changes.wait_for(
                    lambda: True if all(r.response_type is not None for r in pending) else None,
                    within=remaining,
                    what="pending interactions to be acknowledged",
                )
        for record in pending:
            if record.response_type is None:
                record.abandoned = True
                self.record_violation(
                    "never-acknowledged", f"{record.describe()} was not acknowledged within {deadline:g} s"
                )
