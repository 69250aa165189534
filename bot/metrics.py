"""Picket's Prometheus metrics and the /metrics endpoint that serves them.

Core stays free of prometheus-client: it reports retries through `core.retry.retry_listeners`, and
the bot counts what its cogs and jobs see."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, start_http_server

from core.retry import retry_listeners

REGISTRY = CollectorRegistry(auto_describe=True)

COMMAND_SECONDS = Histogram(
    "picket_command_seconds",
    "From the member's press (Discord's timestamp) to the command's end, by command.",
    ["command"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2, 3, 5, 10),
    registry=REGISTRY,
)
COMMAND_ERRORS = Counter(
    "picket_command_errors_total",
    "Commands that ended in an unexpected error.",
    ["command"],
    registry=REGISTRY,
)
HOLDS = Counter("picket_holds_total", "Carts opened (seats held).", registry=REGISTRY)
BOOKINGS = Counter("picket_bookings_total", "Carts paid for: orders with their tickets.", registry=REGISTRY)
RETRIES = Counter(
    "picket_uow_retries_total",
    "Transactions tried again after a conflict, by operation.",
    ["operation"],
    registry=REGISTRY,
)
DELIVERIES = Counter(
    "picket_deliveries_total",
    "Outbox notices sent to Discord, by kind and outcome.",
    ["kind", "outcome"],
    registry=REGISTRY,
)
OUTBOX_BACKLOG = Gauge("picket_outbox_backlog", "Notices waiting to be sent.", registry=REGISTRY)


def _count_retry(operation: str) -> None:
    RETRIES.labels(operation).inc()


if _count_retry not in retry_listeners:
    retry_listeners.append(_count_retry)


def serve_metrics(host: str, port: int) -> int:
    """Serves /metrics in a thread of its own (scrapes never wait on the event loop); the port bound."""
    server, _thread = start_http_server(port, addr=host, registry=REGISTRY)
    return int(server.server_port)
