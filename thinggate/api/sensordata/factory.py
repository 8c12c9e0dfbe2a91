"""Opens the sensor-data door on the shared HTTP application; the door itself is assembled by its first request.

An idle hub holds the door's routes and nothing more: its modules, its OAuth clients and its
index of nodes, devices and sensors are loaded when a client first asks (`assembly.py`).
"""

from __future__ import annotations

import logging

from aiohttp import web

from thinggate.api.deferred import DeferredDoor
from thinggate.api.door import DoorContext
from thinggate.api.http import UNREADABLE_ANSWER
from thinggate.api.sensordata.paths import PREFIX, TOKEN_PATH
from thinggate.api.sensordata.settings import SensorDataConfig
from thinggate.integrations.sensordata.manifest import PLUGIN

_LOG = logging.getLogger(__name__)


async def build(context: DoorContext, settings: SensorDataConfig) -> DeferredDoor | None:
    """The door's routes on the shared HTTP application (None when `enabled` is false or HTTP is closed)."""
    if not settings.enabled or context.ports.http is None:
        return None
    if PLUGIN.id not in context.hub.integrations:
        # Its classes come from the composition root (server.py registers the integration).
        _LOG.warning("sensordata: the sensor-data integration is not registered; the door stays closed")
        return None

    async def assemble() -> object:
        from thinggate.api.sensordata.assembly import assemble as assemble_door

        return await assemble_door(context, settings)

    door = DeferredDoor(assemble)
    door.route(context.http, "*", TOKEN_PATH, "token")
    door.route(context.http, "*", PREFIX, "dispatch")
    # [\s\S], not `.`: a path may hold a newline (%0A), and it is still this door's to answer.
    door.route(context.http, "*", PREFIX + "/{tail:[\\s\\S]*}", "dispatch")
    if UNREADABLE_ANSWER not in context.http:  # the registry door answers them on the port when it is open
        context.http[UNREADABLE_ANSWER] = _unreadable_answer
    # `thinggate oauth-client` changes clients while the hub runs: a revoked client's tokens stop now.
    context.reloaders.append(door.when_built(lambda built: built.reload()))
    return door


def _unreadable_answer(status: int, reason: str) -> web.Response:
    from thinggate.api.sensordata.door import unreadable_answer

    return unreadable_answer(status, reason)
