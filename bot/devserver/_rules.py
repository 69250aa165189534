"""Discord's documented limits on messages, embeds, components, modals and autocomplete choices.

Each check returns the issues it finds with Discord's own error codes, so the server can answer with the
same 400 / 50035 "Invalid Form Body" shape Discord uses.
"""

from __future__ import annotations

from typing import Any

from ._errors import Issue
from ._model import COMPONENTS_V2, JSON

Path = tuple[str | int, ...]

MAX_CONTENT = 2000
MAX_EMBEDS = 10
MAX_EMBED_TOTAL = 6000
EMBED_FIELD_LIMITS = {"title": 256, "description": 4096}
MAX_FIELDS = 25
MAX_ATTACHMENTS = 10
MAX_ROWS = 5
MAX_ROW_WIDTH = 5
MAX_V2_COMPONENTS = 40
SELECT_TYPES = {3, 5, 6, 7, 8}
BUTTON = 2
ACTION_ROW = 1
TEXT_INPUT = 4
TEXT_DISPLAY = 10
LABEL = 18
LINK_STYLE = 5
PREMIUM_STYLE = 6


def too_long(path: Path, limit: int) -> Issue:
    return Issue(path, "BASE_TYPE_MAX_LENGTH", f"Must be {limit} or fewer in length.")


def bad_length(path: Path, low: int, high: int) -> Issue:
    return Issue(path, "BASE_TYPE_BAD_LENGTH", f"Must be between {low} and {high} in length.")


def required(path: Path) -> Issue:
    return Issue(path, "BASE_TYPE_REQUIRED", "This field is required")


def check_length(value: Any, path: Path, low: int, high: int, out: list[Issue]) -> None:
    if value is None:
        if low > 0:
            out.append(required(path))
        return
    if not isinstance(value, str | list):
        out.append(Issue(path, "BASE_TYPE_STRING", "Must be a string."))
        return
    size = len(value)
    if size < low or size > high:
        out.append(too_long(path, high) if low == 0 else bad_length(path, low, high))


def message_issues(payload: JSON) -> list[Issue]:
    issues: list[Issue] = []
    content = payload.get("content")
    if isinstance(content, str) and len(content) > MAX_CONTENT:
        issues.append(too_long(("content",), MAX_CONTENT))
    embeds = payload.get("embeds") or []
    issues += embed_issues(embeds)
    attachments = payload.get("attachments") or []
    if len(attachments) > MAX_ATTACHMENTS:
        issues.append(too_long(("attachments",), MAX_ATTACHMENTS))
    flags = payload.get("flags") or 0
    issues += component_issues(payload.get("components") or [], v2=bool(flags & COMPONENTS_V2))
    return issues


def embed_issues(embeds: list[JSON]) -> list[Issue]:
    issues: list[Issue] = []
    if len(embeds) > MAX_EMBEDS:
        issues.append(too_long(("embeds",), MAX_EMBEDS))
    total = 0
    for index, embed in enumerate(embeds):
        at: Path = ("embeds", index)
        for key, limit in EMBED_FIELD_LIMITS.items():
            text = embed.get(key) or ""
            total += len(text)
            check_length(text, (*at, key), 0, limit, issues)
        fields = embed.get("fields") or []
        if len(fields) > MAX_FIELDS:
            issues.append(too_long((*at, "fields"), MAX_FIELDS))
        for number, item in enumerate(fields):
            name, value = item.get("name"), item.get("value")
            check_length(name, (*at, "fields", number, "name"), 1, 256, issues)
            check_length(value, (*at, "fields", number, "value"), 1, 1024, issues)
            total += len(name or "") + len(value or "")
        footer_text = (embed.get("footer") or {}).get("text") or ""
        check_length(footer_text, (*at, "footer", "text"), 0, 2048, issues)
        author_name = (embed.get("author") or {}).get("name") or ""
        check_length(author_name, (*at, "author", "name"), 0, 256, issues)
        total += len(footer_text) + len(author_name)
    if total > MAX_EMBED_TOTAL:
        issues.append(
            Issue(
                ("embeds",),
                "MAX_EMBED_SIZE_EXCEEDED",
                f"Embed size exceeds maximum size of {MAX_EMBED_TOTAL}",
            )
        )
    return issues


