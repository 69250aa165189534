"""The jobs: each is thin and idempotent, claiming due rows and handling each in its own transaction."""

from __future__ import annotations

import logging

from core.runtime import Runtime
from core.services.booking import expire_due_holds
from core.services.outbox import Deliverer, deliver_notices

log = logging.getLogger(__name__)


async def expire_holds(runtime: Runtime) -> int:
    expired = await expire_due_holds(runtime.uow(), runtime.clock)
    if expired:
        log.info("released %d expired holds", expired)
    return expired


async def send_notices(runtime: Runtime, deliverer: Deliverer) -> int:
    outcomes = await deliver_notices(runtime.uow, deliverer, runtime.clock)
    return len(outcomes)
