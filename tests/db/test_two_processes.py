"""Two Picket processes share one MariaDB: each job runs in one of them at a time, nothing is done
twice, and when the process running a job is killed the other takes the job over."""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import signal
import sys
import time
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from core.clock import FrozenClock
from core.models import HoldStatus
from core.services.booking import HoldSeats, hold_seats
from db.engine import make_engine
from db.uow import SqlUnitOfWork
from tests.support import databases
from tests.support.builders import fan, fund, key, on_sale_event

pytestmark = pytest.mark.mariadb

ROOT = Path(__file__).resolve().parents[2]
FIRST_NOTICES, LATER_NOTICES, HOLDS = 300, 100, 12
DEADLINE = 60.0


def _journal(out: Path, name: str) -> list[dict[str, Any]]:
    path = out / f"{name}.jsonl"
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.endswith("}")]


def _delivered(out: Path) -> Counter[int]:
    return Counter(r["id"] for name in "AB" for r in _journal(out, name) if r["kind"] == "delivered")


async def _until(done: Any, what: str) -> None:
    ends = time.monotonic() + DEADLINE
    while not done():
        assert time.monotonic() < ends, f"gave up waiting for {what}"
        await asyncio.sleep(0.1)


async def test_two_processes_share_the_jobs_and_do_nothing_twice(
    mariadb_database: str, tmp_path: Path
) -> None:
    url = databases.mariadb_url(mariadb_database)
    await databases.clear_tables(url)
    engine = make_engine(url)
    # Holds made an hour ago by the real clock: due to expire the moment a process looks.
    past = FrozenClock(datetime.now(UTC).replace(tzinfo=None, microsecond=0) - timedelta(hours=1))
    event = await on_sale_event(SqlUnitOfWork(engine), past, per_user_limit=2)
    async with SqlUnitOfWork(engine) as uow:
        section = (await uow.seats.availability(event.id, past.now()))[0].section_id
    hold_ids = []
    for n in range(HOLDS):
        await fund(SqlUnitOfWork(engine), past, 100 + n, 1000)
        wanted = HoldSeats(event.id, fan(100 + n), key(), section_id=section, quantity=1)
        hold_ids.append((await hold_seats(wanted, SqlUnitOfWork(engine), past)).hold.id)
    await _add_notices(engine, FIRST_NOTICES)

    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    command = [sys.executable, "-m", "tests.support.scheduler_process", url, str(tmp_path)]
    processes = {
        name: await asyncio.create_subprocess_exec(*command, name, cwd=ROOT, env=env) for name in "AB"
    }
    try:
        await _until(lambda: sum(_delivered(tmp_path).values()) >= FIRST_NOTICES, "the first notices")
        # Kill the process that is sending notices; the other must take the job over.
        sender = _last_runner(tmp_path, "send_notices")
        processes[sender].send_signal(signal.SIGKILL)
        await processes[sender].wait()
        await _add_notices(engine, LATER_NOTICES)
        await _until(lambda: sum(_delivered(tmp_path).values()) >= FIRST_NOTICES + LATER_NOTICES, "the rest")
        async with SqlUnitOfWork(engine) as uow:
            holds = [await uow.holds.get(hold_id) for hold_id in hold_ids]
    finally:
        for process in processes.values():
            if process.returncode is None:
                process.kill()
            await process.wait()
        await engine.dispose()

    delivered = _delivered(tmp_path)
    assert len(delivered) == FIRST_NOTICES + LATER_NOTICES
    assert [n for n, times in delivered.items() if times > 1] == [], "a notice was delivered twice"
    survivor = "B" if sender == "A" else "A"
    runs = {name: [r for r in _journal(tmp_path, name) if r["kind"] == "run"] for name in "AB"}
    killed_at = max(r["end"] for r in runs[sender])
    assert any(r["job"] == "send_notices" and r["start"] > killed_at for r in runs[survivor])

    assert all(h is not None and h.status is HoldStatus.EXPIRED for h in holds)
    expired = sum(r["result"] for name in "AB" for r in runs[name] if r["job"] == "expire_holds")
    assert expired == HOLDS, "each hold is released once"

    by_job: defaultdict[str, list[tuple[float, float, str]]] = defaultdict(list)
    for name in "AB":
        for r in runs[name]:
            by_job[r["job"]].append((r["start"], r["end"], name))
    for job, spans in by_job.items():
        spans.sort()
        for (_, end, name), (start, _, other) in itertools.pairwise(spans):
            assert name == other or start >= end, f"{job} ran in both processes at once"
    assert {"expire_holds", "send_notices", "run_queues", "audit"} <= set(by_job)


def _last_runner(out: Path, job: str) -> str:
    runs = [(r["start"], name) for name in "AB" for r in _journal(out, name) if r.get("job") == job]
    return max(runs)[1]


async def _add_notices(engine: Any, count: int) -> None:
    now = datetime.now(UTC).replace(tzinfo=None, microsecond=0)
    async with SqlUnitOfWork(engine) as uow:
        for n in range(count):
            await uow.outbox.add("ticket_cancelled", {"ticket_id": n, "user_id": 7}, now)
        await uow.commit()
