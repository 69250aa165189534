"""The demo server the sandbox starts with, and a demo event on sale so booking can be tried at once."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from bot.devserver import Channel, DevServer, Guild, Member
from bot.i18n import language
from core.caller import Caller
from core.runtime import Runtime
from core.services.events import CreateEvent, create_event, publish_event
from core.services.guilds import ConfigureGuild, configure_guild
from core.services.wallet import TopUp, top_up

MANAGE_GUILD = 1 << 5
DEMO_LAYOUT = "VIP:A-B x 1-10 @ 99000; R:C-F x 1-12 @ 77000; S:G-H x 1-14 @ 55000"
STARTING_BALANCE = 500_000


@dataclass
class DemoServer:
    guild: Guild
    members: dict[str, Member]
    channels: dict[str, Channel]


def build_demo(server: DevServer) -> DemoServer:
    guild = server.add_guild("Picket Sandbox", locale="ko", channel_names=("general", "announcements"))
    admins = server.add_role(guild, "Admins", permissions=MANAGE_GUILD)
    organizers = server.add_role(guild, "Organizers")
    members = {
        "admin": server.add_member(guild, "admin", roles=[admins]),
        "organizer": server.add_member(guild, "organizer", roles=[organizers]),
        "minji": server.add_member(guild, "minji", locale="ko"),
        "alex": server.add_member(guild, "alex", locale="en-US"),
        "quiet": server.add_member(guild, "quiet", dms_open=False),
    }
    channels = {c.name: c for c in guild.text_channels()}
    return DemoServer(guild, members, channels)


async def seed_data(demo: DemoServer, runtime: Runtime) -> int:
    """Sets the server up, puts a demo event on sale and funds the fans' wallets; returns the event id."""
    organizers = next(r for r in demo.guild.roles.values() if r.name == "Organizers")
    # The demo is set up as its admin and organizer would set it up: with their own facts.
    admin = Caller(demo.members["admin"].id, demo.guild.id, manages_guild=True)
    channel = demo.channels["announcements"].id
    setup = ConfigureGuild(admin, organizers.id, channel, language(demo.guild.preferred_locale))
    await configure_guild(setup, runtime.uow())
    organizer = Caller(demo.members["organizer"].id, demo.guild.id, frozenset({organizers.id}))
    now = runtime.clock.now()
    event = await create_event(
        CreateEvent(
            caller=organizer,
            title="Picket Live in Seoul",
            description="A demo concert to try booking with.",
            venue="Olympic Hall",
            starts_at=now + timedelta(days=14),
            sale_opens_at=now - timedelta(minutes=1),
            layout=DEMO_LAYOUT,
            hold_minutes=runtime.hold_minutes,
        ),
        runtime.uow(),
        runtime.clock,
    )
    await publish_event(event.id, organizer, runtime.uow(), runtime.clock)
    for name in ("minji", "alex", "quiet"):
        member = demo.members[name]
        funds = TopUp(member.id, STARTING_BALANCE, f"sandbox-seed-{member.id}")
        await top_up(funds, runtime.uow(), runtime.clock, runtime.payments)
    return event.id
