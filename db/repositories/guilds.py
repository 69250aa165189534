from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import or_, select, update

from core.models import GuildConfig
from db.repositories._base import Repo, insert_ignoring_duplicates
from db.schema import app_state, guilds, job_leases


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

    async def claim_lease(self, name: str, holder: str, now: datetime, until: datetime) -> bool:
        kept = await self.conn.execute(
            update(job_leases)
            .where(
                job_leases.c.name == name,
                or_(job_leases.c.holder == holder, job_leases.c.until < now),
            )
            .values(holder=holder, until=until)
        )
        if kept.rowcount:
            return True
        # No row yet: the first process to insert it holds the lease.
        made = await self.conn.execute(
            insert_ignoring_duplicates(job_leases, name=name, holder=holder, until=until)
        )
        return bool(made.rowcount)

    async def release_leases(self, holder: str, now: datetime) -> int:
        ended = await self.conn.execute(
            update(job_leases).where(job_leases.c.holder == holder).values(until=now - timedelta(seconds=1))
        )
        return int(ended.rowcount)
