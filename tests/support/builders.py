"""Small helpers that set up events and wallets through the real services."""

from __future__ import annotations

from datetime import timedelta
from itertools import count

from core.clock import FrozenClock
from core.models import Event
from core.ports import UnitOfWork
from core.services.events import CreateEvent, create_event, publish_event
from core.services.wallet import TopUp, top_up

ORGANIZER = 900
GUILD = 1
_keys = count(1)


def key(prefix: str = "k") -> str:
    return f"{prefix}-{next(_keys)}"


async def on_sale_event(
    uow: UnitOfWork,
    clock: FrozenClock,
    *,
    layout: str | None = "R:A-E x 1-10 @ 1000",
    ga_capacity: int | None = None,
    ga_price: int | None = None,
    per_user_limit: int = 4,
    hold_minutes: int = 10,
) -> Event:
    event = await create_event(
        CreateEvent(
            guild_id=GUILD,
            organizer_id=ORGANIZER,
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
    return (await publish_event(event.id, ORGANIZER, uow, clock)).event


async def fund(uow: UnitOfWork, clock: FrozenClock, user_id: int, amount: int) -> int:
    return await top_up(TopUp(user_id, amount, key("topup")), uow, clock)
