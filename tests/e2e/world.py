"""A Discord server with an admin, an organizer and fans, and Picket running against it.

Tests act as these members: they run slash commands, fill in forms, press buttons and read what
Picket answered, edited or sent by DM, exactly as Discord would show it.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from bot.client import GLOBAL_REQUESTS_PER_SECOND, PicketBot
from bot.devserver import (
    Channel,
    DevServer,
    DevServerConfig,
    Guild,
    InteractionResult,
    Member,
    Message,
    Role,
)
from bot.devserver.testing import FAST_GUILD_READY, running_bot, serve
from core.caller import Caller
from core.clock import FrozenClock
from core.payments import SandboxPayments
from core.runtime import Runtime
from core.services.guilds import ConfigureGuild, configure_guild
from core.services.wallet import TopUp, top_up
from core.ticket_codes import TicketCodes
from db.engine import make_engine
from db.migrate import migrate
from db.uow import SqlUnitOfWork

ZONE = ZoneInfo("Asia/Seoul")
MANAGE_GUILD = 1 << 5


@dataclass
class World:
    server: DevServer
    runtime: Runtime
    clock: FrozenClock
    guild: Guild
    announcements: Channel
    organizer_role: Role
    admin: Member
    organizer: Member
    other_organizer: Member
    fans: list[Member]
    korean_fan: Member
    shy_fan: Member
    bot: PicketBot | None = None
    # The pace the bot keeps under Discord's global limit (as it is told to, whatever the server allows).
    requests_per_second: float = GLOBAL_REQUESTS_PER_SECOND
    _counter: list[int] = field(default_factory=lambda: [0])
    _bot_stack: contextlib.AsyncExitStack = field(default_factory=contextlib.AsyncExitStack)

    async def start_bot(self) -> PicketBot:
        self.bot = await self._bot_stack.enter_async_context(
            running_bot(self.server, lambda: make_bot(self.runtime, self.requests_per_second))
        )
        return self.bot

    async def restart_bot(self) -> PicketBot:
        """Stops Picket and starts a new process's worth of it against the same server and database."""
        await self._bot_stack.aclose()
        self._bot_stack = contextlib.AsyncExitStack()
        return await self.start_bot()

    @property
    def fan(self) -> Member:
        return self.fans[0]

    def when(self, days: float = 30, hour: int = 19) -> str:
        """A start time as an organizer types it, ``days`` from now, in the server's zone."""
        moment = datetime.now(ZONE) + timedelta(days=days)
        return moment.replace(hour=hour, minute=30).strftime("%Y-%m-%d %H:%M")

    async def command(
        self, actor: Member, name: str, locale: str | None = None, /, **options: Any
    ) -> InteractionResult:
        # Positional-only, so that a command's own options may be called member or name.
        locale = options.pop("locale", locale)
        return await self.server.run_command(self.guild, actor, name, options=options or None, locale=locale)

    async def reply(self, actor: Member, name: str, locale: str | None = None, /, **options: Any) -> Message:
        """Runs a command and returns what the member sees in answer."""
        result = await self.command(actor, name, locale, **options)
        return await result.wait_for_message()

    async def cancel_ticket(self, actor: Member, ticket_id: int) -> Message:
        """/tickets cancel, then the confirming button: what the member sees in the end."""
        asked = await self.reply(actor, "tickets cancel", ticket=ticket_id)
        yes = next(
            (b["custom_id"] for b in asked.buttons if b["custom_id"].startswith("picket:tcancel:yes")), None
        )
        if yes is None:
            return asked  # refused at once: the answer says why
        clicked = await self.server.click(actor, asked, custom_id=yes)
        answer = await clicked.wait_for_message()
        return await self.server.changes.wait_for(
            lambda: answer if not answer.components else None, within=10, what="the cancellation's answer"
        )

    async def set_up(self) -> Message:
        return await self.reply(
            self.admin,
            "picket setup",
            organizer_role=self.organizer_role.id,
            announce_channel=self.announcements.id,
        )

    async def create_event(
        self,
        member: Member | None = None,
        *,
        title: str = "Spring Concert",
        starts: str | None = None,
        venue: str = "Olympic Hall",
        description: str = "An evening of songs.",
        locale: str | None = None,
        **options: Any,
    ) -> Message:
        """Runs /event create, fills in its form, and returns the draft preview."""
        member = member or self.organizer
        options.setdefault("category", "concert")
        if "capacity" not in options:
            options.setdefault("layout", "VIP:A-B x 1-10 @ 99000; R:C-E x 1-10 @ 77000")
        result = await self.command(member, "event create", locale, **options)
        form = await result.wait_for_modal()
        values = {f.custom_id: "" for f in form.fields}
        order = [f.custom_id for f in form.fields]
        values[order[0]] = title
        values[order[1]] = starts or self.when()
        values[order[2]] = venue
        values[order[3]] = description
        submitted = await self.server.submit_modal(member, form, values)
        return await submitted.wait_for_message()

    async def published_event(self, **options: Any) -> int:
        """An event created and published by the organizer; returns its id."""
        preview = await self.create_event(**options)
        event_id = event_id_of(preview)
        published = await self.command(self.organizer, "event publish", event=event_id)
        await published.wait_for_message()
        return event_id

    async def fund(self, member: Member, amount: int = 1_000_000) -> None:
        self._counter[0] += 1
        funds = TopUp(member.id, amount, f"test-fund-{self._counter[0]}")
        await top_up(funds, self.runtime.uow(), self.clock, self.runtime.payments)

    async def until_says(self, message: Message, fragment: str, *, within: float = 10.0) -> Message:
        """The message once an edit has made it say ``fragment`` (progress that ends in a result)."""
        return await self.server.changes.wait_for(
            lambda: message if fragment in (message.content or "") else None,
            within=within,
            what=f"message {message.id} to say {fragment!r}",
        )

    async def configure(self) -> None:
        """What /picket setup does, straight through the service (for tests about something else)."""
        admin = Caller(self.admin.id, self.guild.id, manages_guild=True)
        setup = ConfigureGuild(admin, self.organizer_role.id, self.announcements.id, "ko")
        await configure_guild(setup, self.runtime.uow())

    def caller(self, member: Member) -> Caller:
        """The member acting in this world's server, as an interaction from them would say."""
        return Caller(member.id, self.guild.id, frozenset(member.role_ids), name=member.user.name)


