"""The cancellation waitlist, kept in memory."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from core.errors import DuplicateKey
from core.models import EventStatus, NewWaitlistEntry, WaitlistEntry, WaitlistStatus
from tests.unit.fakes.state import LineRow, Repo


class FakeWaitlist(Repo):
    async def add(self, entry: NewWaitlistEntry) -> int:
        # client_key is UNIQUE, and so is (event, fan) while the entry waits.
        if await self.by_client_key(entry.client_key) or await self.waiting_for(
            entry.event_id, entry.user_id
        ):
            raise DuplicateKey(entry.client_key)
        entry_id = self.db.new_id("waitlist")
        self.db.waitlist[entry_id] = WaitlistEntry(
            entry_id,
            entry.event_id,
            entry.user_id,
            entry.section_id,
            entry.quantity,
            entry.max_price,
            entry.escrow,
            WaitlistStatus.WAITING,
            entry.client_key,
            entry.holder_name,
            entry.locale,
            entry.created_at,
        )
        return entry_id

    async def get(self, entry_id: int) -> WaitlistEntry | None:
        return self.db.waitlist.get(entry_id)

    async def by_client_key(self, client_key: str) -> WaitlistEntry | None:
        return next((e for e in self.db.waitlist.values() if e.client_key == client_key), None)

    def _waiting(self) -> list[WaitlistEntry]:
        return sorted(
            (e for e in self.db.waitlist.values() if e.status is WaitlistStatus.WAITING), key=lambda e: e.id
        )

    async def waiting_for(self, event_id: int, user_id: int) -> WaitlistEntry | None:
        return next((e for e in self._waiting() if (e.event_id, e.user_id) == (event_id, user_id)), None)

    async def of_fan(self, user_id: int) -> list[WaitlistEntry]:
        return [e for e in self._waiting() if e.user_id == user_id]

    async def place(self, entry: WaitlistEntry) -> int:
        return sum(1 for e in self._waiting() if e.event_id == entry.event_id and e.id <= entry.id)

    async def in_line(self, event_id: int, limit: int) -> list[WaitlistEntry]:
        return [e for e in self._waiting() if e.event_id == event_id][:limit]

    async def finish(
        self, entry_id: int, status: WaitlistStatus, now: datetime, order_id: int | None = None
    ) -> bool:
        entry = self.db.waitlist.get(entry_id)
        if entry is None or entry.status is not WaitlistStatus.WAITING:
            return False
        self.db.waitlist[entry_id] = replace(entry, status=status, order_id=order_id)
        line = self.db.lines.get(entry.event_id)
        if line is not None and line.waiting > 0:
            line.waiting -= 1
        return True

    async def open_line(self, event_id: int, closes_at: datetime) -> None:
        self.db.lines.setdefault(event_id, LineRow(0, closes_at)).waiting += 1

    async def waiting(self, event_id: int) -> int:
        line = self.db.lines.get(event_id)
        return line.waiting if line is not None else 0

    async def take_line(self, event_id: int) -> bool:
        # One transaction at a time here, as one writer at a time on SQLite.
        return event_id in self.db.lines

    async def lines_to_serve(self, limit: int) -> list[int]:
        return sorted(e for e, line in self.db.lines.items() if line.waiting > 0)[:limit]

    async def lines_due(self, now: datetime, limit: int) -> list[int]:
        def over(event_id: int, line: LineRow) -> bool:
            event = self.db.events.get(event_id)
            cancelled = event is not None and event.status is EventStatus.CANCELLED
            return line.waiting > 0 and (line.closes_at <= now or cancelled)

        due = [(line.closes_at, e) for e, line in self.db.lines.items() if over(e, line)]
        return [e for _, e in sorted(due)][:limit]

    async def lengths(self, event_id: int) -> dict[int | None, int]:
        lengths: dict[int | None, int] = {}
        for entry in self._waiting():
            if entry.event_id == event_id:
                lengths[entry.section_id] = lengths.get(entry.section_id, 0) + 1
        return lengths
