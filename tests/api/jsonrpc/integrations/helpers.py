"""Ids, requests and waits the Integrations tests share: nymea's spellings, thing helpers, a slow-setup rig."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest

from tests.api.jsonrpc.rig import SERVER_UUID, Rig, RpcClient, fast_hasher
from tests.hubtools import action_id, param_id, state_id
from thinggate.api.jsonrpc import JsonRpcDoor, JsonRpcServer, JsonRpcSettings, Listener
from thinggate.core.events import EventBus
from thinggate.core.hub import Hub
from thinggate.core.model import ThingClass
from thinggate.core.security import SecurityManager
from thinggate.integrations.virtual import PLUGIN, VENDOR, VirtualIntegration
from thinggate.integrations.virtual.testbed import MOCK
from thinggate.storage import open_store

NO_ERROR = "ThingErrorNoError"
PLUGIN_ID = str(PLUGIN.id)
VENDOR_ID = str(VENDOR.id)
CONFIG_INT = str(PLUGIN.param_types[0].id)
CONFIG_BOOL = str(PLUGIN.param_types[1].id)
MOCK_ID = str(MOCK.id)
HTTPPORT = str(param_id(MOCK, "httpport"))
ASYNC = str(param_id(MOCK, "async"))
BROKEN = str(param_id(MOCK, "broken"))
RESULT_COUNT = str(MOCK.discovery_param_types[0].id)
SETTING1 = str(MOCK.settings_types[0].id)
MIN_SETTING = str(MOCK.settings_types[1].id)
MAX_SETTING = str(MOCK.settings_types[2].id)
GUEST = "guest"
GUEST_PASSWORD = "GuestPW1!"


def sid(thing_class: ThingClass, name: str) -> str:
    """A state type id (and the id of the action a writable state makes) as the wire spells it."""
    return str(state_id(thing_class, name))


def aid(thing_class: ThingClass, name: str) -> str:
    """An action type id."""
    return str(action_id(thing_class, name))


def eid(thing_class: ThingClass, name: str) -> str:
    """An event type id."""
    event_type = thing_class.event_type_named(name)
    assert event_type is not None, name
    return str(event_type.id)


def cid(value: Any) -> str:
    """A UUID in one spelling (nymea sends some with braces, some without)."""
    return str(uuid.UUID(str(value)))


def param(param_type_id: Any, value: Any) -> dict[str, Any]:
    """One Param of a ParamList."""
    return {"paramTypeId": str(param_type_id), "value": value}


def values(param_list: list[dict[str, Any]]) -> dict[str, Any]:
    """A ParamList (or States) as {param type id: value}."""
    return {cid(p.get("paramTypeId", p.get("stateTypeId"))): p["value"] for p in param_list}


def by_id(items: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Objects that carry an `id`, keyed by it."""
    return {cid(item["id"]): item for item in items}


def error(reply: dict[str, Any]) -> str:
    """The reply's thingError."""
    value: str = reply["thingError"]
    return value


def bare(reply: dict[str, Any]) -> dict[str, Any]:
    """A reply without its optional displayMessage (texts for the user, free to differ from nymea's)."""
    return {key: value for key, value in reply.items() if key != "displayMessage"}


def forget(client: RpcClient) -> None:
    """Drop the notifications received so far."""
    while not client.notifications.empty():
        client.notifications.get_nowait()


async def collect(client: RpcClient, within: float = 0.15) -> list[dict[str, Any]]:
    """Every notification message that arrives within `within` seconds."""
    found: list[dict[str, Any]] = []
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while (left := deadline - loop.time()) > 0:
        try:
            found.append(await asyncio.wait_for(client.notifications.get(), left))
        except TimeoutError:
            break
    return found


def named(messages: list[dict[str, Any]], name: str) -> list[dict[str, Any]]:
    """The params of the messages that are notification `name`."""
    return [m["params"] for m in messages if m["notification"] == name]


async def several(
    client: RpcClient,
    name: str,
    count: int,
    where: Callable[[dict[str, Any]], bool] | None = None,
    within: float = 5.0,
) -> list[dict[str, Any]]:
    """The params of the next `count` notifications called `name` (that match `where`)."""
    found: list[dict[str, Any]] = []
    async with asyncio.timeout(within):
        while len(found) < count:
            found.append(await client.notification(name, within=within, where=where))
    return found


def about(thing_id: str) -> Callable[[dict[str, Any]], bool]:
    """A notification filter: ThingAdded/ThingChanged of this thing."""
    return lambda p: cid(p["thing"]["id"]) == thing_id


def state_of(thing_id: str, state_type_id: str) -> Callable[[dict[str, Any]], bool]:
    """A notification filter: StateChanged of this thing's state."""
    return lambda p: cid(p["thingId"]) == thing_id and cid(p["stateTypeId"]) == state_type_id


