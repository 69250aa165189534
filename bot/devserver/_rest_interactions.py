"""Interaction callbacks and the interaction webhook (followups, @original), with Discord's timing rules."""

from __future__ import annotations

from aiohttp import web

from ._errors import (
    DiscordError,
    Issue,
    already_acknowledged,
    invalid_form,
    invalid_webhook_token,
    unknown,
    unknown_interaction,
)
from ._http import body_of, flag, json_object, no_content, reply, snowflake
from ._interactions import (
    ALLOWED_RESPONSES,
    AUTOCOMPLETE_RESULT,
    CHANNEL_MESSAGE,
    DEFERRED_CHANNEL_MESSAGE,
    DEFERRED_UPDATE_MESSAGE,
    MESSAGE_COMPONENT,
    MODAL,
    UPDATE_MESSAGE,
    InteractionRecord,
)
from ._messages import RequestBody, apply_edit, check_message, new_message
from ._modals import modal_from_callback
from ._model import JSON, Message
from ._payloads import message_payload, user_payload
from ._rest import API_PREFIX
from ._rules import choice_issues, modal_issues
from ._state import World


class InteractionRoutes:
    def __init__(self, world: World) -> None:
        self.world = world

    def register(self, router: web.UrlDispatcher) -> None:
        api = API_PREFIX
        router.add_post(f"{api}/interactions/{{interaction_id}}/{{webhook_token}}/callback", self.callback)
        hook = f"{api}/webhooks/{{webhook_id}}/{{webhook_token}}"
        router.add_post(hook, self.followup)
        router.add_get(f"{hook}/messages/{{message_id}}", self.get_message)
        router.add_patch(f"{hook}/messages/{{message_id}}", self.edit_message)
        router.add_delete(f"{hook}/messages/{{message_id}}", self.delete_message)

    # --- acknowledging ------------------------------------------------------------------------------

    async def callback(self, request: web.Request) -> web.Response:
        record = self.world.interactions.get(snowflake(request, "interaction_id"))
        if record is None or record.token != request.match_info["webhook_token"]:
            raise unknown_interaction("no interaction with this id and token")
        if record.response_type is not None:
            raise already_acknowledged(
                f"{record.describe()} was already answered with type {record.response_type}"
            )
        age = self.world.clock.monotonic() - record.created_at
        if age > self.world.config.ack_deadline:
            record.abandoned = True  # recorded here; not again as never acknowledged
            raise unknown_interaction(
                f"{record.describe()} acknowledged {age:.2f} s after INTERACTION_CREATE; Discord allows "
                f"{self.world.config.ack_deadline:g} s",
                rule="ack-deadline",
            )
        body = json_object(request)
        kind = body.get("type")
        data: JSON = body.get("data") or {}
        needs_message = kind in (DEFERRED_UPDATE_MESSAGE, UPDATE_MESSAGE)
        if kind not in ALLOWED_RESPONSES[record.type] or (needs_message and record.source_message is None):
            issue = Issue(
                ("type",), "INTERACTION_RESPONSE_TYPE_INVALID", f"Type {kind} cannot answer this interaction"
            )
            raise invalid_form([issue], rule="response-type")
        message = self._respond(record, kind, data, body_of(request))
        record.response_type = kind
        record.responded_at = self.world.clock.monotonic()
        self.world.changes.notify()
        if not flag(request, "with_response"):
            return no_content()
        return reply(self._callback_payload(record, kind, message))

    def _respond(self, record: InteractionRecord, kind: int, data: JSON, body: RequestBody) -> Message | None:
        world = self.world
        if kind == CHANNEL_MESSAGE:
            check_message(data, prefix=("data",))
            record.original = self._new_reply(record, RequestBody(data, body.files))
            record.settle(self.world.clock.monotonic())
        elif kind == DEFERRED_CHANNEL_MESSAGE:
            flags_only = RequestBody({"flags": data.get("flags") or 0}, [])
            record.original = self._new_reply(record, flags_only, loading=True)
        elif kind == DEFERRED_UPDATE_MESSAGE:
            record.original = record.source_message
        elif kind == UPDATE_MESSAGE and record.source_message is not None:
            check_message(data, prefix=("data",))
            record.original = apply_edit(world, record.source_message, RequestBody(data, body.files))
            record.settle(self.world.clock.monotonic())
        elif kind == AUTOCOMPLETE_RESULT:
            choices = data.get("choices") or []
            issues = choice_issues(choices)
            if issues:
                raise invalid_form(issues, rule="autocomplete-choices")
            record.choices = choices
        elif kind == MODAL:
            issues = modal_issues(data)
            if issues:
                raise invalid_form(issues, rule="modal-limits")
            record.modal = modal_from_callback(data, record)
        return (
            record.original if kind in (CHANNEL_MESSAGE, DEFERRED_CHANNEL_MESSAGE, UPDATE_MESSAGE) else None
        )

    def _new_reply(self, record: InteractionRecord, body: RequestBody, *, loading: bool = False) -> Message:
        return new_message(
            self.world,
            channel_id=record.channel_id,
            guild_id=record.guild_id,
            body=body,
            author=self.world.bot_user,
            visible_to=record.user.id,
            interaction_metadata=self._metadata(record),
            loading=loading,
        )

    def _metadata(self, record: InteractionRecord) -> JSON:
        owners = {"0": str(record.guild_id)} if record.guild_id else {"1": str(record.user.id)}
        metadata: JSON = {
            "id": str(record.id),
            "type": record.type,
            "user": user_payload(record.user),
            "authorizing_integration_owners": owners,
        }
        if record.type == MESSAGE_COMPONENT and record.source_message is not None:
            metadata["interacted_message_id"] = str(record.source_message.id)
        return metadata

    def _callback_payload(self, record: InteractionRecord, kind: int, message: Message | None) -> JSON:
        interaction: JSON = {"id": str(record.id), "type": record.type}
        resource: JSON = {"type": kind}
        if message is not None:
            interaction["response_message_id"] = str(message.id)
            interaction["response_message_loading"] = kind == DEFERRED_CHANNEL_MESSAGE
            interaction["response_message_ephemeral"] = message.ephemeral
            resource["message"] = message_payload(message, application_id=self.world.application_id)
        return {"interaction": interaction, "resource": resource}

    # --- the interaction webhook --------------------------------------------------------------------

    def _record(self, request: web.Request) -> InteractionRecord:
        token = request.match_info["webhook_token"]
        record = next((r for r in self.world.interactions.values() if r.token == token), None)
        if record is None or snowflake(request, "webhook_id") != self.world.application_id:
            raise DiscordError(
                404, 10015, "Unknown Webhook", violation="unknown-webhook", detail="no such token"
            )
        age = self.world.clock.monotonic() - record.created_at
        if age > self.world.config.token_lifetime:
            raise invalid_webhook_token(f"{record.describe()} token used {age:.0f} s after it was issued")
        if record.response_type is None:
            raise DiscordError(
                404,
                10015,
                "Unknown Webhook",
                violation="followup-before-acknowledgement",
                detail=f"{record.describe()} was not acknowledged before its webhook was used",
            )
        return record

    def _target(self, request: web.Request, record: InteractionRecord) -> Message:
        message_id = request.match_info["message_id"]
        candidates = [record.original] if message_id == "@original" else [record.original, *record.followups]
        for message in candidates:
            if (
                message is not None
                and not message.deleted
                and (message_id == "@original" or str(message.id) == message_id)
            ):
                return message
        raise unknown("Message", 10008)

    async def followup(self, request: web.Request) -> web.Response:
        record = self._record(request)
        body = body_of(request)
        check_message(json_object(request))
        original = record.original
        if original is not None and original.loading:
            # Discord turns the first followup after a deferral into the deferred reply itself.
            message = apply_edit(self.world, original, body, finish_loading=True)
            record.settle(self.world.clock.monotonic())
        else:
            message = self._new_reply(record, body)
            record.followups.append(message)
        self.world.changes.notify()
        if not flag(request, "wait"):
            return no_content()
        return reply(message_payload(message, application_id=self.world.application_id))

    async def get_message(self, request: web.Request) -> web.Response:
        message = self._target(request, self._record(request))
        return reply(message_payload(message, application_id=self.world.application_id))

    async def edit_message(self, request: web.Request) -> web.Response:
        record = self._record(request)
        message = self._target(request, record)
        check_message(json_object(request))
        apply_edit(self.world, message, body_of(request), finish_loading=message.loading)
        if message is record.original:
            record.settle(self.world.clock.monotonic())
        self.world.changes.notify()
        return reply(message_payload(message, application_id=self.world.application_id))

    async def delete_message(self, request: web.Request) -> web.Response:
        message = self._target(request, self._record(request))
        message.deleted = True
        self.world.changes.notify()
        return no_content()
