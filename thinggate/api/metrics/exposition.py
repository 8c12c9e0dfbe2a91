"""The /metrics text, written by prometheus-client from a Snapshot (imported by the first read of /metrics)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.process_collector import ProcessCollector

from thinggate.api.metrics.snapshot import Snapshot


class _SnapshotCollector:
    """Hands prometheus-client the families of one snapshot (a custom collector: nothing is kept between reads)."""

    def __init__(self) -> None:
        self.snapshot: Snapshot | None = None

    def collect(self) -> Iterator[Metric]:
        """The metric families of the snapshot being written."""
        snapshot = self.snapshot
        if snapshot is None:
            return
        yield from _requests(snapshot)
        connections = GaugeMetricFamily(
            "thinggate_door_connections", "Clients connected through each door now", labels=["door"]
        )
        for door, count in sorted(snapshot.connections.items()):
            connections.add_metric([door], count)
        yield connections
        yield CounterMetricFamily(
            "thinggate_events_published", "Events published on the hub's event bus", value=snapshot.events_published
        )
        yield CounterMetricFamily(
            "thinggate_events_dropped",
            "Events a bus subscriber lost by falling behind (it was dropped with them)",
            value=snapshot.events_dropped,
        )
        yield GaugeMetricFamily(
            "thinggate_event_subscribers", "Queue subscribers of the event bus now", value=snapshot.event_subscribers
        )
        if snapshot.outbox_pending is not None:
            yield GaugeMetricFamily(
                "thinggate_outbox_pending_events",
                "Lifecycle events stored and not yet published to the broker (the outbox's depth)",
                value=snapshot.outbox_pending,
            )
        links = GaugeMetricFamily(
            "thinggate_link_up", "Whether a link to devices or a broker is up (1) or down (0)", labels=["link"]
        )
        for link, up in sorted(snapshot.links.items()):
            links.add_metric([link], 1 if up else 0)
        yield links
        things = GaugeMetricFamily("thinggate_things", "Things of each integration", labels=["integration"])
        for integration, count in sorted(snapshot.things.items()):
            things.add_metric([integration], count)
        yield things


def _requests(snapshot: Snapshot) -> Iterator[Metric]:
    counts = CounterMetricFamily(
        "thinggate_requests",
        "Requests each door answered, by method and outcome (error: an error answer)",
        labels=["door", "method", "outcome"],
    )
    latency = HistogramMetricFamily(
        "thinggate_request_duration_seconds",
        "Time from a request read to its answer made, per door and method",
        labels=["door", "method"],
    )
    bounds = [*(_bound(bound) for bound in snapshot.bounds), "+Inf"]
    for door, method, series in snapshot.requests:
        counts.add_metric([door, method, "ok"], series.succeeded)
        counts.add_metric([door, method, "error"], series.failed)
        cumulative: list[tuple[str, float]] = []
        total = 0
        for bound, count in zip(bounds, series.buckets, strict=True):
            total += count
            cumulative.append((bound, total))
        latency.add_metric([door, method], cumulative, sum_value=series.seconds)
    yield counts
    yield latency


def _bound(value: float) -> str:
    # As prometheus-client writes its own buckets' `le` (0.005, 1.0, 10.0).
    return repr(float(value))


CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
"""The classic text format, which every Prometheus reads (the names here need none of 1.0.0's escaping)."""

_COLLECTOR = _SnapshotCollector()
_REGISTRY = CollectorRegistry(auto_describe=False)
_REGISTRY.register(_COLLECTOR)
ProcessCollector(registry=_REGISTRY)  # the hub's own memory, CPU time and open files, from /proc


def render(snapshot: Snapshot) -> tuple[bytes, str]:
    """The exposition of a snapshot and its Content-Type."""
    _COLLECTOR.snapshot = snapshot
    try:
        body: Any = generate_latest(_REGISTRY)
    finally:
        _COLLECTOR.snapshot = None
    return bytes(body), CONTENT_TYPE
