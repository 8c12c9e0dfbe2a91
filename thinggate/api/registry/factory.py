"""Builds the registry door from the shared door context and its `[registry]` settings."""

from __future__ import annotations

import logging

from thinggate.api.door import DoorContext
from thinggate.api.registry import auth, domains, events, things, thingtypes, users
from thinggate.api.registry.door import RegistryDoor, Route
from thinggate.api.registry.keys import ApiKeys
from thinggate.api.registry.lifecycle import LifecyclePublisher
from thinggate.api.registry.settings import RegistryConfig
from thinggate.api.registry.tokens import RegistryTokens
from thinggate.core.registry import Directory, LifecycleEvents

_LOG = logging.getLogger(__name__)


async def build(context: DoorContext, settings: RegistryConfig) -> RegistryDoor | None:
    """The door's routes on the shared HTTP application (None when `enabled` is false or HTTP is closed)."""
    if not settings.enabled or context.ports.http is None:
        return None
    thing_types = context.thing_types
    if thing_types is None:
        # Thing types come from the composition root (the generic integration): a door imports no integration.
        _LOG.warning("registry: no thing types in the door context; the door stays closed")
        return None
    lifecycle = context.events or LifecycleEvents(context.store, context.security.domains)
    directory = context.directory or Directory(context.security, events=lifecycle)
    keys = ApiKeys(context.store, publish=settings.publish_api_key)
    await keys.load()
    tokens = RegistryTokens(
        context.store,
        context.security,
        access_seconds=settings.access_token_seconds,
        refresh_days=settings.refresh_token_days,
    )
    await tokens.load()
    # `thinggate apikey` changes keys while the hub runs; the control socket's reload reads them again.
    context.reloaders.append(keys.load)
    context.reloaders.append(tokens.load)
    door = RegistryDoor(
        settings=settings,
        security=context.security,
        directory=directory,
        thing_types=thing_types,
        keys=keys,
        tokens=tokens,
        limiter=context.login_limiter,
        guard=context.guard,
        version=context.version,
    )
    table = [
        Route(
            "GET",
            "/metadata/manifest",
            door.metadata_manifest,
            authenticated=False,
            api_key=False,
            summary="The API key to send as x-api-key (MIC's SDKs read it here)",
        ),
        Route(
            "GET",
            "/metadata/swagger",
            door.openapi,
            authenticated=False,
            api_key=False,
            summary="This OpenAPI 3.1 document (also at /openapi.json)",
        ),
        *auth.routes(door),
        *domains.routes(door),
        *users.routes(door),
        *thingtypes.routes(door),
        *(things.routes(door, context.things) if context.things is not None else []),
        *events.routes(door, lifecycle),
    ]
    door.add_routes(context.http, table)
    # Events are kept for `/events` a while, published or not, then pruned.
    door.start_pruning(lifecycle)
    if context.mqtt.enabled:
        # A client id of its own: MQTT things connect beside it with the hub's.
        identifier = f"{context.mqtt.client_id or f'thinggate-{context.server_uuid}'}-lifecycle"
        door.publisher = LifecyclePublisher(context.store, context.mqtt, identifier=identifier)
        door.publisher.start()
    return door
