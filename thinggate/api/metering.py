"""Requests counted and timed per door and method, for /metrics: plain Python, no metrics library on the hot path.

The metrics door (thinggate/api/metrics/) makes one RequestMeter and puts it in the door context
before any other door is built; a door that has one wraps each request's work in `metered`. Without
the metrics door there is no meter, and a door's whole cost is one `is None` test per request.
prometheus-client is imported only to write the exposition, when /metrics is first read.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Awaitable, Iterator
from dataclasses import dataclass, field
from time import perf_counter
from typing import TypeVar

T = TypeVar("T")

LATENCY_BUCKETS: tuple[float, ...] = (
    0.0001,
    0.00025,
    0.0005,
    0.001,
    0.0025,
    0.005,
    0.01,
    0.025,
    0.05,
    0.1,
    0.25,
    0.5,
    1.0,
    2.5,
    5.0,
    10.0,
)
"""Upper bounds (seconds) of the latency buckets: a JSON-RPC read takes microseconds, a slow device seconds."""

MAX_SERIES = 2000
"""(door, method) pairs kept apart at most; further ones are counted under method OTHER.

Doors name methods from their own tables (bounded), but a guard here keeps a bug or a door that
passes a client's words from growing the exposition without end."""

OTHER = "OTHER"


@dataclass(slots=True)
class RequestSeries:
    """One door and method: requests that succeeded and failed, and how long they took."""

    buckets: list[int]
    """Requests per latency bucket (not cumulative); the last one is past every bound (+Inf)."""
    seconds: float = 0.0
    succeeded: int = 0
    failed: int = 0


@dataclass(slots=True)
class RequestMeter:
    """Every door's requests by (door, method): counts, failures and latency buckets."""

    bounds: tuple[float, ...] = LATENCY_BUCKETS
    max_series: int = MAX_SERIES
    _series: dict[tuple[str, str], RequestSeries] = field(default_factory=dict)

    def observe(self, door: str, method: str, seconds: float, ok: bool = True) -> None:
        """Count one request of a door's method that took `seconds`; `ok` false counts it failed too."""
        series = self._series.get((door, method))
        if series is None:
            if len(self._series) >= self.max_series:
                method = OTHER
            series = self._series.get((door, method))
            if series is None:
                series = self._series[(door, method)] = RequestSeries([0] * (len(self.bounds) + 1))
        # bisect_left: a request of exactly a bound's length belongs to that bucket (le, "less or equal").
        series.buckets[bisect_left(self.bounds, seconds)] += 1
        series.seconds += seconds
        if ok:
            series.succeeded += 1
        else:
            series.failed += 1

    def series(self) -> Iterator[tuple[str, str, RequestSeries]]:
        """Every (door, method, series) seen so far, sorted."""
        for (door, method), series in sorted(self._series.items()):
            yield door, method, series


async def metered(work: Awaitable[T], meter: RequestMeter, door: str, method: str) -> T:
    """Await a request's work, counting it (failed when it raises) and its time under (door, method)."""
    started = perf_counter()
    try:
        result = await work
    except BaseException:
        meter.observe(door, method, perf_counter() - started, ok=False)
        raise
    meter.observe(door, method, perf_counter() - started)
    return result
