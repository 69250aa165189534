"""The whole Galera cluster is lost under a crowd of bookings; the standby takes over without losing one.

The standby replicates from the writer semi-synchronously (each commit waits for the standby's
acknowledgement), so every booking a fan saw paid is on it when every cluster node is killed at
once. After the failover command promotes it and points HAProxy at it, bookings go on there; at the
end the standby holds every paid booking, no seat twice, and balanced money."""

from __future__ import annotations

import asyncio
import time

import pytest

from core.clock import FrozenClock
from db.engine import make_engine
from tests.reliability.conftest import Cluster, Retries
from tests.reliability.crowd import Crowd, audit, check, describe, set_stage

FANS = 300
STANDBY = 4


def writer(cluster: Cluster) -> int:
    [(port,)] = cluster.query("SELECT @@port")
    return int(str(port)) - cluster.port


def semi_sync_status(cluster: Cluster) -> dict[str, str]:
    rows = cluster.query("SHOW GLOBAL STATUS LIKE 'Rpl_semi_sync_master_%'")
    return {str(name): str(value) for name, value in rows}


async def test_the_standby_takes_over_with_every_paid_booking_when_the_cluster_is_lost(
    cluster: Cluster, clock: FrozenClock, retries: Retries, capsys: pytest.CaptureFixture[str]
) -> None:
    started = time.monotonic()
    stage = await set_stage(cluster.url(), clock, FANS)
    standby_started = time.monotonic()
    await cluster.act("standby")
    standby_took = time.monotonic() - standby_started
    engine = make_engine(cluster.url())
    crowd = Crowd(stage, engine, clock)
    load = asyncio.create_task(crowd.run())
    try:
        attached = await asyncio.to_thread(semi_sync_status, cluster)
        await crowd.wait_for(100, after=0, within=40)
        semi_sync = await asyncio.to_thread(semi_sync_status, cluster)

        killed_at = time.monotonic()
        await cluster.act("kill", "all")
        dead_at = time.monotonic()
        await cluster.act("failover")
        promoted_at = time.monotonic()
        await crowd.wait_for(40, after=promoted_at, within=60)
        now_writing = await asyncio.to_thread(writer, cluster)
    finally:
        crowd.stop.set()
        await load
        await engine.dispose()

    assert not crowd.errors, describe(crowd.errors)
    acknowledged, unacknowledged = (
        int(semi_sync[f"Rpl_semi_sync_master_{kind}_tx"]) - int(attached[f"Rpl_semi_sync_master_{kind}_tx"])
        for kind in ("yes", "no")
    )
    seen = await audit(cluster.url(), stage)
    before = [b for b in crowd.confirmed if b.at < dead_at]
    missing = [b for b in before if seen.orders_by_hold.get(b.hold_id) != b.order_id]
    last_on_cluster = max(b.at for b in before)
    first_on_standby = min(b.at for b in crowd.confirmed if b.at > dead_at)
    problems = check(seen, crowd)
    with capsys.disabled():
        print(
            f"\nstandby switchover: standby seeded and replicating in {standby_took:.1f}s; "
            f"{len(before)} bookings paid on the cluster, {len(missing)} of them missing on the standby; "
            f"{len(crowd.confirmed) - len(before)} paid on the standby; last cluster commit to first "
            f"standby commit {first_on_standby - last_on_cluster:.1f}s (kill to promoted "
            f"{promoted_at - killed_at:.1f}s; no booking paid for {crowd.outage_around(dead_at):.1f}s); "
            f"longest gap {crowd.longest_gap():.1f}s; retries "
            f"{retries.total} {dict(retries.by_reason)}; busy answers pressed again {crowd.busy}; "
            f"errors other than busy {len(crowd.apologies)}; unresolved carts {len(crowd.unresolved)}; "
            f"commits under load acknowledged by the standby {acknowledged}, not acknowledged "
            f"{unacknowledged}; test {time.monotonic() - started:.0f}s"
        )
    # Every commit under load waited for the standby's acknowledgement: a timeout would have fallen
    # back to asynchronous replication, and been counted as not acknowledged.
    assert semi_sync["Rpl_semi_sync_master_status"] == "ON", semi_sync
    assert semi_sync["Rpl_semi_sync_master_clients"] == "1", semi_sync
    assert acknowledged > 0 and unacknowledged == 0, (attached, semi_sync)
    assert now_writing == STANDBY
    assert missing == []
    assert problems == []
    assert not crowd.apologies, f"fans saw errors other than busy: {describe(crowd.apologies)}"
