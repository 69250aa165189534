"""Remembers which set of slash commands Discord last received, so they are only sent when they change.

Discord limits how many commands an application may create a day and asks bots not to sync on every
start; the command set's digest is kept in the database, shared by every process of a deployment."""

from __future__ import annotations

from core.ports import UnitOfWork
from core.retry import retrying


def _key(application_id: int) -> str:
    return f"commands-synced:{application_id}"


@retrying
async def commands_changed(application_id: int, digest: str, uow: UnitOfWork) -> bool:
    async with uow.for_reading():
        return await uow.app_state.get(_key(application_id)) != digest


@retrying
async def commands_synced(application_id: int, digest: str, uow: UnitOfWork) -> None:
    async with uow:
        await uow.app_state.put(_key(application_id), digest)
        await uow.commit()
