"""What one /metrics answer shows, read off the hub and the doors (the exposition writes it)."""

from __future__ import annotations

from dataclasses import dataclass

from thinggate.api.metering import RequestSeries


@dataclass(slots=True)
class Snapshot:
    """What one /metrics answer shows besides the request series, read off the hub and the doors."""

    requests: list[tuple[str, str, RequestSeries]]
    bounds: tuple[float, ...]
    connections: dict[str, int]
    events_published: int
    events_dropped: int
    event_subscribers: int
    outbox_pending: int | None
    links: dict[str, bool]
    things: dict[str, int]
