"""Shows Discord messages as text: embeds as boxes, buttons and menus numbered, files saved to disk."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from bot.devserver import Message

BUTTON, SELECT = 2, 3
_STAMP = re.compile(r"<t:(\d+)(?::([tTdDfFR]))?>")
_MENTION = re.compile(r"<@!?(\d+)>")


@dataclass
class Control:
    """A button or menu the person can use by its number."""

    message: Message
    kind: int
    custom_id: str
    label: str
    options: list[dict[str, Any]] = field(default_factory=list)
    min_values: int = 1
    max_values: int = 1


class Renderer:
    def __init__(self, files: Path, zone: ZoneInfo, names: dict[int, str]) -> None:
        self.files = files
        self.zone = zone
        self.names = names
        self.controls: list[Control] = []

    def text(self, value: str) -> str:
        def stamp(match: re.Match[str]) -> str:
            moment = datetime.fromtimestamp(int(match[1]), UTC).astimezone(self.zone)
            return moment.strftime("%Y-%m-%d %H:%M")

        value = _STAMP.sub(stamp, value)
        return _MENTION.sub(lambda m: "@" + self.names.get(int(m[1]), m[1]), value)

    def message(self, message: Message, heading: str) -> list[str]:
        private = " (only you can see this)" if message.ephemeral else ""
        lines = [f"── {heading}{private} ──"]
        if message.content:
            lines += [self.text(message.content)]
        for embed in message.embeds:
            lines += self._embed(embed)
        for attachment in message.attachments:
            path = self.files / f"{message.id}-{attachment.filename}"
            path.write_bytes(attachment.data)
            lines.append(f"[file: {path}]")
        lines += self._components(message)
        return lines

    def _embed(self, embed: dict[str, Any]) -> list[str]:
        lines = []
        if embed.get("title"):
            lines.append(f"┌ {self.text(embed['title'])}")
        for part in (embed.get("description") or "").splitlines():
            lines.append(f"│ {self.text(part)}")
        for item in embed.get("fields", []):
            lines.append(f"│ {self.text(item['name'])}: {self.text(item['value']).replace(chr(10), ' / ')}")
        if embed.get("footer"):
            lines.append(f"└ {self.text(embed['footer']['text'])}")
        return lines

    def _components(self, message: Message) -> list[str]:
        lines = []
        for row in message.components:
            shown = []
            for item in row.get("components", []):
                number = len(self.controls) + 1
                if item["type"] == BUTTON and "custom_id" in item:
                    self.controls.append(Control(message, BUTTON, item["custom_id"], item.get("label", "")))
                    off = " (disabled)" if item.get("disabled") else ""
                    shown.append(f"[{number}] {item.get('label', '')}{off}")
                elif item["type"] == SELECT:
                    control = Control(
                        message,
                        SELECT,
                        item["custom_id"],
                        item.get("placeholder", ""),
                        item.get("options", []),
                        item.get("min_values", 1),
                        item.get("max_values", 1),
                    )
                    self.controls.append(control)
                    choices = "  ".join(f"({i}) {o['label']}" for i, o in enumerate(control.options, 1))
                    shown.append(f"[{number}] menu «{control.label}»: {choices}")
            if shown:
                lines.append("   ".join(shown))
        return lines
