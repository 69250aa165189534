"""Discord's rules for application command definitions: names, descriptions, options, choices, locales."""

from __future__ import annotations

import unicodedata
from typing import Any

from ._errors import Issue
from ._model import JSON
from ._rules import Path, check_length, too_long

CHAT_INPUT = 1
SUB_COMMAND = 1
SUB_COMMAND_GROUP = 2
CHOICE_TYPES = {3, 4, 10}

# Discord's list of locales for localizations and the `locale` field of interactions.
VALID_LOCALES = frozenset(
    {
        "id",
        "da",
        "de",
        "en-GB",
        "en-US",
        "es-ES",
        "es-419",
        "fr",
        "hr",
        "it",
        "lt",
        "hu",
        "nl",
        "no",
        "pl",
        "pt-BR",
        "ro",
        "fi",
        "sv-SE",
        "vi",
        "tr",
        "cs",
        "el",
        "bg",
        "ru",
        "uk",
        "hi",
        "th",
        "zh-CN",
        "ja",
        "zh-TW",
        "ko",
    }
)


def _is_name_char(char: str) -> bool:
    # Discord's pattern: ^[-_\p{L}\p{N}\p{sc=Deva}\p{sc=Thai}]{1,32}$ (Python's re has no \p classes).
    if char in "-_":
        return True
    if unicodedata.category(char)[0] in "LN":
        return True
    code = ord(char)
    return 0x0900 <= code <= 0x097F or 0xA8E0 <= code <= 0xA8FF or 0x0E00 <= code <= 0x0E7F


def is_valid_chat_input_name(name: Any) -> bool:
    if not isinstance(name, str) or not 1 <= len(name) <= 32:
        return False
    return all(_is_name_char(c) for c in name) and name == name.lower()


def command_issues(commands: list[JSON], *, max_chat_input: int | None) -> list[Issue]:
    """Issues of a bulk overwrite; paths start with the command's index, as Discord reports them."""
    issues: list[Issue] = []
    seen: set[tuple[int, str]] = set()
    for index, command in enumerate(commands):
        issues += single_command_issues(command, (index,))
        key = (command.get("type") or CHAT_INPUT, str(command.get("name")))
        if key in seen:
            issues.append(
                Issue(
                    (index, "name"),
                    "APPLICATION_COMMANDS_DUPLICATE_NAME",
                    "Application command names must be unique",
                )
            )
        seen.add(key)
    chat_inputs = sum(1 for c in commands if (c.get("type") or CHAT_INPUT) == CHAT_INPUT)
    if max_chat_input is not None and chat_inputs > max_chat_input:
        issues.append(too_long((), max_chat_input))
    return issues


def single_command_issues(command: JSON, path: Path = ()) -> list[Issue]:
    issues: list[Issue] = []
    kind = command.get("type") or CHAT_INPUT
    name = command.get("name")
    if kind == CHAT_INPUT:
        if not is_valid_chat_input_name(name):
            issues.append(
                Issue(
                    (*path, "name"), "APPLICATION_COMMAND_INVALID_NAME", f"Command name {name!r} is invalid"
                )
            )
        check_length(command.get("description"), (*path, "description"), 1, 100, issues)
    else:
        check_length(name, (*path, "name"), 1, 32, issues)
        if command.get("description"):
            issues.append(
                Issue(
                    (*path, "description"),
                    "APPLICATION_COMMAND_DESCRIPTION_INVALID",
                    "Must be empty for this type.",
                )
            )
    issues += _localization_issues(command, path, chat_input=kind == CHAT_INPUT)
    contexts = command.get("contexts") or []
    if any(c not in (0, 1, 2) for c in contexts):
        issues.append(Issue((*path, "contexts"), "BASE_TYPE_CHOICES", "Value must be one of (0, 1, 2)."))
    options: list[JSON] = command.get("options") or []
    if options and kind != CHAT_INPUT:
        issues.append(
            Issue(
                (*path, "options"), "APPLICATION_COMMAND_OPTIONS_INVALID", "Only slash commands take options."
            )
        )
    issues += _options_issues(options, (*path, "options"), depth=0)
    return issues


