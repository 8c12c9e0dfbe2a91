"""Opens the registry door on the shared HTTP application; the door itself is assembled by its first request.

An idle hub holds the door's paths and its event pruning, nothing more: its modules, API keys and
login tokens are loaded when a client first asks (`assembly.py`). With an `[mqtt]` broker the
door is assembled at once, since it publishes the lifecycle-event outbox from the start.
"""

from __future__ import annotations

import logging

from aiohttp import web

from thinggate.api.deferred import DeferredDoor
from thinggate.api.door import DoorContext
from thinggate.api.http import UNREADABLE_ANSWER
from thinggate.api.registry.keys import ApiKeys
from thinggate.api.registry.pruning import EventPruning
from thinggate.api.registry.settings import RegistryConfig
from thinggate.core.registry import Directory, LifecycleEvents

_LOG = logging.getLogger(__name__)

TOP_PATHS = ("/manifest", "/manifest/", "/openapi.json")
"""The paths served at the top of the port (discovery and the OpenAPI document), beside `/<stack_name>/`."""


async def build(context: DoorContext, settings: RegistryConfig) -> DeferredDoor | None:
    """The door's paths on the shared HTTP application (None when `enabled` is false or HTTP is closed)."""
    if not settings.enabled or context.ports.http is None:
        return None
    thing_types = context.thing_types
    if thing_types is None:
        # Thing types come from the composition root (the generic integration): a door imports no integration.
        _LOG.warning("registry: no thing types in the door context; the door stays closed")
        return None
    lifecycle = context.events or LifecycleEvents(context.store, context.security.domains)
    directory = context.directory or Directory(context.security, events=lifecycle)
    # Read (and the published key made) now, not by the first request: `thinggate apikey list` and the
    # dashboard show the key an SDK will be given from the hub's first start.
    keys = ApiKeys(context.store, publish=settings.publish_api_key)
    await keys.load()

    async def assemble() -> object:
        from thinggate.api.registry.assembly import assemble as assemble_door

        return await assemble_door(
            context, settings, thing_types=thing_types, lifecycle=lifecycle, directory=directory, keys=keys
        )

    door = DeferredDoor(assemble)
    for path in TOP_PATHS:
        door.route(context.http, "*", path, "dispatch_top")
    stack = settings.stack_name
    door.route(context.http, "*", f"/{stack}", "dispatch")
    # [\s\S], not `.`: a path value may hold a newline (%0A), and it is still this door's to answer.
    door.route(context.http, "*", f"/{stack}/{{tail:[\\s\\S]*}}", "dispatch")
    # A request aiohttp cannot read (a line or header over the limits, bytes that are not UTF-8 in
    # the path) never reaches a route; the port still answers it in this door's error model.
    context.http[UNREADABLE_ANSWER] = _unreadable_answer
    # `thinggate apikey` and the dashboard change keys (and tokens) while the hub runs; `reload` reads them again.
    context.reloaders.append(keys.load)
    context.reloaders.append(door.when_built(lambda built: built.reload()))
    # Events are kept for `/events` a while, published or not, then pruned: built or not, the door's
    # events are (the dashboard and the command line make them too).
    pruning = EventPruning(lifecycle, settings.event_retention_days)
    pruning.start()
    door.stoppers.append(pruning.stop)
    if context.mqtt.enabled:
        await door.door()
    return door


def _unreadable_answer(status: int, reason: str) -> web.Response:
    from thinggate.api.registry.door import unreadable_answer

    return unreadable_answer(status, reason)
