"""Modals: reading the one the bot showed, and filling it in the way a Discord client submits it.

discord.py 2.7 sends text inputs either in the classic form (an action row holding a text input with
its own label) or in the newer one (a label component holding the input); both are read and answered
in the form they came in.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from ._errors import ActionRefused
from ._interactions import InteractionRecord, Modal, ModalField
from ._model import JSON
from ._rules import ACTION_ROW, LABEL, SELECT_TYPES, TEXT_INPUT

FieldValue = str | Sequence[str]


def _field(component: JSON, label: str | None, *, in_label: bool) -> ModalField:
    return ModalField(
        custom_id=component["custom_id"],
        type=component["type"],
        label=label if label is not None else component.get("label"),
        required=component.get("required", True),
        default=component.get("value"),
        min_length=component.get("min_length"),
        max_length=component.get("max_length"),
        options=[o["value"] for o in component.get("options") or []],
        in_label=in_label,
    )


def modal_from_callback(data: JSON, record: InteractionRecord) -> Modal:
    fields: list[ModalField] = []
    for component in data.get("components") or []:
        if component.get("type") == ACTION_ROW:
            fields += [_field(child, None, in_label=False) for child in component.get("components") or []]
        elif component.get("type") == LABEL and isinstance(component.get("component"), dict):
            fields.append(_field(component["component"], component.get("label"), in_label=True))
    return Modal(custom_id=data["custom_id"], title=data["title"], fields=fields, raw=data, opened_by=record)


def _check_text(field: ModalField, value: str) -> None:
    if field.min_length is not None and len(value) < field.min_length:
        raise ActionRefused(f"{field.custom_id!r} needs at least {field.min_length} characters")
    if field.max_length is not None and len(value) > field.max_length:
        raise ActionRefused(f"{field.custom_id!r} takes at most {field.max_length} characters")


def _submitted(field: ModalField, value: FieldValue | None) -> JSON:
    if field.type == TEXT_INPUT:
        text = value if isinstance(value, str) else (field.default or "")
        if field.required and not text:
            raise ActionRefused(f"modal field {field.custom_id!r} is required")
        if text:
            _check_text(field, text)
        return {"type": TEXT_INPUT, "custom_id": field.custom_id, "value": text}
    if field.type in SELECT_TYPES:
        values = [value] if isinstance(value, str) else list(value or [])
        if field.required and not values:
            raise ActionRefused(f"modal field {field.custom_id!r} is required")
        unknown = [v for v in values if field.options and v not in field.options]
        if unknown:
            raise ActionRefused(f"{unknown} are not options of {field.custom_id!r}")
        return {"type": field.type, "custom_id": field.custom_id, "values": values}
    raise ActionRefused(f"filling a component of type {field.type} is not supported")


def submission_components(modal: Modal, values: Mapping[str, FieldValue]) -> list[JSON]:
    """The `components` of a modal submit interaction, in the form the modal was sent in."""
    unknown = [key for key in values if key not in {f.custom_id for f in modal.fields}]
    if unknown:
        raise ActionRefused(f"modal {modal.custom_id!r} has no field(s) {unknown}")
    components: list[JSON] = []
    for field in modal.fields:
        submitted = _submitted(field, values.get(field.custom_id))
        if field.in_label:
            components.append({"type": LABEL, "component": submitted})
        else:
            components.append({"type": ACTION_ROW, "components": [submitted]})
    return components
