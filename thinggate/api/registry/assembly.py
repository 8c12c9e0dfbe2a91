"""Assembles the registry door when its first request comes (or at once, when it publishes to a broker).

Kept apart from factory.py so that an idle hub loads none of the door's modules: its tables, its
OpenAPI document, its API keys and login tokens are read here, when a client first asks.
"""

from __future__ import annotations

from thinggate.api.door import DoorContext
from thinggate.api.registry import auth, domains, events, things, thingtypes, users
from thinggate.api.registry.door import RegistryDoor, Route
from thinggate.api.registry.keys import ApiKeys
from thinggate.api.registry.lifecycle import LifecyclePublisher
from thinggate.api.registry.settings import RegistryConfig
from thinggate.api.registry.tokens import RegistryTokens
from thinggate.core.registry import Directory, LifecycleEvents, ThingTypes


async def assemble(
    context: DoorContext,
    settings: RegistryConfig,
    *,
    thing_types: ThingTypes,
    lifecycle: LifecycleEvents,
    directory: Directory,
    keys: ApiKeys,
) -> RegistryDoor:
    """The registry door with its login tokens read, its table set, and its broker link started (with one)."""
    tokens = RegistryTokens(
        context.store,
        context.security,
        access_seconds=settings.access_token_seconds,
        refresh_days=settings.refresh_token_days,
    )
    await tokens.load()
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
    door.set_routes(table)
    if context.mqtt.enabled:
        # A client id of its own: MQTT things connect beside it with the hub's.
        identifier = f"{context.mqtt.client_id or f'thinggate-{context.server_uuid}'}-lifecycle"
        door.publisher = LifecyclePublisher(context.store, context.mqtt, identifier=identifier)
        door.publisher.start()
    return door