def event_id_of(message: Message) -> int:
    """The event number shown in an event card's footer (``Event #12``)."""
    footer = message.embeds[0]["footer"]["text"]
    return int(footer.split("#", 1)[1].split()[0])


def real_now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None, microsecond=0)


@contextlib.asynccontextmanager
async def picket_world(
    data_dir: Path,
    config: DevServerConfig | None = None,
    *,
    requests_per_second: float = GLOBAL_REQUESTS_PER_SECOND,
) -> AsyncIterator[World]:
    engine = make_engine(f"sqlite+aiosqlite:///{data_dir / 'picket.db'}")
    await migrate(engine)
    clock = FrozenClock(real_now())
    runtime = Runtime(
        new_uow=lambda: SqlUnitOfWork(engine),
        clock=clock,
        zone=ZONE,
        codes=TicketCodes.generate(),
        hold_minutes=10,
        max_tickets_per_fan=4,
        payments=SandboxPayments(),
    )
    try:
        async with serve(config) as server:
            guild = server.add_guild("Seoul Arena", locale="ko", channel_names=("general", "announcements"))
            channels = {c.name: c for c in guild.text_channels()}
            organizers = server.add_role(guild, "Organizers")
            admins = server.add_role(guild, "Admins", permissions=MANAGE_GUILD)
            world = World(
                server=server,
                runtime=runtime,
                clock=clock,
                guild=guild,
                announcements=channels["announcements"],
                organizer_role=organizers,
                requests_per_second=requests_per_second,
                **cast(server, guild, admins, organizers),
            )
            await world.start_bot()
            try:
                yield world
            finally:
                await world._bot_stack.aclose()
    finally:
        await engine.dispose()


def cast(
    server: DevServer, guild: Guild, admins: Role, organizers: Role, *, prefix: str = "", fans: int = 3
) -> dict[str, Any]:
    """The members of a world: an admin, two organizers, fans (one Korean, one with DMs closed)."""

    def member(name: str, **options: Any) -> Member:
        return server.add_member(guild, prefix + name, **options)

    return {
        "admin": member("admin", roles=[admins]),
        "organizer": member("organizer", roles=[organizers]),
        "other_organizer": member("rival", roles=[organizers]),
        "fans": [member(f"fan{i}") for i in range(fans)],
        "korean_fan": member("minji", locale="ko"),
        "shy_fan": member("quiet", dms_open=False),
    }


def make_bot(runtime: Runtime, requests_per_second: float) -> PicketBot:
    return PicketBot(
        runtime,
        run_scheduler=False,
        guild_ready_timeout=FAST_GUILD_READY,
        requests_per_second=requests_per_second,
    )