def component_issues(components: list[JSON], *, v2: bool) -> list[Issue]:
    issues: list[Issue] = []
    seen_ids: set[str] = set()
    if not v2 and len(components) > MAX_ROWS:
        issues.append(too_long(("components",), MAX_ROWS))
    if v2 and count_components(components) > MAX_V2_COMPONENTS:
        issues.append(too_long(("components",), MAX_V2_COMPONENTS))
    for index, component in enumerate(components):
        path: Path = ("components", index)
        if not v2 and component.get("type") != ACTION_ROW:
            issues.append(Issue((*path, "type"), "UNION_TYPE_CHOICES", "Value must be an action row (1)."))
            continue
        _walk_message_component(component, path, seen_ids, issues)
    return issues


def count_components(components: list[JSON]) -> int:
    total = 0
    for component in components:
        total += 1
        total += count_components(list(component.get("components") or []))
        if isinstance(component.get("accessory"), dict):
            total += 1
    return total


def _walk_message_component(component: JSON, path: Path, seen: set[str], out: list[Issue]) -> None:
    kind = component.get("type")
    if kind == ACTION_ROW:
        _check_row(component, path, seen, out)
    elif kind == BUTTON:
        _check_button(component, path, seen, out)
    elif kind in SELECT_TYPES:
        _check_select(component, path, seen, out)
    elif kind == TEXT_INPUT:
        out.append(
            Issue((*path, "type"), "COMPONENT_TYPE_INVALID", "Text inputs are only allowed in modals.")
        )
    else:
        for number, child in enumerate(component.get("components") or []):
            _walk_message_component(child, (*path, "components", number), seen, out)
        accessory = component.get("accessory")
        if isinstance(accessory, dict):
            _walk_message_component(accessory, (*path, "accessory"), seen, out)


def _check_row(row: JSON, path: Path, seen: set[str], out: list[Issue]) -> None:
    children: list[JSON] = row.get("components") or []
    if not 1 <= len(children) <= MAX_ROW_WIDTH:
        out.append(bad_length((*path, "components"), 1, MAX_ROW_WIDTH))
    has_select = any(c.get("type") in SELECT_TYPES for c in children)
    if has_select and len(children) > 1:
        out.append(
            Issue(
                (*path, "components"),
                "COMPONENT_LAYOUT_WIDTH_EXCEEDED",
                "The specified component exceeds the maximum width",
            )
        )
    for number, child in enumerate(children):
        child_path = (*path, "components", number)
        if child.get("type") == ACTION_ROW:
            out.append(
                Issue((*child_path, "type"), "COMPONENT_TYPE_INVALID", "Action rows cannot be nested.")
            )
            continue
        _walk_message_component(child, child_path, seen, out)


def _check_custom_id(component: JSON, path: Path, seen: set[str], out: list[Issue]) -> None:
    custom_id = component.get("custom_id")
    if custom_id is None:
        out.append(required((*path, "custom_id")))
        return
    check_length(custom_id, (*path, "custom_id"), 1, 100, out)
    if custom_id in seen:
        out.append(
            Issue(
                (*path, "custom_id"),
                "COMPONENT_CUSTOM_ID_DUPLICATED",
                "Component custom id cannot be duplicated",
            )
        )
    seen.add(custom_id)


def _check_button(button: JSON, path: Path, seen: set[str], out: list[Issue]) -> None:
    style = button.get("style")
    if style not in range(1, 7):
        out.append(Issue((*path, "style"), "BASE_TYPE_CHOICES", "Value must be one of (1, 2, 3, 4, 5, 6)."))
    if style == LINK_STYLE:
        if not button.get("url"):
            out.append(Issue((*path, "url"), "BUTTON_COMPONENT_URL_REQUIRED", "A link button requires a url"))
        if "custom_id" in button:
            out.append(
                Issue(
                    (*path, "custom_id"),
                    "BUTTON_COMPONENT_CUSTOM_ID_DISALLOWED",
                    "A link button cannot have a custom id",
                )
            )
    elif style == PREMIUM_STYLE:
        if not button.get("sku_id"):
            out.append(required((*path, "sku_id")))
    else:
        _check_custom_id(button, path, seen, out)
        if button.get("url"):
            out.append(
                Issue((*path, "url"), "BUTTON_COMPONENT_URL_DISALLOWED", "Only link buttons can have a url")
            )
    label = button.get("label")
    if label is not None:
        check_length(label, (*path, "label"), 0, 80, out)
    if style != PREMIUM_STYLE and not label and not button.get("emoji"):
        out.append(
            Issue((*path, "label"), "BUTTON_COMPONENT_LABEL_REQUIRED", "A button needs a label or an emoji")
        )


