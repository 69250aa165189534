"""Small helpers that set up events and wallets through the real services, acting as real members would."""

from __future__ import annotations

from datetime import timedelta
from itertools import count

from core.caller import Caller
from core.clock import FrozenClock
from core.models import Event
from core.payments import SandboxPayments
from core.ports import UnitOfWork
from core.services.events import CreateEvent, create_event, publish_event
from core.services.guilds import ConfigureGuild, configure_guild
from core.services.wallet import TopUp, top_up

ORGANIZER = 900
ADMIN = 901
GUILD = 1
OTHER_GUILD = 2
ORGANIZER_ROLE = 77
_keys = count(1)


def key(prefix: str = "k") -> str:
    return f"{prefix}-{next(_keys)}"


def fan(user_id: int, guild_id: int | None = GUILD, name: str = "") -> Caller:
    """A member with no role and no permission, acting in ``guild_id`` (None: in a DM)."""
    return Caller(user_id, guild_id, name=name or f"fan{user_id}")


def organizer(user_id: int = ORGANIZER, guild_id: int = GUILD) -> Caller:
    return Caller(user_id, guild_id, frozenset({ORGANIZER_ROLE}), name="organizer")


def admin(guild_id: int = GUILD) -> Caller:
    return Caller(ADMIN, guild_id, manages_guild=True, name="admin")


async def set_up_guild(uow: UnitOfWork, guild_id: int = GUILD) -> None:
    await configure_guild(ConfigureGuild(admin(guild_id), ORGANIZER_ROLE, None), uow)


async def on_sale_event(
    uow: UnitOfWork,
    clock: FrozenClock,
    *,
    layout: str | None = "R:A-E x 1-10 @ 1000",
    ga_capacity: int | None = None,
    ga_price: int | None = None,
    per_user_limit: int = 4,
    hold_minutes: int = 10,
    guild_id: int = GUILD,
) -> Event:
    await set_up_guild(uow, guild_id)
    by = organizer(guild_id=guild_id)
    event = await create_event(
        CreateEvent(
            caller=by,
            title="Spring Concert",
            starts_at=clock.now() + timedelta(days=30),
            sale_opens_at=clock.now() - timedelta(minutes=1),
            layout=layout,
            ga_capacity=ga_capacity,
            ga_price=ga_price,
            per_user_limit=per_user_limit,
            hold_minutes=hold_minutes,
        ),
        uow,
        clock,
    )
    return (await publish_event(event.id, by, uow, clock)).event


async def fund(uow: UnitOfWork, clock: FrozenClock, user_id: int, amount: int) -> int:
    return await top_up(TopUp(user_id, amount, key("topup")), uow, clock, SandboxPayments())
