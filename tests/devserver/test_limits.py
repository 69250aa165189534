"""Each documented Discord limit is caught by the rule checks themselves, schema or not."""

from __future__ import annotations

from typing import Any

import pytest

from bot.devserver._command_rules import command_issues, is_valid_chat_input_name
from bot.devserver._rules import choice_issues, message_issues, modal_issues


def codes(issues: list[Any]) -> set[str]:
    return {i.code for i in issues}


def paths(issues: list[Any]) -> set[tuple[Any, ...]]:
    return {i.path for i in issues}


def row(*children: dict[str, Any]) -> dict[str, Any]:
    return {"type": 1, "components": list(children)}


def button(custom_id: str, **extra: Any) -> dict[str, Any]:
    return {"type": 2, "style": 1, "label": "Go", "custom_id": custom_id, **extra}


def select(custom_id: str, count: int = 3, **extra: Any) -> dict[str, Any]:
    options = [{"label": f"Seat {n}", "value": str(n)} for n in range(count)]
    return {"type": 3, "custom_id": custom_id, "options": options, **extra}


@pytest.mark.parametrize(
    ("payload", "path"),
    [
        ({"content": "x" * 2001}, ("content",)),
        ({"embeds": [{"title": "t"}] * 11}, ("embeds",)),
        ({"embeds": [{"title": "t" * 257}]}, ("embeds", 0, "title")),
        ({"embeds": [{"description": "d" * 4097}]}, ("embeds", 0, "description")),
        ({"embeds": [{"fields": [{"name": "n", "value": "v"}] * 26}]}, ("embeds", 0, "fields")),
        ({"embeds": [{"fields": [{"name": "n" * 257, "value": "v"}]}]}, ("embeds", 0, "fields", 0, "name")),
        ({"embeds": [{"fields": [{"name": "n", "value": "v" * 1025}]}]}, ("embeds", 0, "fields", 0, "value")),
        ({"embeds": [{"footer": {"text": "f" * 2049}}]}, ("embeds", 0, "footer", "text")),
        ({"embeds": [{"author": {"name": "a" * 257}}]}, ("embeds", 0, "author", "name")),
        ({"embeds": [{"description": "d" * 4000}, {"description": "d" * 2001}]}, ("embeds",)),
        ({"components": [row(button(f"r{n}")) for n in range(6)]}, ("components",)),
        ({"components": [row(*[button(f"b{n}") for n in range(6)])]}, ("components", 0, "components")),
        ({"components": [row(select("s"), button("b"))]}, ("components", 0, "components")),
        ({"components": [row(button("x" * 101))]}, ("components", 0, "components", 0, "custom_id")),
        ({"components": [row(button("a"), button("a"))]}, ("components", 0, "components", 1, "custom_id")),
        ({"components": [row(button("a", label="l" * 81))]}, ("components", 0, "components", 0, "label")),
        ({"components": [row(select("s", 0))]}, ("components", 0, "components", 0, "options")),
        ({"components": [row(select("s", 26))]}, ("components", 0, "components", 0, "options")),
        (
            {"components": [row({**select("s"), "options": [{"label": "l" * 101, "value": "v"}]})]},
            ("components", 0, "components", 0, "options", 0, "label"),
        ),
        (
            {
                "components": [
                    row({"type": 2, "style": 5, "label": "Map", "custom_id": "c", "url": "https://x"})
                ]
            },
            ("components", 0, "components", 0, "custom_id"),
        ),
        (
            {"components": [row({"type": 2, "style": 5, "label": "Map"})]},
            ("components", 0, "components", 0, "url"),
        ),
        ({"attachments": [{"id": n} for n in range(11)]}, ("attachments",)),
    ],
)
def test_message_limits(payload: dict[str, Any], path: tuple[Any, ...]) -> None:
    assert path in paths(message_issues(payload))


def test_a_message_within_every_limit_has_no_issues() -> None:
    payload = {
        "content": "x" * 2000,
        "embeds": [
            {"title": "t" * 256, "description": "d" * 4096, "fields": [{"name": "n", "value": "v"}] * 25}
        ],
        "components": [
            row(button("confirm"), {"type": 2, "style": 5, "label": "Map", "url": "https://x"}),
            row(select("s", 25)),
        ],
    }
    assert message_issues(payload) == []


