"""The composition root: builds the engine, clock and unit-of-work factory every part shares."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.keys import ticket_codes
from bot.settings import Settings
from core.clock import Clock, SystemClock
from core.payments import PaymentProvider, payments_for
from core.runtime import Runtime
from core.services.queue import QueueSettings
from core.ticket_codes import TicketCodes
from db.engine import make_engine
from db.migrate import migrate
from db.uow import SqlUnitOfWork


@dataclass
class App:
    settings: Settings
    engine: AsyncEngine
    clock: Clock
    codes: TicketCodes
    payments: PaymentProvider | None

    @classmethod
    def build(cls, settings: Settings, clock: Clock | None = None) -> App:
        """Raises Misconfigured (one line saying what to change) for settings that must not run together."""
        payments = payments_for(
            real_discord=settings.real_discord, sandbox_payments=settings.sandbox_payments
        )
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        engine = make_engine(
            settings.effective_database_url,
            pool_size=settings.db_pool_size,
            max_overflow=settings.db_max_overflow,
            pool_timeout=settings.db_pool_timeout,
        )
        return cls(settings, engine, clock or SystemClock(), ticket_codes(settings), payments)

    def runtime(self) -> Runtime:
        return Runtime(
            new_uow=self.uow,
            clock=self.clock,
            zone=self.settings.zone,
            codes=self.codes,
            hold_minutes=self.settings.hold_minutes,
            max_tickets_per_fan=self.settings.max_tickets_per_fan,
            waitlist_close_hours=self.settings.waitlist_close_hours,
            max_transfers=self.settings.max_transfers_per_ticket,
            queue_from=self.settings.queue_from_size,
            queue=QueueSettings(
                self.settings.queue_rate_per_minute, self.settings.queue_cap, self.settings.queue_pass_minutes
            ),
            payments=self.payments,
        )

    def uow(self) -> SqlUnitOfWork:
        """A fresh unit of work; one per interaction or job item, never shared between tasks."""
        return SqlUnitOfWork(self.engine)

    async def migrate(self) -> None:
        await migrate(self.engine)

    async def close(self) -> None:
        await self.engine.dispose()
