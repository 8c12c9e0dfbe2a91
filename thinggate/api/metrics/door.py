"""The metrics door: times the shared HTTP application's requests and answers `GET /metrics` from the seam.

Nothing here reaches into another door: requests are timed by a middleware on the shared
application (HTTP doors) or by the doors themselves through the context's RequestMeter (JSON-RPC,
Ezlo, Thinknx); the rest is read off the door context when /metrics is asked for.
"""

from __future__ import annotations

import ipaddress
import logging
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from time import perf_counter
from typing import Any

from aiohttp import web
from aiohttp.web_urldispatcher import AbstractRoute

from thinggate.api.door import DoorContext
from thinggate.api.metering import RequestMeter
from thinggate.api.metrics.settings import MetricsConfig
from thinggate.api.metrics.snapshot import Snapshot

_LOG = logging.getLogger(__name__)

HTTP_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
"""Methods named as they are; any other word a client sends is counted as OTHER (labels stay few)."""

NO_ROUTE = "(no route)"
SHARED = "http"
"""The door label of a request no door's route took (aiohttp's own 404 and 405)."""

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass(slots=True)
class MetricsDoor:
    """`GET /metrics`, and the middleware that times every request of the shared HTTP application."""

    context: DoorContext
    settings: MetricsConfig
    meter: RequestMeter
    _allowed: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...] = ()
    _door_of_route: dict[AbstractRoute, tuple[str, str]] = field(default_factory=dict)
    _things: tuple[int, dict[str, int]] = (-1, {})
    _exposition: Any = None

    def __post_init__(self) -> None:
        self._allowed = tuple(ipaddress.ip_network(network, strict=False) for network in self.settings.allowed_networks)

    @property
    def connection_count(self) -> int:
        """None of its own: a scraper is one of the shared HTTP site's connections."""
        return 0

    async def stop(self) -> None:
        """Nothing runs in the background."""

    # -- requests of the shared HTTP application --------------------------------------------------

    def _labels(self, request: web.Request) -> tuple[str, str]:
        """(door, method) of a request: the door whose module registered the route, the method and route pattern."""
        method = request.method if request.method in HTTP_METHODS else "OTHER"
        route = request.match_info.route
        if route.resource is None:  # aiohttp's own answer (no route, or not this method): a new route each time
            return SHARED, f"{method} {NO_ROUTE}"
        found = self._door_of_route.get(route)
        if found is None:
            # The route's pattern (`/thinggate/{tail}`), never the path a client chose: labels stay few.
            found = self._door_of_route[route] = (_door_of(route.handler), route.resource.canonical)
        door, pattern = found
        return door, f"{method} {pattern}"

    async def middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        """Time a request of the shared application and count it under its door and route (error: status >= 400)."""
        started = perf_counter()
        status = 500
        try:
            response = await handler(request)
            status = response.status
            return response
        except web.HTTPException as exc:
            status = exc.status
            raise
        finally:
            door, method = self._labels(request)
            self.meter.observe(door, method, perf_counter() - started, ok=status < 400)

    # -- /metrics ---------------------------------------------------------------------------------

    def _may_read(self, request: web.Request) -> bool:
        try:
            address = ipaddress.ip_address((request.remote or "").split("%")[0])
        except ValueError:
            return False
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
            address = address.ipv4_mapped
        return any(address in network for network in self._allowed)

    async def serve(self, request: web.Request) -> web.Response:
        """`GET /metrics`: the exposition, to an address `allowed_networks` lets in (403 to others)."""
        if not self._may_read(request):
            return web.Response(
                status=403, text="403: /metrics is not open to this address ([metrics] allowed_networks)\n"
            )
        snapshot = await self.snapshot()
        if self._exposition is None:
            # prometheus-client is loaded by the first read, not by a hub that nobody scrapes.
            from thinggate.api.metrics import exposition

            self._exposition = exposition
        body, content_type = self._exposition.render(snapshot)
        response = web.Response(body=body)
        response.headers["Content-Type"] = content_type
        return response

    async def snapshot(self) -> Snapshot:
        """Every value /metrics shows, read now."""
        context = self.context
        hub = context.hub
        links: dict[str, bool] = {}
        for integration in hub.integrations.values():
            links.update(integration.connections())
        for door in context.doors.values():
            connections = getattr(door, "connections", None)
            if callable(connections):
                links.update(connections())
        outbox: int | None = None
        if context.events is not None:  # without lifecycle events there is no outbox to measure
            try:
                outbox = await context.store.count_pending_events()
            except Exception:  # a store that cannot answer now must not take the other metrics with it
                _LOG.warning("metrics: the outbox depth could not be read", exc_info=True)
        return Snapshot(
            requests=list(self.meter.series()),
            bounds=self.meter.bounds,
            # The HTTP doors' clients are the shared site's connections: counted once, as door "http".
            connections={
                **{name: door.connection_count for name, door in context.doors.items()},
                "http": context.http_connections(),
            },
            events_published=hub.bus.published,
            events_dropped=hub.bus.dropped,
            event_subscribers=hub.bus.subscriber_count,
            outbox_pending=outbox,
            links=links,
            things=self._things_per_integration(),
        )

    def _things_per_integration(self) -> dict[str, int]:
        # Counted again only when things came or went (100,000 things take a few milliseconds to walk).
        hub = self.context.hub
        generation, counted = self._things
        if generation != hub.inventory_generation:
            by_plugin = Counter(thing.thing_class.plugin_id for thing in hub.things.values())
            counted = {
                (hub.integrations[plugin].plugin.name if plugin in hub.integrations else str(plugin)): count
                for plugin, count in by_plugin.items()
            }
            for integration in hub.integrations.values():
                counted.setdefault(integration.plugin.name, 0)
            self._things = (hub.inventory_generation, counted)
        return counted


def _door_of(handler: Any) -> str:
    """The door package a route's handler comes from (`thinggate.api.registry.door` -> `registry`)."""
    module = getattr(handler, "__module__", None) or ""
    parts = module.split(".")
    if len(parts) >= 3 and parts[:2] == ["thinggate", "api"]:
        return parts[2]
    return SHARED