def text_input(custom_id: str, **extra: Any) -> dict[str, Any]:
    return {"type": 4, "custom_id": custom_id, "style": 1, "label": "Name", **extra}


def modal(components: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    return {"custom_id": "m", "title": "Feedback", "components": components, **extra}


@pytest.mark.parametrize(
    ("data", "path"),
    [
        (modal([row(text_input("a"))], title="t" * 46), ("data", "title")),
        (modal([row(text_input("a"))], custom_id="c" * 101), ("data", "custom_id")),
        (modal([]), ("data", "components")),
        (modal([row(text_input(f"f{n}")) for n in range(6)]), ("data", "components")),
        (modal([row(text_input("a" * 101))]), ("data", "components", 0, "components", 0, "custom_id")),
        (modal([row(text_input("a"), text_input("b"))]), ("data", "components", 0, "components")),
        (
            modal([{"type": 18, "label": "l" * 46, "component": text_input("a")}]),
            ("data", "components", 0, "label"),
        ),
    ],
)
def test_modal_limits(data: dict[str, Any], path: tuple[Any, ...]) -> None:
    assert path in paths(modal_issues(data))


def test_both_modal_forms_are_accepted() -> None:
    classic = modal([row(text_input("name"))])
    labelled = modal(
        [{"type": 18, "label": "Name", "component": {"type": 4, "custom_id": "name", "style": 2}}]
    )
    assert modal_issues(classic) == []
    assert modal_issues(labelled) == []


def test_autocomplete_choices_are_limited() -> None:
    assert choice_issues([{"name": "n", "value": "v"}] * 25) == []
    assert ("data", "choices") in paths(choice_issues([{"name": "n", "value": "v"}] * 26))
    assert ("data", "choices", 0, "name") in paths(choice_issues([{"name": "", "value": "v"}]))


@pytest.mark.parametrize("name", ["book", "예매", "ticket-check_in", "बुक", "จอง", "a" * 32])
def test_valid_command_names(name: str) -> None:
    assert is_valid_chat_input_name(name)


@pytest.mark.parametrize("name", ["Book", "book seats", "book!", "", "a" * 33])
def test_invalid_command_names(name: str) -> None:
    assert not is_valid_chat_input_name(name)


def option(name: str, *, required: bool = False, **extra: Any) -> dict[str, Any]:
    return {"type": 3, "name": name, "description": "An option", "required": required, **extra}


@pytest.mark.parametrize(
    ("command", "code"),
    [
        ({"name": "book", "description": ""}, "BASE_TYPE_BAD_LENGTH"),
        ({"name": "book", "description": "d" * 101}, "BASE_TYPE_BAD_LENGTH"),
        (
            {"name": "book", "description": "d", "options": [option(f"o{n}") for n in range(26)]},
            "BASE_TYPE_MAX_LENGTH",
        ),
        (
            {"name": "book", "description": "d", "options": [option("a"), option("b", required=True)]},
            "APPLICATION_COMMAND_OPTIONS_REQUIRED_INVALID",
        ),
        (
            {
                "name": "book",
                "description": "d",
                "options": [option("a", choices=[{"name": "c", "value": "c"}] * 26)],
            },
            "BASE_TYPE_MAX_LENGTH",
        ),
        ({"name": "book", "description": "d", "description_localizations": {"xx": "d"}}, "LOCALE_INVALID"),
        (
            {"name": "book", "description": "d", "options": [option("Seat")]},
            "APPLICATION_COMMAND_INVALID_NAME",
        ),
    ],
    ids=[
        "no-description",
        "long-description",
        "26-options",
        "required-after-optional",
        "26-choices",
        "bad-locale",
        "bad-option-name",
    ],
)
def test_command_definition_rules(command: dict[str, Any], code: str) -> None:
    assert code in codes(command_issues([command], max_chat_input=100))


def test_at_most_100_global_commands() -> None:
    commands = [{"name": f"c{n}", "description": "d"} for n in range(101)]
    assert codes(command_issues(commands, max_chat_input=100)) == {"BASE_TYPE_MAX_LENGTH"}
    assert command_issues(commands[:100], max_chat_input=100) == []