def _localization_issues(item: JSON, path: Path, *, chat_input: bool) -> list[Issue]:
    issues: list[Issue] = []
    for key, low, high in (("name_localizations", 1, 32), ("description_localizations", 1, 100)):
        table = item.get(key) or {}
        for locale, text in table.items():
            at = (*path, key, locale)
            if locale not in VALID_LOCALES:
                issues.append(Issue(at, "LOCALE_INVALID", f"{locale!r} is not a valid Discord locale"))
            elif key == "name_localizations" and chat_input and not is_valid_chat_input_name(text):
                issues.append(
                    Issue(at, "APPLICATION_COMMAND_INVALID_NAME", f"Localized name {text!r} is invalid")
                )
            else:
                check_length(text, at, low, high, issues)
    return issues


def _options_issues(options: list[JSON], path: Path, *, depth: int) -> list[Issue]:
    issues: list[Issue] = []
    if len(options) > 25:
        issues.append(too_long(path, 25))
    kinds = [o.get("type") for o in options]
    nesting = [k for k in kinds if k in (SUB_COMMAND, SUB_COMMAND_GROUP)]
    if nesting and len(nesting) != len(kinds):
        issues.append(
            Issue(
                path,
                "APPLICATION_COMMAND_OPTIONS_TYPE_INVALID",
                "Subcommands cannot be mixed with other options",
            )
        )
    names: set[str] = set()
    seen_optional = False
    for index, option in enumerate(options):
        at = (*path, index)
        kind = option.get("type")
        name = option.get("name")
        if not is_valid_chat_input_name(name):
            issues.append(
                Issue((*at, "name"), "APPLICATION_COMMAND_INVALID_NAME", f"Option name {name!r} is invalid")
            )
        if name in names:
            issues.append(
                Issue((*at, "name"), "APPLICATION_COMMAND_OPTIONS_NAME_ALREADY_EXISTS", "Duplicate name")
            )
        names.add(str(name))
        check_length(option.get("description"), (*at, "description"), 1, 100, issues)
        issues += _localization_issues(option, at, chat_input=True)
        if kind in (SUB_COMMAND, SUB_COMMAND_GROUP):
            issues += _nested_issues(option, at, depth=depth)
            continue
        if option.get("required"):
            if seen_optional:
                issues.append(
                    Issue(
                        (*at, "required"),
                        "APPLICATION_COMMAND_OPTIONS_REQUIRED_INVALID",
                        "Required options must be placed before non-required options",
                    )
                )
        else:
            seen_optional = True
        issues += _choice_definition_issues(option, at)
    return issues


def _nested_issues(option: JSON, path: Path, *, depth: int) -> list[Issue]:
    kind = option.get("type")
    children: list[JSON] = option.get("options") or []
    if kind == SUB_COMMAND_GROUP and (depth > 0 or any(c.get("type") != SUB_COMMAND for c in children)):
        return [
            Issue(
                path, "APPLICATION_COMMAND_OPTIONS_TYPE_INVALID", "A group holds subcommands only, at the top"
            )
        ]
    if kind == SUB_COMMAND and any(c.get("type") in (SUB_COMMAND, SUB_COMMAND_GROUP) for c in children):
        return [
            Issue(path, "APPLICATION_COMMAND_OPTIONS_TYPE_INVALID", "A subcommand cannot hold subcommands")
        ]
    return _options_issues(children, (*path, "options"), depth=depth + 1)


def _choice_definition_issues(option: JSON, path: Path) -> list[Issue]:
    issues: list[Issue] = []
    choices: list[JSON] = option.get("choices") or []
    if not choices:
        return issues
    if option.get("type") not in CHOICE_TYPES:
        issues.append(
            Issue((*path, "choices"), "APPLICATION_COMMAND_OPTION_CHOICES_INVALID", "No choices here.")
        )
    if option.get("autocomplete"):
        issues.append(
            Issue(
                (*path, "autocomplete"),
                "APPLICATION_COMMAND_AUTOCOMPLETE_CHOICES",
                "Autocomplete excludes choices.",
            )
        )
    if len(choices) > 25:
        issues.append(too_long((*path, "choices"), 25))
    for index, choice in enumerate(choices):
        at = (*path, "choices", index)
        check_length(choice.get("name"), (*at, "name"), 1, 100, issues)
        if isinstance(choice.get("value"), str):
            check_length(choice["value"], (*at, "value"), 1, 100, issues)
        issues += _localization_issues(choice, at, chat_input=False)
    return issues
