"""The unit of work: one connection and one transaction, with the repositories bound to it."""

from __future__ import annotations

import logging
from types import TracebackType
from typing import Self

from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from core.errors import Busy, Retryable
from db.box_office import box_office_for
from db.engine import READ_ONLY
from db.errors import is_retryable, retry_reason
from db.repositories.audit import AuditRepo
from db.repositories.booking import FanRepo, GeneralAdmissionRepo, HoldRepo, SeatRepo
from db.repositories.events import EventRepo
from db.repositories.guilds import AppStateRepo, GuildRepo
from db.repositories.ledger import LedgerRepo
from db.repositories.members import AlertRepo, InterestRepo, MemberRepo
from db.repositories.orders import OrderRepo, OutboxRepo, TicketRepo
from db.repositories.queues import QueueRepo
from db.repositories.waitlist import WaitlistRepo

log = logging.getLogger(__name__)


class SqlUnitOfWork:
    """Uses SQLAlchemy Core on a plain connection: the booking path is short, hot and hand-written,
    and the ORM's identity map would only add work to it.

    One instance serves one task at a time (one interaction, one job item); make another per task."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self.box_office = box_office_for(engine)
        self._conn: AsyncConnection | None = None
        self._committed = False
        self._read_only = False

    def for_reading(self) -> Self:
        self._read_only = True
        return self

    async def __aenter__(self) -> Self:
        read_only, self._read_only = self._read_only, False
        try:
            conn = await self._engine.connect()
        except PoolTimeout:
            # Every connection is busy and stayed busy: a clear "try again" beats a longer wait.
            raise Busy() from None
        except Exception as exc:
            if is_retryable(exc):
                raise Retryable(str(exc), retry_reason(exc)) from exc
            raise
        try:
            if read_only:
                await conn.execution_options(**{READ_ONLY: True})
            await conn.begin()
        except Exception as exc:
            await conn.close()
            if is_retryable(exc):
                raise Retryable(str(exc), retry_reason(exc)) from exc
            raise
        self._conn = conn
        self._committed = False
        self.guilds = GuildRepo(conn)
        self.events = EventRepo(conn)
        self.seats = SeatRepo(conn)
        self.general_admission = GeneralAdmissionRepo(conn)
        self.holds = HoldRepo(conn)
        self.fans = FanRepo(conn)
        self.orders = OrderRepo(conn)
        self.tickets = TicketRepo(conn)
        self.ledger = LedgerRepo(conn)
        self.outbox = OutboxRepo(conn)
        self.app_state = AppStateRepo(conn)
        self.waitlist = WaitlistRepo(conn)
        self.members = MemberRepo(conn)
        self.interests = InterestRepo(conn)
        self.alerts = AlertRepo(conn)
        self.queues = QueueRepo(conn)
        self.audit = AuditRepo(conn)
        return self

    @property
    def connection(self) -> AsyncConnection:
        """The open transaction's connection, for checks that look past the repositories."""
        assert self._conn is not None, "the unit of work is not open"
        return self._conn

    async def commit(self) -> None:
        assert self._conn is not None
        await self._conn.commit()
        self._committed = True

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        conn, self._conn = self._conn, None
        assert conn is not None
        try:
            if not self._committed:
                await conn.rollback()
        except Exception:
            log.debug("rollback failed on a connection that is already gone", exc_info=True)
            await conn.invalidate()
        finally:
            await conn.close()
        if exc is not None and is_retryable(exc):
            raise Retryable(str(exc), retry_reason(exc)) from exc