async def add(
    client: RpcClient, thing_class: ThingClass, name: str = "Thing", params: list[dict[str, Any]] | None = None
) -> str:
    """AddThing that must succeed; the new thing's id."""
    request: dict[str, Any] = {"name": name, "thingClassId": str(thing_class.id)}
    if params is not None:
        request["thingParams"] = params
    reply = await client.call("Integrations.AddThing", request)
    assert error(reply) == NO_ERROR, reply
    return cid(reply["thingId"])


async def add_mock(client: RpcClient, port: int = 5555, name: str = "Mock", **extra: Any) -> str:
    """A `mock` thing on a port (extra params by name, e.g. async=True)."""
    params = [param(HTTPPORT, port), *[param(param_id(MOCK, key), value) for key, value in extra.items()]]
    return await add(client, MOCK, name, params)


async def get_thing(client: RpcClient, thing_id: str) -> dict[str, Any]:
    """GetThings{thingId} that must find exactly that thing."""
    reply = await client.call("Integrations.GetThings", {"thingId": thing_id})
    assert error(reply) == NO_ERROR, reply
    [thing] = reply["things"]
    assert cid(thing["id"]) == thing_id
    return thing


async def get_things(client: RpcClient, thing_class: ThingClass | None = None) -> list[dict[str, Any]]:
    """GetThings, of one class if given."""
    reply = await client.call("Integrations.GetThings")
    assert error(reply) == NO_ERROR, reply
    things: list[dict[str, Any]] = reply["things"]
    if thing_class is None:
        return things
    return [t for t in things if cid(t["thingClassId"]) == str(thing_class.id)]


async def state_value(client: RpcClient, thing_id: str, state_type_id: str) -> Any:
    """GetStateValue that must succeed."""
    reply = await client.call("Integrations.GetStateValue", {"thingId": thing_id, "stateTypeId": state_type_id})
    assert error(reply) == NO_ERROR, reply
    return reply["value"]


async def wait_value(client: RpcClient, thing_id: str, state_type_id: str, expected: Any, within: float = 3) -> None:
    """Ask GetStateValue until it gives `expected`."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while True:
        value = await state_value(client, thing_id, state_type_id)
        if value == expected or (isinstance(expected, float) and value == pytest.approx(expected)):
            return
        if loop.time() > deadline:
            raise AssertionError(f"state {state_type_id} of {thing_id} stayed {value!r}, expected {expected!r}")
        await asyncio.sleep(0.01)


async def admin_client(rig: Rig, kind: str = "tcp") -> RpcClient:
    """An admin connection with Integrations notifications on."""
    client = await rig.admin(kind)
    await client.notify("Integrations")
    return client


async def discover(client: RpcClient, thing_class: ThingClass, params: list[dict[str, Any]] | None = None) -> Any:
    """DiscoverThings that must succeed; the descriptors."""
    request: dict[str, Any] = {"thingClassId": str(thing_class.id)}
    if params is not None:
        request["discoveryParams"] = params
    reply = await client.call("Integrations.DiscoverThings", request)
    assert error(reply) == NO_ERROR, reply
    return reply["thingDescriptors"]


def control(rig: Rig) -> Any:
    """The virtual integration's test-control hook."""
    assert rig.virtual.test_control is not None
    return rig.virtual.test_control


@asynccontextmanager
async def slow_setup_rig(data_dir: Path, time_scale: float) -> AsyncIterator[Rig]:
    """Like jsonrpc_rig, but clients may connect while restored things are still being set up.

    jsonrpc_rig waits for every setup before it opens its listeners; nymea's item 51 is about what a
    client sees during that time. A low time scale makes the async mock's setup take long enough
    (1 simulated second) to look at it.
    """
    store = await open_store(None, data_dir)
    bus = EventBus()
    security = SecurityManager(store, hasher=fast_hasher(), bus=bus)
    await security.load()
    virtual = VirtualIntegration(time_scale=time_scale, test_control=True, auto_things=True)
    hub = Hub(store=store, bus=bus)
    hub.register(virtual)
    door = JsonRpcDoor(
        hub=hub,
        security=security,
        server_uuid=uuid.UUID(SERVER_UUID),
        settings=JsonRpcSettings(lockdown_seconds=0.05, check_replies=True),
    )
    server = JsonRpcServer(door, host="127.0.0.1", tcp=Listener(0, None, True), websocket=Listener(0, None, True))
    await server.start()
    rig = Rig(hub=hub, virtual=virtual, security=security, door=door, server=server, tls=False)
    try:
        await hub.start()
        yield rig
    finally:
        for client in rig.clients:
            await client.close()
        await server.stop()
        await hub.stop()
        await store.close()
