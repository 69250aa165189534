"""Bookings go on while Galera nodes fail: the writer is killed, rejoins, then another node is stopped.

Sixteen fans' devices book through HAProxy with Picket's own services while node 1 (the writer) is
killed with SIGKILL, restarted (it must catch up by IST, not a full copy), and node 2 (the writer
since node 1 died) is shut down cleanly, leaving nodes 1 and 3 as the primary component. At the end
no seat is sold twice, every booking a fan saw paid is in the database and debited once, and the
ledger and wallets balance; the longest time without a paid booking stays bounded."""

from __future__ import annotations

import asyncio
import time

import pytest

from core.clock import FrozenClock
from db.engine import make_engine
from tests.reliability.conftest import Cluster, Retries
from tests.reliability.crowd import Crowd, audit, check, describe, set_stage

FANS = 400
# A failover costs about evs.suspect_timeout (5 s) plus HAProxy's two failed checks; a minute
# without a single paid booking means something hung.
LONGEST_GAP_ALLOWED = 60.0


def writer(cluster: Cluster) -> int:
    """The node HAProxy sends new connections to."""
    [(port,)] = cluster.query("SELECT @@port")
    return int(str(port)) - cluster.port


async def test_bookings_survive_the_writer_dying_and_a_second_node_stopping(
    cluster: Cluster, clock: FrozenClock, retries: Retries, capsys: pytest.CaptureFixture[str]
) -> None:
    started = time.monotonic()
    stage = await set_stage(cluster.url(), clock, FANS)
    engine = make_engine(cluster.url())
    crowd = Crowd(stage, engine, clock)
    load = asyncio.create_task(crowd.run())
    try:
        await crowd.wait_for(40, after=0, within=30)

        await cluster.act("kill", "1")
        killed_at = time.monotonic()  # the process is gone by now
        await crowd.wait_for(30, after=killed_at, within=60)
        writers = [await asyncio.to_thread(writer, cluster)]

        rejoined = await cluster.act("start", "1")
        assert "by IST" in rejoined, f"node 1 should rejoin by IST:\n{rejoined}"
        await crowd.wait_for(20, after=time.monotonic(), within=60)
        writers.append(await asyncio.to_thread(writer, cluster))

        stopped_at = time.monotonic()
        await cluster.act("stop", "2")
        await crowd.wait_for(30, after=time.monotonic(), within=60)
        writers.append(await asyncio.to_thread(writer, cluster))
        status = cluster.run("status")
    finally:
        crowd.stop.set()
        await load
        await engine.dispose()

    assert not crowd.errors, describe(crowd.errors)
    seen = await audit(cluster.url(), stage)
    problems = check(seen, crowd)
    gap = crowd.longest_gap()
    with capsys.disabled():
        print(
            f"\ngalera failover: {len(crowd.confirmed)} bookings paid ({seen.sold_seats} seats) in "
            f"{crowd.ended_at - crowd.started_at:.1f}s of load; writers {writers}; no booking paid for "
            f"{crowd.outage_around(killed_at):.1f}s around the kill of node 1 and "
            f"{crowd.outage_around(stopped_at):.1f}s around the stop of node 2; longest gap {gap:.1f}s; "
            f"retries {retries.total} {dict(retries.by_reason)}; busy answers pressed again {crowd.busy}; "
            f"errors other than busy {len(crowd.apologies)}; unresolved carts {len(crowd.unresolved)}; "
            f"test {time.monotonic() - started:.0f}s"
        )
    # Node 2 took over from node 1 and kept the writes when node 1 came back (no failback), so
    # stopping it moved them once more; nodes 1 and 3 carry on as the primary component.
    assert writers == [2, 2, 1], writers
    assert "node 2 (port" in status and "not running" in status and "cluster_size=2" in status, status
    assert problems == []
    assert gap < LONGEST_GAP_ALLOWED, f"no booking for {gap:.1f}s"
    assert not crowd.apologies, f"fans saw errors other than busy: {describe(crowd.apologies)}"
