"""Assembles the sensor-data door (clients, tokens, index, routes) when its first request comes."""

from __future__ import annotations

from thinggate.api.door import DoorContext
from thinggate.api.sensordata.clients import OAuthClients
from thinggate.api.sensordata.door import Route, SensorDataDoor
from thinggate.api.sensordata.index import EntityIndex
from thinggate.api.sensordata.integrate import Integrator
from thinggate.api.sensordata.oauth import TokenEndpoint, TokenSigner
from thinggate.api.sensordata.observations import QUERY_INVALID, UPLOAD_INVALID, Readings
from thinggate.api.sensordata.ratelimit import ClientRateLimit
from thinggate.api.sensordata.settings import SensorDataConfig
from thinggate.api.sensordata.structs import IntegrationRequest, ObservationsDelete, ObservationsQuery, UploadRequest
from thinggate.core.credentials import SCOPE_MODIFY, SCOPE_READ
from thinggate.core.registry import Directory
from thinggate.integrations.sensordata import kinds


async def assemble(context: DoorContext, settings: SensorDataConfig) -> SensorDataDoor:
    """The door, its OAuth clients read and its index built from the hub's things as they are now."""
    hub = context.hub
    clients = OAuthClients(context.store)
    await clients.load()
    signer = await TokenSigner.load(context.store, lifetime=settings.token_seconds)
    tokens = TokenEndpoint(clients=clients, signer=signer, security=context.security, limiter=context.login_limiter)
    rate_limit = ClientRateLimit(settings.requests_per_minute)

    async def reload_clients() -> None:
        # `thinggate oauth-client` changes clients while the hub runs: a revoked client's tokens stop now.
        await clients.load()
        rate_limit.forget(clients.ids())

    params = {param.name: param.id for param in kinds.ENTITY_PARAMS}
    index = EntityIndex(
        hub,
        classes=frozenset(
            thing_class.id for thing_class in (kinds.NODE_CLASS, kinds.DEVICE_CLASS, *kinds.SENSOR_CLASSES)
        ),
        node_class=kinds.NODE_CLASS.id,
        entity_param=params[kinds.ENTITY_ID],
        ref_param=params[kinds.REF_ID],
    )
    index.start()
    directory = context.directory or Directory(context.security, events=context.events)
    integrator = Integrator(hub=hub, directory=directory, index=index, max_changes=settings.max_changes)
    readings = Readings(hub=hub, index=index, max_observations=settings.max_observations, page_size=settings.page_size)
    door = SensorDataDoor(settings=settings, tokens=tokens, rate_limit=rate_limit, guard=context.guard)

    async def stop_index() -> None:
        index.stop()

    door.stoppers.append(stop_index)
    door.reloaders.append(reload_clients)
    door.routes = [
        Route(
            "POST",
            "/integrations/integrate",
            integrator.integrate,
            SCOPE_MODIFY,
            body=IntegrationRequest,
            summary="Make, change and remove a node's devices and sensors; answer the node and its devices",
            errors=("InsufficientPermissions", "ResourceNotFound"),
        ),
        Route(
            "GET",
            "/integrations/nodes",
            integrator.nodes,
            SCOPE_READ,
            invalid="InvalidNodesRequest",
            summary="The nodes of an iTwin",
            errors=("ResourceNotFound",),
        ),
        Route(
            "POST",
            "/data/upload",
            readings.upload,
            SCOPE_MODIFY,
            body=UploadRequest,
            invalid=UPLOAD_INVALID,
            status=202,
            summary="Keep readings of many sensors",
            errors=("InsufficientPermissions", "ResourceNotFound", "RequestTooLarge"),
        ),
        Route(
            "POST",
            "/data/observations",
            readings.query,
            SCOPE_READ,
            body=ObservationsQuery,
            invalid=QUERY_INVALID,
            summary="One page of a sensor's readings in [startDate, endDate)",
            errors=("ResourceNotFound",),
        ),
        Route(
            "DELETE",
            "/data/observations",
            readings.delete,
            SCOPE_MODIFY,
            body=ObservationsDelete,
            invalid=QUERY_INVALID,
            status=202,
            summary="Delete a sensor's readings in a range or at listed times",
            errors=("InsufficientPermissions", "ResourceNotFound", "RequestTooLarge"),
        ),
    ]
    return door
