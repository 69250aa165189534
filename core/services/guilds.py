"""Per-server set-up: who may post events and where new events are announced."""

from __future__ import annotations

from dataclasses import dataclass
from zoneinfo import ZoneInfo

from core.alerts import zone_named
from core.caller import Caller, valid_id
from core.errors import GuildNotConfigured, InvalidInput, NotAllowed, NotOrganizer
from core.models import GuildConfig
from core.ports import UnitOfWork
from core.retry import retrying


@dataclass(frozen=True)
class ConfigureGuild:
    caller: Caller
    organizer_role_id: int
    announce_channel_id: int | None
    locale: str = "en"
    time_zone: str | None = None  # None keeps the zone chosen before (or the language's usual one)


@retrying
async def configure_guild(cmd: ConfigureGuild, uow: UnitOfWork) -> GuildConfig:
    """Only a member who may manage the server, and only for the server they are in."""
    guild_id = cmd.caller.require_guild()
    if not cmd.caller.manages_guild:
        raise NotAllowed(reason="manage_guild")
    channel = cmd.announce_channel_id
    if not valid_id(cmd.organizer_role_id) or (channel is not None and not valid_id(channel)):
        raise InvalidInput()
    chosen = zone_named(cmd.time_zone).key if cmd.time_zone else None
    async with uow:
        before = await uow.guilds.get(guild_id)
        kept = chosen or (before.time_zone if before is not None else None)
        config = GuildConfig(
            guild_id, cmd.organizer_role_id, channel, "ko" if cmd.locale == "ko" else "en", kept
        )
        await uow.guilds.save(config)
        await uow.commit()
    return config


async def require_organizer(uow: UnitOfWork, caller: Caller) -> GuildConfig:
    """Inside an open unit of work: the member must hold the organizer role their server chose."""
    config = await uow.guilds.get(caller.require_guild())
    if config is None:
        raise GuildNotConfigured()
    if config.organizer_role_id not in caller.role_ids:
        raise NotOrganizer()
    return config


@retrying
async def check_organizer(caller: Caller, uow: UnitOfWork) -> GuildConfig:
    """Raises unless the member may post events here; used before showing an organizer a form."""
    async with uow.for_reading():
        return await require_organizer(uow, caller)


@retrying
async def guild_zone(guild_id: int | None, uow: UnitOfWork, fallback: ZoneInfo) -> ZoneInfo:
    """The zone a server's members type and read local times in (``fallback`` outside a server or
    before Picket is set up there)."""
    if guild_id is None:
        return fallback
    async with uow.for_reading():
        config = await uow.guilds.get(guild_id)
    return ZoneInfo(config.zone_name) if config is not None else fallback