def _check_select(select: JSON, path: Path, seen: set[str], out: list[Issue]) -> None:
    _check_custom_id(select, path, seen, out)
    if select.get("placeholder") is not None:
        check_length(select["placeholder"], (*path, "placeholder"), 0, 150, out)
    low = select.get("min_values", 1)
    high = select.get("max_values", 1)
    if not 0 <= low <= 25:
        out.append(Issue((*path, "min_values"), "NUMBER_TYPE_MAX", "min_values must be between 0 and 25."))
    if not 1 <= high <= 25 or high < low:
        out.append(
            Issue((*path, "max_values"), "NUMBER_TYPE_MAX", "max_values must be between min_values and 25.")
        )
    if select.get("type") != 3:
        return
    options: list[JSON] = select.get("options") or []
    if not 1 <= len(options) <= 25:
        out.append(bad_length((*path, "options"), 1, 25))
    elif high > len(options):
        out.append(
            Issue((*path, "max_values"), "NUMBER_TYPE_MAX", "max_values cannot exceed the option count.")
        )
    for number, option in enumerate(options):
        at = (*path, "options", number)
        check_length(option.get("label"), (*at, "label"), 1, 100, out)
        check_length(option.get("value"), (*at, "value"), 1, 100, out)
        if option.get("description") is not None:
            check_length(option["description"], (*at, "description"), 0, 100, out)


def modal_issues(data: JSON) -> list[Issue]:
    issues: list[Issue] = []
    root: Path = ("data",)
    check_length(data.get("custom_id"), (*root, "custom_id"), 1, 100, issues)
    check_length(data.get("title"), (*root, "title"), 1, 45, issues)
    components: list[JSON] = data.get("components") or []
    if not 1 <= len(components) <= 5:
        issues.append(bad_length((*root, "components"), 1, 5))
    seen: set[str] = set()
    for index, component in enumerate(components):
        path = (*root, "components", index)
        kind = component.get("type")
        if kind == ACTION_ROW:
            children: list[JSON] = component.get("components") or []
            if len(children) != 1 or children[0].get("type") != TEXT_INPUT:
                issues.append(
                    Issue(
                        (*path, "components"),
                        "MODAL_ROW_INVALID",
                        "A modal row holds exactly one text input.",
                    )
                )
                continue
            text_input = children[0]
            check_length(text_input.get("label"), (*path, "components", 0, "label"), 1, 45, issues)
            _check_modal_input(text_input, (*path, "components", 0), seen, issues)
        elif kind == LABEL:
            check_length(component.get("label"), (*path, "label"), 1, 45, issues)
            if component.get("description") is not None:
                check_length(component["description"], (*path, "description"), 0, 100, issues)
            child = component.get("component")
            if not isinstance(child, dict):
                issues.append(required((*path, "component")))
                continue
            _check_modal_input(child, (*path, "component"), seen, issues)
        elif kind != TEXT_DISPLAY:
            issues.append(
                Issue((*path, "type"), "COMPONENT_TYPE_INVALID", "This component is not allowed in modals.")
            )
    return issues


def _check_modal_input(component: JSON, path: Path, seen: set[str], out: list[Issue]) -> None:
    kind = component.get("type")
    if kind in SELECT_TYPES:
        _check_select(component, path, seen, out)
        return
    _check_custom_id(component, path, seen, out)
    if kind != TEXT_INPUT:
        return
    if component.get("style") not in (1, 2):
        out.append(Issue((*path, "style"), "BASE_TYPE_CHOICES", "Value must be one of (1, 2)."))
    low, high = component.get("min_length"), component.get("max_length")
    if low is not None and not 0 <= low <= 4000:
        out.append(Issue((*path, "min_length"), "NUMBER_TYPE_MAX", "min_length must be between 0 and 4000."))
    if high is not None and not 1 <= high <= 4000:
        out.append(Issue((*path, "max_length"), "NUMBER_TYPE_MAX", "max_length must be between 1 and 4000."))
    if component.get("value") is not None:
        check_length(component["value"], (*path, "value"), 0, 4000, out)
    if component.get("placeholder") is not None:
        check_length(component["placeholder"], (*path, "placeholder"), 0, 100, out)


def choice_issues(choices: list[JSON], path: Path = ("data", "choices")) -> list[Issue]:
    issues: list[Issue] = []
    if len(choices) > 25:
        issues.append(too_long(path, 25))
    for index, choice in enumerate(choices):
        check_length(choice.get("name"), (*path, index, "name"), 1, 100, issues)
        value = choice.get("value")
        if isinstance(value, str):
            check_length(value, (*path, index, "value"), 1, 100, issues)
        elif not isinstance(value, int | float) or isinstance(value, bool):
            issues.append(
                Issue((*path, index, "value"), "BASE_TYPE_CHOICES", "Value must be a string or a number.")
            )
    return issues
