"""The terminal: who you are, what you type, and what Picket answers."""

from __future__ import annotations

import asyncio
import shlex
import sys
from collections.abc import Awaitable, Callable
from typing import Any

from bot.devserver import ActionRefused, DevServer, InteractionResult, Member, WaitTimeout
from bot.sandbox._render import BUTTON, Renderer
from bot.sandbox._seed import DemoServer

QUIET = 0.5
PATIENCE = 15.0
HELP = """Commands:
  as NAME                  act as another member ({names})
  who                      list the members
  /COMMAND [SUB] opt:value run a slash command, e.g. /book event:1 quantity:2
  press N                  press button N of the last message
  choose N A[,B]           pick option(s) A (B...) in menu N
  dms                      show your DMs
  read CHANNEL             show a channel's messages (general, announcements)
  help                     this text
  quit                     leave (Ctrl-D works too)"""

STRING, INTEGER, BOOLEAN, USER, CHANNEL, ROLE, NUMBER = 3, 4, 5, 6, 7, 8, 10


class Repl:
    def __init__(
        self, server: DevServer, demo: DemoServer, renderer: Renderer, read: Callable[[], Awaitable[str]]
    ):
        self.server = server
        self.demo = demo
        self.render = renderer
        self.read = read
        self.me: Member = demo.members["minji"]
        self.seen: set[tuple[int, int]] = set()

    def say(self, *lines: str) -> None:
        for line in lines:
            print(line, flush=True)

    @property
    def name(self) -> str:
        return self.me.user.name

    async def loop(self) -> None:
        self.say(HELP.format(names=", ".join(self.demo.members)))
        while True:
            print(f"picket ({self.name})> ", end="", flush=True)
            line = await self.read()
            if not line:
                self.say("")
                return
            line = line.strip()
            if line in ("quit", "exit"):
                return
            if line:
                try:
                    await self.handle(line)
                except (ActionRefused, ValueError, KeyError, IndexError) as error:
                    self.say(f"! {error}")
                except WaitTimeout:
                    self.say("! Picket did not answer in time.")

    async def handle(self, line: str) -> None:
        words = shlex.split(line)
        verb = words[0]
        if verb == "help":
            self.say(HELP.format(names=", ".join(self.demo.members)))
        elif verb == "who":
            self.say(
                *(
                    f"{n}: {m.user.locale}{'' if m.user.dms_open else ', DMs closed'}"
                    for n, m in self.demo.members.items()
                )
            )
        elif verb == "as":
            self.me = self.demo.members[words[1]]
            self.say(f"You are now {self.name} (language {self.me.user.locale}).")
        elif verb.startswith("/"):
            await self.slash(words)
        elif verb == "press":
            control = self.render.controls[int(words[1]) - 1]
            if control.kind != BUTTON:
                raise ValueError(f"{words[1]} is a menu; use choose")
            await self.show(await self.server.click(self.me, control.message, custom_id=control.custom_id))
        elif verb == "choose":
            control = self.render.controls[int(words[1]) - 1]
            values = [control.options[int(v) - 1]["value"] for v in words[2].split(",")]
            await self.show(await self.server.select(self.me, control.message, control.custom_id, values))
        elif verb == "dms":
            for message in self.server.dms(self.me):
                self.say(*self.render.message(message, "DM"))
        elif verb == "read":
            channel = self.demo.channels[words[1].lstrip("#")]
            for message in self.server.channel_messages(channel):
                self.say(*self.render.message(message, f"#{channel.name}"))
        else:
            raise ValueError(f"unknown command {verb!r}; type help")

    async def slash(self, words: list[str]) -> None:
        path, options = [words[0][1:]], {}
        for word in words[1:]:
            if ":" in word:
                key, value = word.split(":", 1)
                options[key] = value
            else:
                path.append(word)
        name = " ".join(path)
        typed = await self.typed_options(name, options)
        await self.show(await self.server.run_command(self.demo.guild, self.me, name, options=typed))

    async def typed_options(self, name: str, given: dict[str, str]) -> dict[str, Any]:
        definition = self._definition(name)
        typed: dict[str, Any] = {}
        for key, value in given.items():
            option = next((o for o in definition if o["name"] == key), None)
            if option is None:
                raise ValueError(f"/{name} has no option {key!r}")
            typed[key] = await self._convert(name, option, value, given)
        return typed

    def _definition(self, name: str) -> list[dict[str, Any]]:
        parts = name.split()
        commands = self.server.commands() + self.server.commands(self.demo.guild)
        found = next((c for c in commands if c["name"] == parts[0]), None)
        if found is None:
            raise ValueError(f"Picket has no command /{parts[0]}")
        options: list[dict[str, Any]] = found.get("options", [])
        for part in parts[1:]:
            sub = next((o for o in options if o["name"] == part), None)
            if sub is None:
                raise ValueError(f"/{name} is not a command")
            options = sub.get("options", [])
        return options

    async def _convert(self, name: str, option: dict[str, Any], value: str, given: dict[str, str]) -> Any:
        kind = option["type"]
        if kind == INTEGER and not value.lstrip("-").isdigit() and option.get("autocomplete"):
            choices = await self.server.autocomplete(
                self.demo.guild, self.me, name, focused=option["name"], value=value
            )
            if not choices:
                raise ValueError(f"nothing matches {value!r}")
            return choices[0]["value"]
        if kind == INTEGER:
            return int(value)
        if kind == NUMBER:
            return float(value)
        if kind == BOOLEAN:
            return value.lower() in ("1", "true", "yes", "y")
        if kind == USER:
            return self.demo.members[value.lstrip("@")]
        if kind == CHANNEL:
            return self.demo.channels[value.lstrip("#")]
        if kind == ROLE:
            return next(
                r for r in self.demo.guild.roles.values() if r.name.lower() == value.lstrip("@").lower()
            )
        choice = next((c for c in option.get("choices", []) if value in (c["value"], c["name"])), None)
        return choice["value"] if choice else value

    async def show(self, result: InteractionResult) -> None:
        await result.wait_for_response(within=PATIENCE)
        await self.until_quiet()
        if result.modal is not None and not result.modal.submitted:
            await self.fill(result)
            return
        self.render.controls = []
        for message in [m for m in [result.message, *result.followups] if m is not None]:
            self.say(*self.render.message(message, "Picket"))
        for message in self.server.dms(self.me):
            key = (message.id, len(message.history))
            if key not in self.seen:
                self.seen.add(key)
                self.say(*self.render.message(message, "new DM"))

    async def fill(self, result: InteractionResult) -> None:
        modal = result.modal
        assert modal is not None
        self.say(f"── form: {modal.title} ──")
        values = {}
        for field in modal.fields:
            optional = "" if field.required else " (optional)"
            print(f"{field.label}{optional}: ", end="", flush=True)
            values[field.custom_id] = (await self.read()).rstrip("\n")
        await self.show(await self.server.submit_modal(self.me, modal, values))

    async def until_quiet(self) -> None:
        """Waits for Picket to finish what it is doing: no change for a moment, within a limit."""
        loop = asyncio.get_running_loop()
        end = loop.time() + PATIENCE
        while loop.time() < end and await self.server.changes.next_change(QUIET):
            pass


async def read_stdin() -> str:
    return await asyncio.to_thread(sys.stdin.readline)
