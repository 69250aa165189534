"""Discord's error answers, and the refusals a test gets when it acts as a user in a way Discord forbids."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

JSON = dict[str, Any]


@dataclass(frozen=True)
class Issue:
    """One problem in a request body, at `path` (keys and indexes), with Discord's error code for it."""

    path: tuple[str | int, ...]
    code: str
    message: str

    def where(self) -> str:
        return ".".join(str(p) for p in self.path) or "(body)"


class DiscordError(Exception):
    """An error answer as Discord gives it; `violation` names the rule the bot broke, if it broke one."""

    def __init__(
        self,
        status: int,
        code: int,
        message: str,
        *,
        errors: JSON | None = None,
        violation: str | None = None,
        detail: str | None = None,
    ) -> None:
        super().__init__(detail or message)
        self.status = status
        self.code = code
        self.message = message
        self.errors = errors
        self.violation = violation
        self.detail = detail or message

    def body(self) -> JSON:
        body: JSON = {"message": self.message, "code": self.code}
        if self.errors is not None:
            body["errors"] = self.errors
        return body


def errors_object(issues: Sequence[Issue]) -> JSON:
    """Discord nests field errors by path: {"embeds": {"0": {"title": {"_errors": [...]}}}}."""
    root: JSON = {}
    for issue in issues:
        node = root
        for part in issue.path:
            node = node.setdefault(str(part), {})
        node.setdefault("_errors", []).append({"code": issue.code, "message": issue.message})
    return root


def invalid_form(issues: Sequence[Issue], *, rule: str) -> DiscordError:
    detail = "; ".join(f"{i.where()}: {i.message}" for i in issues)
    return DiscordError(
        400, 50035, "Invalid Form Body", errors=errors_object(issues), violation=rule, detail=detail
    )


def unknown_interaction(detail: str, *, rule: str = "unknown-interaction") -> DiscordError:
    return DiscordError(404, 10062, "Unknown interaction", violation=rule, detail=detail)


def already_acknowledged(detail: str) -> DiscordError:
    return DiscordError(
        400,
        40060,
        "Interaction has already been acknowledged.",
        violation="double-acknowledgement",
        detail=detail,
    )


def cannot_message_user() -> DiscordError:
    # Not a violation: a bot cannot know that a user closed their DMs until it tries.
    return DiscordError(403, 50007, "Cannot send messages to this user")


def unknown(kind: str, code: int) -> DiscordError:
    return DiscordError(404, code, f"Unknown {kind}")


def invalid_webhook_token(detail: str) -> DiscordError:
    return DiscordError(
        401, 50027, "Invalid Webhook Token", violation="interaction-token-expired", detail=detail
    )


def unauthorized() -> DiscordError:
    return DiscordError(
        401, 0, "401: Unauthorized", violation="unauthorized", detail="missing or wrong bot token"
    )


def too_large(size: int, limit: int) -> DiscordError:
    return DiscordError(
        413,
        40005,
        "Request entity too large",
        violation="file-size",
        detail=f"files of {size} bytes exceed the {limit}-byte limit",
    )


class ActionRefused(Exception):
    """Discord would not let a user do this (no such command, option, button; a disabled button...)."""


class BotNotConnected(ActionRefused):
    """No gateway session of the bot receives events for this guild."""
