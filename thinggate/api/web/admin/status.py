"""The lifecycle events' outbox and the MQTT broker: how many events wait, and whether each link is up.

    GET  admin/status    {"outbox": 3, "broker": {"configured": true, "links": {"mqtt_lifecycle": true, ...}}}

core.admin's HubAdmin decides (Admin in the root domain). The links are those /metrics shows: each
integration's and door's `connections()`.
"""

from __future__ import annotations

from typing import Any

from thinggate.api.web.admin.parts import PREFIX, AdminParts
from thinggate.api.web.api import Call, Route


def routes(parts: AdminParts) -> list[Route]:
    """The status row."""
    context = parts.context

    async def status(call: Call) -> dict[str, Any]:
        depth = await parts.hub_admin.outbox_depth(call.session.principal)
        links: dict[str, bool] = {}
        for integration in context.hub.integrations.values():
            links.update(integration.connections())
        for door in context.doors.values():
            connections = getattr(door, "connections", None)
            if callable(connections):
                links.update(connections())
        return {
            "outbox": depth if context.events is not None else None,
            "broker": {"configured": context.mqtt.enabled, "links": dict(sorted(links.items()))},
        }

    return [Route("GET", PREFIX + "status", status)]
