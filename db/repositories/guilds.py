from __future__ import annotations

from sqlalchemy import select, update

from core.models import GuildConfig
from db.repositories._base import Repo, insert_ignoring_duplicates
from db.schema import app_state, guilds


class GuildRepo(Repo):
    async def get(self, guild_id: int) -> GuildConfig | None:
        row = (await self.conn.execute(select(guilds).where(guilds.c.guild_id == guild_id))).first()
        return GuildConfig(*row) if row is not None else None

    async def save(self, config: GuildConfig) -> None:
        values = {
            "organizer_role_id": config.organizer_role_id,
            "announce_channel_id": config.announce_channel_id,
            "locale": config.locale,
            "time_zone": config.time_zone,
        }
        await self.conn.execute(insert_ignoring_duplicates(guilds, guild_id=config.guild_id, **values))
        await self.conn.execute(update(guilds).where(guilds.c.guild_id == config.guild_id).values(**values))


class AppStateRepo(Repo):
    async def get(self, name: str) -> str | None:
        row = (await self.conn.execute(select(app_state.c.value).where(app_state.c.name == name))).first()
        return str(row[0]) if row is not None else None

    async def put(self, name: str, value: str) -> None:
        await self.conn.execute(insert_ignoring_duplicates(app_state, name=name, value=value))
        await self.conn.execute(update(app_state).where(app_state.c.name == name).values(value=value))
