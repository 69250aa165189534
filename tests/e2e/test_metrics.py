"""Prometheus scrapes Picket's /metrics: a fan's booking moves the counters and the command latency."""

from __future__ import annotations

import aiohttp
from prometheus_client.parser import text_string_to_metric_families

from bot.metrics import serve_metrics
from cogs.notifications import DiscordDeliverer
from scheduler.jobs import send_notices
from tests.e2e.test_booking import buy
from tests.e2e.world import World


async def _scrape(port: int) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    async with aiohttp.ClientSession() as session, session.get(f"http://127.0.0.1:{port}/metrics") as got:
        assert got.status == 200
        text = await got.text()
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


async def test_a_booking_moves_the_figures_prometheus_scrapes(world: World) -> None:
    port = serve_metrics("127.0.0.1", 0)
    await world.set_up()
    event_id = await world.published_event()
    await world.fund(world.fan)
    before = await _scrape(port)

    await buy(world, world.fan, event_id, 2)
    assert world.bot is not None
    await send_notices(world.runtime, DiscordDeliverer(world.bot, world.runtime))
    await world.bot.measure()
    after = await _scrape(port)

    def moved(name: str, **labels: str) -> float:
        key = (name, tuple(sorted(labels.items())))
        return after.get(key, 0.0) - before.get(key, 0.0)

    assert moved("picket_holds_total") == 1
    assert moved("picket_bookings_total") == 1
    assert moved("picket_command_seconds_count", command="book") == 1
    # The ticket DM went out through the outbox (sent at once by Pay, or by the job).
    assert moved("picket_deliveries_total", kind="tickets_issued", outcome="sent") == 1
    assert after[("picket_outbox_backlog", ())] == 0

    await world.cancel_ticket(world.fan, 1)
    again = await _scrape(port)
    assert (
        again.get(("picket_refunds_total", (("reason", "ticket_cancelled"),)), 0.0)
        - after.get(("picket_refunds_total", (("reason", "ticket_cancelled"),)), 0.0)
        == 1
    )
