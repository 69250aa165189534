"""Turning what the bot sends (JSON or multipart with files) into messages, and applying its edits."""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from ._errors import DiscordError, Issue, invalid_form
from ._model import EPHEMERAL, JSON, LOADING, Attachment, Message, User, utcnow
from ._rules import message_issues
from ._state import World

# The flags a bot may set on a message it sends; Discord ignores the others.
SETTABLE_FLAGS = (1 << 2) | EPHEMERAL | (1 << 12) | (1 << 15)
# The flags an edit may change.
EDITABLE_FLAGS = (1 << 2) | (1 << 15)


@dataclass(frozen=True)
class UploadedFile:
    field_name: str
    filename: str
    data: bytes
    content_type: str | None


@dataclass
class RequestBody:
    """A parsed request body: the JSON (or multipart `payload_json`) and the files sent with it."""

    json: Any
    files: list[UploadedFile]

    def file_at(self, index: int | str) -> UploadedFile | None:
        for upload in self.files:
            if upload.field_name == f"files[{index}]":
                return upload
        return None


RULE_BY_FIELD = {
    "content": "content-length",
    "embeds": "embed-limits",
    "components": "component-limits",
    "attachments": "attachment-limit",
}


def check_message(payload: JSON, *, prefix: tuple[str, ...] = ()) -> None:
    """Raise Discord's 400 for a message over its limits; `prefix` places the errors (e.g. under "data")."""
    issues = message_issues(payload)
    if issues:
        first = issues[0].path[0] if issues[0].path else ""
        placed = [Issue((*prefix, *i.path), i.code, i.message) for i in issues]
        raise invalid_form(placed, rule=RULE_BY_FIELD.get(str(first), "message-limits"))


def _attachment(world: World, channel_id: int, upload: UploadedFile, meta: JSON) -> Attachment:
    attachment_id = world.ids.next()
    filename = meta.get("filename") or upload.filename
    return Attachment(
        id=attachment_id,
        filename=filename,
        data=upload.data,
        url=f"{world.base_url}/attachments/{channel_id}/{attachment_id}/{quote(filename)}",
        content_type=upload.content_type,
        description=meta.get("description"),
    )


def _attachments(
    world: World, channel_id: int, body: RequestBody, keep: list[Attachment]
) -> list[Attachment]:
    """The attachments after this request: `attachments` lists kept ones by id and new ones by file index."""
    payload: JSON = body.json if isinstance(body.json, dict) else {}
    listed = payload.get("attachments")
    if listed is None:
        return keep + [_attachment(world, channel_id, upload, {}) for upload in body.files]
    result: list[Attachment] = []
    existing = {str(a.id): a for a in keep}
    for index, meta in enumerate(listed):
        key = str(meta.get("id", index))
        upload = body.file_at(key)
        if upload is not None:
            result.append(_attachment(world, channel_id, upload, meta))
        elif key in existing:
            result.append(existing[key])
        else:
            issue = Issue(
                ("attachments", index, "id"), "ATTACHMENT_NOT_FOUND", f"No file or attachment with id {key}"
            )
            raise invalid_form([issue], rule="attachments")
    return result


def new_message(
    world: World,
    *,
    channel_id: int,
    guild_id: int | None,
    body: RequestBody,
    author: User,
    visible_to: int | None = None,
    interaction_metadata: JSON | None = None,
    loading: bool = False,
) -> Message:
    payload: JSON = body.json if isinstance(body.json, dict) else {}
    flags = int(payload.get("flags") or 0) & SETTABLE_FLAGS
    if loading:
        flags |= LOADING
    attachments = _attachments(world, channel_id, body, [])
    if not loading and not (
        payload.get("content") or payload.get("embeds") or payload.get("components") or attachments
    ):
        raise DiscordError(
            400,
            50006,
            "Cannot send an empty message",
            violation="empty-message",
            detail="no content, embeds or files",
        )
    message = Message(
        id=world.ids.next(),
        channel_id=channel_id,
        guild_id=guild_id,
        author=author,
        content=payload.get("content") or "",
        embeds=copy.deepcopy(payload.get("embeds") or []),
        components=copy.deepcopy(payload.get("components") or []),
        attachments=attachments,
        flags=flags,
        visible_to=visible_to if flags & EPHEMERAL else None,
        interaction_metadata=interaction_metadata,
        webhook_id=world.application_id if interaction_metadata is not None else None,
        nonce=payload.get("nonce"),
    )
    return world.store_message(message)


def apply_edit(world: World, message: Message, body: RequestBody, *, finish_loading: bool = False) -> Message:
    """Edit in place, keeping the earlier version in `message.history`."""
    payload: JSON = body.json if isinstance(body.json, dict) else {}
    attachments = _attachments(world, message.channel_id, body, list(message.attachments))
    if not message.loading:
        # Filling in a "thinking..." placeholder is the reply appearing, not an edit the user sees.
        message.remember_revision()
    if "content" in payload:
        message.content = payload["content"] or ""
    if "embeds" in payload:
        message.embeds = copy.deepcopy(payload["embeds"] or [])
    if "components" in payload:
        message.components = copy.deepcopy(payload["components"] or [])
    if payload.get("flags") is not None:
        editable = int(payload["flags"]) & EDITABLE_FLAGS
        message.flags = (message.flags & ~EDITABLE_FLAGS) | editable
    if finish_loading:
        message.flags &= ~LOADING
    message.attachments = attachments
    message.edited_at = utcnow()
    world.changes.notify()
    return message
