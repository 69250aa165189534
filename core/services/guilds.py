"""Per-server set-up: who may post events and where new events are announced."""

from __future__ import annotations

from core.errors import GuildNotConfigured, NotOrganizer
from core.models import GuildConfig
from core.ports import UnitOfWork
from core.retry import retrying


@retrying
async def configure_guild(config: GuildConfig, uow: UnitOfWork) -> GuildConfig:
    async with uow:
        await uow.guilds.save(config)
        await uow.commit()
    return config


@retrying
async def guild_config(guild_id: int, uow: UnitOfWork) -> GuildConfig | None:
    async with uow:
        return await uow.guilds.get(guild_id)


async def require_organizer(uow: UnitOfWork, guild_id: int, role_ids: frozenset[int]) -> GuildConfig:
    """Inside an open unit of work: the member must hold the organizer role this server chose."""
    config = await uow.guilds.get(guild_id)
    if config is None:
        raise GuildNotConfigured()
    if config.organizer_role_id not in role_ids:
        raise NotOrganizer()
    return config


@retrying
async def check_organizer(guild_id: int, role_ids: frozenset[int], uow: UnitOfWork) -> GuildConfig:
    """Raises unless the member may post events here; used before showing an organizer a form."""
    async with uow:
        return await require_organizer(uow, guild_id, role_ids)
