"""Builds the metrics door from the shared door context and its `[metrics]` settings."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiohttp import web

from thinggate.api.door import DoorContext
from thinggate.api.metering import RequestMeter
from thinggate.api.metrics.settings import MetricsConfig

if TYPE_CHECKING:
    from thinggate.api.metrics.door import MetricsDoor


async def build(context: DoorContext, settings: MetricsConfig) -> MetricsDoor | None:
    """The door's route and middleware on the shared HTTP application (None when not enabled or HTTP is closed).

    Built before every other door (first in thinggate.doors.DOORS): the doors that time their own
    requests take the context's meter when they are built.
    """
    if not settings.enabled or context.ports.http is None:
        return None
    # Imported only when enabled: a hub without /metrics keeps none of its code.
    from thinggate.api.metrics.door import Handler, MetricsDoor

    meter = RequestMeter()
    context.request_meter = meter
    door = MetricsDoor(context, settings, meter)

    @web.middleware
    async def timed(request: web.Request, handler: Handler) -> web.StreamResponse:
        return await door.middleware(request, handler)

    context.http.middlewares.append(timed)
    context.http.router.add_get("/metrics", door.serve)
    return door
