"""nymea's Integrations behaviours (reference/nymea-jsonrpc.md §6, items 18-57) through the wire.

Every call is a real JSON-RPC request over a real TCP or WebSocket connection, every expectation is
checked on the JSON reply, and the notifications each behaviour produces are received by the client.
The server checks every reply and notification against nymea-api.json (check_replies), so a shape
that does not match nymea's declaration turns into an "Internal error" reply that call() catches.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest

from tests.api.jsonrpc.rig import SERVER_UUID, Rig, RpcClient, fast_hasher, jsonrpc_rig
from tests.hubtools import TIME_SCALE, action_id, action_param_id, param_id, state_id
from thinggate.api.jsonrpc import JsonRpcDoor, JsonRpcServer, JsonRpcSettings, Listener
from thinggate.core.events import EventBus
from thinggate.core.hub import Hub
from thinggate.core.model import ThingClass
from thinggate.core.security import SecurityManager
from thinggate.integrations.virtual import PLUGIN, VENDOR, VirtualIntegration
from thinggate.integrations.virtual.testbed import (
    AUTO_MOCK,
    CHILD_MOCK,
    DISPLAY_PIN_MOCK,
    GENERIC_IO_MOCK,
    INPUT_TYPE_MOCK,
    MOCK,
    PARENT_MOCK,
    PUSH_BUTTON_MOCK,
    USER_AND_PASS_MOCK,
    VIRTUAL_IO_LIGHT_MOCK,
)
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


# ---------------------------------------------------------------- helpers


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


# ---------------------------------------------------------------- fixtures


@pytest.fixture
def kind() -> str:
    """The transport (tests that run on both parametrize this)."""
    return "tcp"


@pytest.fixture
async def client(rig: Rig, kind: str) -> RpcClient:
    return await admin_client(rig, kind)


# ---------------------------------------------------------------- 18-21 plugins, vendors, classes


@pytest.mark.parametrize("kind", ["tcp", "ws"])
async def test_18_plugins_and_vendors(client: RpcClient) -> None:
    plugins = by_id((await client.call("Integrations.GetPlugins"))["plugins"])
    assert PLUGIN_ID in plugins
    assert plugins[PLUGIN_ID]["name"] == "virtual"
    assert [p["name"] for p in plugins[PLUGIN_ID]["paramTypes"]] == ["configParamInt", "configParamBool"]
    vendors = by_id((await client.call("Integrations.GetVendors"))["vendors"])
    assert VENDOR_ID in vendors


async def test_19_get_plugin_configuration(client: RpcClient) -> None:
    reply = await client.call("Integrations.GetPluginConfiguration", {"pluginId": PLUGIN_ID})
    assert error(reply) == NO_ERROR
    assert values(reply["configuration"]) == {CONFIG_INT: 42, CONFIG_BOOL: True}
    unknown = await client.call("Integrations.GetPluginConfiguration", {"pluginId": str(uuid.uuid4())})
    assert unknown == {"thingError": "ThingErrorPluginNotFound"}


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (13, NO_ERROR),
        (130, "ThingErrorInvalidParameter"),
        (-13, "ThingErrorInvalidParameter"),
        ("wrontType", "ThingErrorInvalidParameter"),
    ],
)
async def test_20_set_plugin_configuration(client: RpcClient, value: Any, expected: str) -> None:
    reply = await client.call(
        "Integrations.SetPluginConfiguration", {"pluginId": PLUGIN_ID, "configuration": [param(CONFIG_INT, value)]}
    )
    assert reply == {"thingError": expected}
    if expected == NO_ERROR:
        changed = await client.notification("Integrations.PluginConfigurationChanged")  # item 15
        assert cid(changed["pluginId"]) == PLUGIN_ID
        assert values(changed["configuration"]) == {CONFIG_INT: 13, CONFIG_BOOL: True}
    else:
        assert named(await collect(client), "Integrations.PluginConfigurationChanged") == []
    stored = await client.call("Integrations.GetPluginConfiguration", {"pluginId": PLUGIN_ID})
    assert values(stored["configuration"])[CONFIG_INT] == (13 if expected == NO_ERROR else 42)


async def test_20_unknown_plugin_configuration(client: RpcClient) -> None:
    reply = await client.call(
        "Integrations.SetPluginConfiguration",
        {"pluginId": str(uuid.uuid4()), "configuration": [param(CONFIG_INT, 13)]},
    )
    assert reply == {"thingError": "ThingErrorPluginNotFound"}


async def test_20_plugin_configuration_persists(tmp_path: Path) -> None:
    async with jsonrpc_rig(tmp_path) as rig:
        client = await admin_client(rig)
        reply = await client.call(
            "Integrations.SetPluginConfiguration", {"pluginId": PLUGIN_ID, "configuration": [param(CONFIG_INT, 13)]}
        )
        assert error(reply) == NO_ERROR
    async with jsonrpc_rig(tmp_path) as rig:
        client = await admin_client(rig)
        stored = await client.call("Integrations.GetPluginConfiguration", {"pluginId": PLUGIN_ID})
        assert values(stored["configuration"]) == {CONFIG_INT: 13, CONFIG_BOOL: True}


async def test_21_thing_classes(rig: Rig, client: RpcClient) -> None:
    total = len(rig.virtual.thing_classes)
    everything = await client.call("Integrations.GetThingClasses")
    assert error(everything) == NO_ERROR and len(everything["thingClasses"]) == total
    by_vendor = await client.call("Integrations.GetThingClasses", {"vendorId": VENDOR_ID})
    assert error(by_vendor) == NO_ERROR and len(by_vendor["thingClasses"]) == total
    unknown_vendor = await client.call("Integrations.GetThingClasses", {"vendorId": str(uuid.uuid4())})
    assert unknown_vendor == {"thingError": NO_ERROR, "thingClasses": []}
    only_mock = await client.call("Integrations.GetThingClasses", {"thingClassIds": [MOCK_ID]})
    assert [cid(c["id"]) for c in only_mock["thingClasses"]] == [MOCK_ID]
    unknown_class = await client.call("Integrations.GetThingClasses", {"thingClassIds": [str(uuid.uuid4())]})
    assert unknown_class == {"thingError": NO_ERROR, "thingClasses": []}
    [mock] = only_mock["thingClasses"]
    # Interfaces are expanded depth-first with their parents.
    assert mock["interfaces"] == [
        "system",
        "light",
        "power",
        "battery",
        "wirelessconnectable",
        "connectable",
        "update",
        "multibutton",
        "button",
    ]
    assert (cid(mock["vendorId"]), cid(mock["pluginId"])) == (VENDOR_ID, PLUGIN_ID)
    assert mock["browsable"] is True
    assert mock["setupMethod"] == "SetupMethodJustAdd"
    assert mock["createMethods"] == ["CreateMethodUser", "CreateMethodDiscovery"]
    params = {p["name"]: p for p in mock["paramTypes"]}
    assert params["httpport"]["type"] == "Int" and "defaultValue" not in params["httpport"]
    assert params["async"]["readOnly"] is True and params["async"]["defaultValue"] is False


# ---------------------------------------------------------------- 22-28 adding things


@pytest.mark.parametrize("kind", ["tcp", "ws"])
async def test_22_add_thing(client: RpcClient) -> None:
    thing_id = await add_mock(client)
    added = await client.notification("Integrations.ThingAdded", where=about(thing_id))
    assert added["thing"]["setupStatus"] == "ThingSetupStatusComplete"
    thing = await get_thing(client, thing_id)
    assert (thing["setupStatus"], thing["setupError"], thing["setupComplete"]) == (
        "ThingSetupStatusComplete",
        NO_ERROR,
        True,
    )
    async_id = await add_mock(client, 5556, **{"async": True})
    assert (await get_thing(client, async_id))["setupStatus"] == "ThingSetupStatusComplete"


async def test_23_add_unknown_class(client: RpcClient) -> None:
    reply = await client.call("Integrations.AddThing", {"name": "x", "thingClassId": str(uuid.uuid4())})
    assert bare(reply) == {"thingError": "ThingErrorThingClassNotFound"}


@pytest.mark.parametrize("asynchronous", [False, True])
async def test_24_broken_setup_is_not_added(client: RpcClient, asynchronous: bool) -> None:
    before = await get_things(client)
    forget(client)
    reply = await client.call(
        "Integrations.AddThing",
        {
            "name": "broken",
            "thingClassId": MOCK_ID,
            "thingParams": [param(HTTPPORT, 5557), param(BROKEN, True), param(ASYNC, asynchronous)],
        },
    )
    assert error(reply) == "ThingErrorSetupFailed"
    assert "thingId" not in reply
    assert reply.get("displayMessage") == "This mocked thing is intentionally broken."
    assert named(await collect(client), "Integrations.ThingAdded") == []
    assert await get_things(client) == before


async def test_25_missing_param(client: RpcClient) -> None:
    reply = await client.call("Integrations.AddThing", {"name": "x", "thingClassId": MOCK_ID})
    assert error(reply) == "ThingErrorMissingParameter"
    empty = await client.call("Integrations.AddThing", {"name": "x", "thingClassId": MOCK_ID, "thingParams": []})
    assert error(empty) == "ThingErrorMissingParameter"


async def test_26_param_without_value_is_a_protocol_error(client: RpcClient) -> None:
    reply = await client.request(
        "Integrations.AddThing",
        {"name": "x", "thingClassId": MOCK_ID, "thingParams": [{"paramTypeId": str(uuid.uuid4())}]},
    )
    assert reply["status"] == "error", reply
    assert "params" not in reply
    assert reply["error"].startswith("Invalid params: Missing required key: value"), reply
    assert "Integrations.AddThing" in reply["error"]
    # The connection is still served.
    assert error(await client.call("Integrations.GetThings")) == NO_ERROR


async def test_27_invalid_params(client: RpcClient) -> None:
    async def add_with(params: list[dict[str, Any]]) -> str:
        request = {"name": "x", "thingClassId": MOCK_ID, "thingParams": params}
        return error(await client.call("Integrations.AddThing", request))

    assert await add_with([param(HTTPPORT, "blabla")]) == "ThingErrorInvalidParameter"
    assert await add_with([param(HTTPPORT, 5558), param(uuid.uuid4(), 3)]) == "ThingErrorInvalidParameter"
    assert await add_with([param(HTTPPORT, 5558), param(HTTPPORT, "bad")]) == "ThingErrorInvalidParameter"
    assert await add_with([param(HTTPPORT, 5558), param(BROKEN, "notabool")]) == "ThingErrorInvalidParameter"


async def test_add_errors_and_default_name(client: RpcClient) -> None:
    without_class = await client.call("Integrations.AddThing", {"name": "x"})
    assert bare(without_class) == {"thingError": "ThingErrorMissingParameter"}
    pairing_class = await client.call(
        "Integrations.AddThing", {"name": "x", "thingClassId": str(USER_AND_PASS_MOCK.id)}
    )
    assert error(pairing_class) == "ThingErrorCreationMethodNotSupported"
    unknown_descriptor = await client.call(
        "Integrations.AddThing", {"name": "x", "thingDescriptorId": str(uuid.uuid4())}
    )
    assert error(unknown_descriptor) == "ThingErrorThingDescriptorNotFound"
    nameless = await add(client, MOCK, "", [param(HTTPPORT, 1)])
    assert (await get_thing(client, nameless))["name"] == MOCK.name


@pytest.mark.parametrize("kind", ["tcp", "ws"])
async def test_28_added_and_removed_notifications(client: RpcClient) -> None:
    thing_id = await add_mock(client, 5555, "Announced")
    added = await client.notification("Integrations.ThingAdded", where=about(thing_id))
    thing = added["thing"]
    assert cid(thing["thingClassId"]) == MOCK_ID
    assert thing["name"] == "Announced"
    assert values(thing["params"]) == {HTTPPORT: 5555, ASYNC: False, BROKEN: False}
    assert len(thing["states"]) == len(MOCK.state_types)
    assert len(thing["settings"]) == len(MOCK.settings_types)
    assert "parentId" not in thing
    assert await client.call("Integrations.RemoveThing", {"thingId": thing_id}) == {"thingError": NO_ERROR}
    removed = await client.notification("Integrations.ThingRemoved")
    assert cid(removed["thingId"]) == thing_id
    assert await client.call("Integrations.GetThings", {"thingId": thing_id}) == {
        "thingError": "ThingErrorThingNotFound"
    }


# ---------------------------------------------------------------- 29-32 changes, listing, restart


async def test_29_reconfigure_and_edit_send_thing_changed(client: RpcClient) -> None:
    thing_id = await add_mock(client)
    forget(client)
    reply = await client.call(
        "Integrations.ReconfigureThing", {"thingId": thing_id, "thingParams": [param(HTTPPORT, 6000)]}
    )
    assert error(reply) == NO_ERROR
    changed = await client.notification("Integrations.ThingChanged", where=about(thing_id))
    assert values(changed["thing"]["params"])[HTTPPORT] == 6000
    assert values((await get_thing(client, thing_id))["params"])[HTTPPORT] == 6000
    assert await client.call("Integrations.EditThing", {"thingId": thing_id, "name": "Renamed"}) == {
        "thingError": NO_ERROR
    }
    changed = await client.notification("Integrations.ThingChanged", where=about(thing_id))
    assert changed["thing"]["name"] == "Renamed"
    assert (await get_thing(client, thing_id))["name"] == "Renamed"


async def test_30_get_things(client: RpcClient) -> None:
    # At start only the auto thing exists; add a plain and an async mock as nymea's tests do.
    assert [cid(t["thingClassId"]) for t in await get_things(client)] == [str(AUTO_MOCK.id)]
    await add_mock(client)
    await add_mock(client, 5556, **{"async": True})
    things = await get_things(client)
    assert len(things) == 3
    one = await client.call("Integrations.GetThings", {"thingId": things[0]["id"]})
    assert error(one) == NO_ERROR and [t["id"] for t in one["things"]] == [things[0]["id"]]
    unknown = await client.call("Integrations.GetThings", {"thingId": str(uuid.uuid4())})
    assert unknown == {"thingError": "ThingErrorThingNotFound"}


async def test_31_things_persist_across_restart(tmp_path: Path) -> None:
    async with jsonrpc_rig(tmp_path) as rig:
        client = await admin_client(rig)
        thing_id = await add_mock(client, 7000)
        assert error(await client.call("Integrations.EditThing", {"thingId": thing_id, "name": "Kept"})) == NO_ERROR
        reply = await client.call(
            "Integrations.SetThingSettings", {"thingId": thing_id, "settings": [param(SETTING1, 9)]}
        )
        assert error(reply) == NO_ERROR
        auto_ids = {t["id"] for t in await get_things(client, AUTO_MOCK)}
        before = await get_thing(client, thing_id)
    async with jsonrpc_rig(tmp_path) as rig:
        client = await admin_client(rig)
        thing = await get_thing(client, thing_id)
        assert thing["name"] == "Kept"
        assert values(thing["params"]) == {HTTPPORT: 7000, ASYNC: False, BROKEN: False}
        assert values(thing["settings"]) == {SETTING1: 9, MIN_SETTING: 0, MAX_SETTING: 50}
        assert thing["setupStatus"] == "ThingSetupStatusComplete"
        assert thing == before
        # The auto thing is not created a second time.
        assert {t["id"] for t in await get_things(client, AUTO_MOCK)} == auto_ids
        assert len(await get_things(client)) == 2


async def test_32_state_cache(tmp_path: Path) -> None:
    int_state, bool_state = sid(MOCK, "int"), sid(MOCK, "bool")
    async with jsonrpc_rig(tmp_path) as rig:
        client = await admin_client(rig)
        thing_id = await add_mock(client, 7002)
        control(rig).set_state(thing_id, "int", 77)
        control(rig).set_state(thing_id, "bool", True)
        await client.notification("Integrations.StateChanged", where=state_of(thing_id, bool_state))
        assert await state_value(client, thing_id, int_state) == 77
        assert await state_value(client, thing_id, bool_state) is True
    async with jsonrpc_rig(tmp_path) as rig:
        client = await admin_client(rig)
        # The cached int comes back; the uncached bool goes back to its default.
        assert await state_value(client, thing_id, int_state) == 77
        assert await state_value(client, thing_id, bool_state) is False
        states = values((await get_thing(client, thing_id))["states"])
        assert (states[int_state], states[bool_state]) == (77, False)


# ---------------------------------------------------------------- 33-36 discovery, pairing, children


async def test_33_discovery(client: RpcClient) -> None:
    two = await discover(client, MOCK)
    assert len(two) == 2
    assert all(cid(d["thingClassId"]) == MOCK_ID and "thingId" not in d for d in two)
    assert [values(d["params"]) for d in two] == [{HTTPPORT: 55555}, {HTTPPORT: 55556}]
    one = await discover(client, MOCK, [param(RESULT_COUNT, 1)])
    assert len(one) == 1
    three = await client.call(
        "Integrations.DiscoverThings", {"thingClassId": MOCK_ID, "discoveryParams": [param(RESULT_COUNT, 3)]}
    )
    assert error(three) == "ThingErrorInvalidParameter" and "thingDescriptors" not in three
    unknown = await client.call("Integrations.DiscoverThings", {"thingClassId": str(uuid.uuid4())})
    assert error(unknown) == "ThingErrorThingClassNotFound"
    no_discovery = await client.call("Integrations.DiscoverThings", {"thingClassId": str(GENERIC_IO_MOCK.id)})
    assert error(no_discovery) == "ThingErrorCreationMethodNotSupported"
    added = await client.call("Integrations.AddThing", {"name": "d", "thingDescriptorId": one[0]["id"]})
    assert error(added) == NO_ERROR
    thing = await get_thing(client, cid(added["thingId"]))
    assert values(thing["params"])[HTTPPORT] == 55555
    # Given params win over the descriptor's.
    overridden = await client.call(
        "Integrations.AddThing",
        {"name": "d2", "thingDescriptorId": two[1]["id"], "thingParams": [param(HTTPPORT, 1234)]},
    )
    assert error(overridden) == NO_ERROR
    assert values((await get_thing(client, cid(overridden["thingId"])))["params"])[HTTPPORT] == 1234


@pytest.mark.parametrize("kind", ["tcp", "ws"])
async def test_34_push_button_pairing(client: RpcClient) -> None:
    descriptors = await discover(client, PUSH_BUTTON_MOCK)
    assert descriptors
    descriptor = descriptors[0]["id"]
    early = await client.call("Integrations.PairThing", {"thingDescriptorId": descriptor, "name": "pb"})
    assert error(early) == NO_ERROR
    assert early["setupMethod"] == "SetupMethodPushButton"
    assert early["pairingTransactionId"].startswith("{") and early["pairingTransactionId"].endswith("}")
    assert "push button" in early["displayMessage"]
    confirm_now = await client.call(
        "Integrations.ConfirmPairing", {"pairingTransactionId": early["pairingTransactionId"]}
    )
    assert error(confirm_now) == "ThingErrorAuthenticationFailure" and "thingId" not in confirm_now
    pairing = await client.call("Integrations.PairThing", {"thingDescriptorId": descriptor, "name": "pb"})
    assert error(pairing) == NO_ERROR
    await asyncio.sleep(3.5 / TIME_SCALE)
    confirmed = await client.call(
        "Integrations.ConfirmPairing", {"pairingTransactionId": pairing["pairingTransactionId"]}
    )
    assert error(confirmed) == NO_ERROR
    thing_id = cid(confirmed["thingId"])
    added = await client.notification("Integrations.ThingAdded", where=about(thing_id))
    assert cid(added["thing"]["thingClassId"]) == str(PUSH_BUTTON_MOCK.id)
    thing = await get_thing(client, thing_id)
    assert (thing["name"], thing["setupStatus"]) == ("pb", "ThingSetupStatusComplete")


async def test_35_display_pin_pairing(client: RpcClient) -> None:
    descriptors = await discover(client, DISPLAY_PIN_MOCK)
    assert descriptors
    wrong = await client.call("Integrations.PairThing", {"thingDescriptorId": descriptors[0]["id"]})
    assert error(wrong) == NO_ERROR and wrong["setupMethod"] == "SetupMethodDisplayPin"
    refused = await client.call(
        "Integrations.ConfirmPairing", {"pairingTransactionId": wrong["pairingTransactionId"], "secret": "243682"}
    )
    assert error(refused) == "ThingErrorAuthenticationFailure"
    assert refused.get("displayMessage") == "Invalid PIN!"
    right = await client.call("Integrations.PairThing", {"thingDescriptorId": descriptors[0]["id"]})
    confirmed = await client.call(
        "Integrations.ConfirmPairing", {"pairingTransactionId": right["pairingTransactionId"], "secret": "243681"}
    )
    assert error(confirmed) == NO_ERROR
    thing_id = cid(confirmed["thingId"])
    await client.notification("Integrations.ThingAdded", where=about(thing_id))
    assert cid((await get_thing(client, thing_id))["thingClassId"]) == str(DISPLAY_PIN_MOCK.id)


async def test_user_and_password_pairing(client: RpcClient) -> None:
    pairing = await client.call("Integrations.PairThing", {"thingClassId": str(USER_AND_PASS_MOCK.id), "name": "up"})
    assert error(pairing) == NO_ERROR and pairing["setupMethod"] == "SetupMethodUserAndPassword"
    bad = await client.call(
        "Integrations.ConfirmPairing",
        {"pairingTransactionId": pairing["pairingTransactionId"], "username": "john", "secret": "smith"},
    )
    assert error(bad) == "ThingErrorAuthenticationFailure"
    pairing = await client.call("Integrations.PairThing", {"thingClassId": str(USER_AND_PASS_MOCK.id), "name": "up"})
    good = await client.call(
        "Integrations.ConfirmPairing",
        {"pairingTransactionId": pairing["pairingTransactionId"], "username": "user", "secret": "password"},
    )
    assert error(good) == NO_ERROR
    assert await state_value(client, cid(good["thingId"]), sid(USER_AND_PASS_MOCK, "connected")) is True


async def test_pairing_errors(client: RpcClient) -> None:
    just_add = await client.call("Integrations.PairThing", {"thingClassId": MOCK_ID})
    assert error(just_add) == "ThingErrorSetupMethodNotSupported" and "pairingTransactionId" not in just_add
    unknown = await client.call("Integrations.ConfirmPairing", {"pairingTransactionId": str(uuid.uuid4())})
    assert error(unknown) == "ThingErrorPairingTransactionIdNotFound"
    assert error(await client.call("Integrations.PairThing", {})) == "ThingErrorMissingParameter"


async def test_36_parent_and_child(client: RpcClient) -> None:
    assert await discover(client, CHILD_MOCK) == []
    forget(client)
    parent_id = await add(client, PARENT_MOCK, "parent")
    first, second = await several(client, "Integrations.ThingAdded", 2)
    assert cid(first["thing"]["id"]) == parent_id
    child = second["thing"]
    child_id = cid(child["id"])
    assert cid(child["parentId"]) == parent_id and cid(child["thingClassId"]) == str(CHILD_MOCK.id)
    refused = await client.call("Integrations.RemoveThing", {"thingId": child_id})
    assert refused == {"thingError": "ThingErrorThingIsChild"}
    await get_thing(client, child_id)
    [found] = await discover(client, CHILD_MOCK)
    second_child = await client.call(
        "Integrations.AddThing", {"name": "second child", "thingDescriptorId": found["id"]}
    )
    assert error(second_child) == NO_ERROR
    second_child_id = cid(second_child["thingId"])
    assert cid((await get_thing(client, second_child_id))["parentId"]) == parent_id
    forget(client)
    assert await client.call("Integrations.RemoveThing", {"thingId": parent_id}) == {"thingError": NO_ERROR}
    removed = await several(client, "Integrations.ThingRemoved", 3)
    assert {cid(r["thingId"]) for r in removed} == {parent_id, child_id, second_child_id}
    for gone in (parent_id, child_id, second_child_id):
        assert await client.call("Integrations.GetThings", {"thingId": gone}) == {
            "thingError": "ThingErrorThingNotFound"
        }


# ---------------------------------------------------------------- 37-44 types, states, settings, reconfigure


async def test_37_types(client: RpcClient) -> None:
    actions = (await client.call("Integrations.GetActionTypes", {"thingClassId": MOCK_ID}))["actionTypes"]
    assert len(actions) == 12
    events = (await client.call("Integrations.GetEventTypes", {"thingClassId": MOCK_ID}))["eventTypes"]
    assert len(events) == 3
    states = (await client.call("Integrations.GetStateTypes", {"thingClassId": MOCK_ID}))["stateTypes"]
    assert len(states) == 12
    assert (states[0]["name"], states[0]["type"], states[0]["defaultValue"]) == ("int", "Int", 10)
    unknown = str(uuid.uuid4())
    assert await client.call("Integrations.GetActionTypes", {"thingClassId": unknown}) == {"actionTypes": []}
    assert await client.call("Integrations.GetEventTypes", {"thingClassId": unknown}) == {"eventTypes": []}
    assert await client.call("Integrations.GetStateTypes", {"thingClassId": unknown}) == {"stateTypes": []}
    # A writable state makes an action with the same id and one param with that id, name and type.
    power = by_id(actions)[sid(MOCK, "power")]
    assert power["name"] == "power"
    [power_param] = power["paramTypes"]
    assert (cid(power_param["id"]), power_param["name"], power_param["type"]) == (sid(MOCK, "power"), "power", "Bool")


async def test_38_state_values(client: RpcClient) -> None:
    thing_id = await add_mock(client)
    int_state = sid(MOCK, "int")
    reply = await client.call("Integrations.GetStateValue", {"thingId": thing_id, "stateTypeId": int_state})
    assert reply == {"thingError": NO_ERROR, "value": 10}
    unknown_thing = await client.call(
        "Integrations.GetStateValue", {"thingId": str(uuid.uuid4()), "stateTypeId": int_state}
    )
    assert unknown_thing == {"thingError": "ThingErrorThingNotFound"}
    unknown_state = await client.call(
        "Integrations.GetStateValue", {"thingId": thing_id, "stateTypeId": str(uuid.uuid4())}
    )
    assert unknown_state == {"thingError": "ThingErrorStateTypeNotFound"}
    all_values = await client.call("Integrations.GetStateValues", {"thingId": thing_id})
    assert error(all_values) == NO_ERROR and len(all_values["values"]) == 12
    assert values(all_values["values"])[sid(MOCK, "double")] == 2.7
    assert await client.call("Integrations.GetStateValues", {"thingId": str(uuid.uuid4())}) == {
        "thingError": "ThingErrorThingNotFound"
    }


async def test_39_edit_persists(tmp_path: Path) -> None:
    async with jsonrpc_rig(tmp_path) as rig:
        client = await admin_client(rig)
        thing_id = await add_mock(client)
        assert await client.call("Integrations.EditThing", {"thingId": thing_id, "name": "New name"}) == {
            "thingError": NO_ERROR
        }
        assert await client.call("Integrations.EditThing", {"thingId": str(uuid.uuid4()), "name": "x"}) == {
            "thingError": "ThingErrorThingNotFound"
        }
    async with jsonrpc_rig(tmp_path) as rig:
        client = await admin_client(rig)
        assert (await get_thing(client, thing_id))["name"] == "New name"


async def test_40_settings(tmp_path: Path) -> None:
    async with jsonrpc_rig(tmp_path) as rig:
        client = await admin_client(rig)
        thing_id = await add_mock(client)
        settings = (await get_thing(client, thing_id))["settings"]
        assert len(settings) == 3
        assert (cid(settings[0]["paramTypeId"]), settings[0]["value"]) == (SETTING1, 5)
        forget(client)
        reply = await client.call(
            "Integrations.SetThingSettings", {"thingId": thing_id, "settings": [param(SETTING1, 7)]}
        )
        assert reply == {"thingError": NO_ERROR}
        # nymea announces every setting of the merged list, not only the changed one.
        announced = await several(client, "Integrations.ThingSettingChanged", 3)
        assert all(cid(a["thingId"]) == thing_id for a in announced)
        assert {cid(a["paramTypeId"]): a["value"] for a in announced} == {SETTING1: 7, MIN_SETTING: 0, MAX_SETTING: 50}
        assert (cid(announced[0]["paramTypeId"]), announced[0]["value"]) == (SETTING1, 7)
        assert announced[0]["paramTypeId"].startswith("{")  # built with QUuid::toString() in nymea
        assert values((await get_thing(client, thing_id))["settings"])[SETTING1] == 7
        bad = await client.call(
            "Integrations.SetThingSettings", {"thingId": thing_id, "settings": [param(SETTING1, "seven")]}
        )
        assert bad == {"thingError": "ThingErrorInvalidParameter"}
        unknown = await client.call(
            "Integrations.SetThingSettings", {"thingId": str(uuid.uuid4()), "settings": [param(SETTING1, 1)]}
        )
        assert unknown == {"thingError": "ThingErrorThingNotFound"}
    async with jsonrpc_rig(tmp_path) as rig:
        client = await admin_client(rig)
        assert values((await get_thing(client, thing_id))["settings"])[SETTING1] == 7


async def test_41_reconfigure(tmp_path: Path) -> None:
    async with jsonrpc_rig(tmp_path) as rig:
        client = await admin_client(rig)
        thing_id = await add_mock(client, 5555)
        forget(client)
        readonly = await client.call(
            "Integrations.ReconfigureThing", {"thingId": thing_id, "thingParams": [param(ASYNC, True)]}
        )
        assert error(readonly) == "ThingErrorParameterNotWritable"
        assert named(await collect(client), "Integrations.ThingChanged") == []
        assert values((await get_thing(client, thing_id))["params"]) == {HTTPPORT: 5555, ASYNC: False, BROKEN: False}
        reply = await client.call(
            "Integrations.ReconfigureThing", {"thingId": thing_id, "thingParams": [param(HTTPPORT, 5566)]}
        )
        assert error(reply) == NO_ERROR
        changed = await client.notification("Integrations.ThingChanged", where=about(thing_id))
        assert values(changed["thing"]["params"])[HTTPPORT] == 5566
        assert changed["thing"]["setupStatus"] == "ThingSetupStatusComplete"
        missing = await client.call("Integrations.ReconfigureThing", {})
        assert error(missing) == "ThingErrorMissingParameter"
        unknown = await client.call("Integrations.ReconfigureThing", {"thingId": str(uuid.uuid4())})
        assert error(unknown) == "ThingErrorThingNotFound"
    async with jsonrpc_rig(tmp_path) as rig:
        client = await admin_client(rig)
        assert values((await get_thing(client, thing_id))["params"]) == {HTTPPORT: 5566, ASYNC: False, BROKEN: False}


async def test_42_reconfigure_by_discovery(client: RpcClient) -> None:
    [first] = await discover(client, MOCK, [param(RESULT_COUNT, 1)])
    added = await client.call("Integrations.AddThing", {"name": "d", "thingDescriptorId": first["id"]})
    assert error(added) == NO_ERROR
    thing_id = cid(added["thingId"])
    [again] = await discover(client, MOCK, [param(RESULT_COUNT, 1)])
    assert cid(again["thingId"]) == thing_id
    forget(client)
    reply = await client.call(
        "Integrations.ReconfigureThing", {"thingDescriptorId": again["id"], "thingParams": [param(HTTPPORT, 55556)]}
    )
    assert error(reply) == NO_ERROR
    changed = await client.notification("Integrations.ThingChanged", where=about(thing_id))
    assert values(changed["thing"]["params"])[HTTPPORT] == 55556
    [mock] = await get_things(client, MOCK)
    assert cid(mock["id"]) == thing_id and values(mock["params"])[HTTPPORT] == 55556
    assert named(await collect(client, 0.05), "Integrations.ThingAdded") == []


async def test_42_repair_through_display_pin(client: RpcClient) -> None:
    descriptors = await discover(client, DISPLAY_PIN_MOCK)
    pairing = await client.call("Integrations.PairThing", {"thingDescriptorId": descriptors[0]["id"]})
    confirmed = await client.call(
        "Integrations.ConfirmPairing", {"pairingTransactionId": pairing["pairingTransactionId"], "secret": "243681"}
    )
    assert error(confirmed) == NO_ERROR
    thing_id = cid(confirmed["thingId"])
    forget(client)
    again = await client.call("Integrations.PairThing", {"thingId": thing_id})
    assert error(again) == NO_ERROR and again["setupMethod"] == "SetupMethodDisplayPin"
    reconfirmed = await client.call(
        "Integrations.ConfirmPairing", {"pairingTransactionId": again["pairingTransactionId"], "secret": "243681"}
    )
    assert error(reconfirmed) == NO_ERROR and cid(reconfirmed["thingId"]) == thing_id
    await client.notification("Integrations.ThingChanged", where=about(thing_id))
    assert [cid(t["id"]) for t in await get_things(client, DISPLAY_PIN_MOCK)] == [thing_id]


async def test_43_auto_thing_reconfigure_and_disappear(rig: Rig, client: RpcClient) -> None:
    [auto] = await get_things(client, AUTO_MOCK)
    auto_id = cid(auto["id"])
    auto_port = str(param_id(AUTO_MOCK, "httpport"))
    port = values(auto["params"])[auto_port]
    await control(rig).reconfigure_auto_thing(auto_id)
    changed = await client.notification("Integrations.ThingChanged", where=about(auto_id))
    assert values(changed["thing"]["params"])[auto_port] == port + 1
    [again] = await get_things(client, AUTO_MOCK)
    assert cid(again["id"]) == auto_id and values(again["params"])[auto_port] == port + 1
    user_thing = await add_mock(client)
    forget(client)
    assert await control(rig).disappear(user_thing) is False
    assert named(await collect(client, 0.05), "Integrations.ThingRemoved") == []
    await get_thing(client, user_thing)
    assert await control(rig).disappear(auto_id) is True
    removed = await client.notification("Integrations.ThingRemoved")
    assert cid(removed["thingId"]) == auto_id
    assert await get_things(client, AUTO_MOCK) == []


async def test_44_remove(tmp_path: Path) -> None:
    async with jsonrpc_rig(tmp_path) as rig:
        client = await admin_client(rig)
        thing_id = await add_mock(client)
        assert await client.call("Integrations.RemoveThing", {"thingId": thing_id}) == {"thingError": NO_ERROR}
        assert cid((await client.notification("Integrations.ThingRemoved"))["thingId"]) == thing_id
        assert await client.call("Integrations.RemoveThing", {"thingId": str(uuid.uuid4())}) == {
            "thingError": "ThingErrorThingNotFound"
        }
    async with jsonrpc_rig(tmp_path) as rig:
        client = await admin_client(rig)
        # Its stored configuration went with it.
        assert await client.call("Integrations.GetThings", {"thingId": thing_id}) == {
            "thingError": "ThingErrorThingNotFound"
        }


# ---------------------------------------------------------------- 45-47 browsing


@pytest.mark.parametrize("asynchronous", [False, True])
async def test_45_browse(client: RpcClient, asynchronous: bool) -> None:
    [mock_class] = (await client.call("Integrations.GetThingClasses", {"thingClassIds": [MOCK_ID]}))["thingClasses"]
    assert mock_class["browsable"] is True
    thing_id = await add_mock(client, **{"async": asynchronous})
    root = await client.call("Integrations.BrowseThing", {"thingId": thing_id})
    assert error(root) == NO_ERROR and len(root["items"]) > 0
    assert [item["id"] for item in root["items"]][:5] == ["001", "002", "003", "004", "005"]
    without_item = await client.call("Integrations.BrowseThing", {"thingId": thing_id, "itemId": ""})
    assert without_item["items"] == root["items"]
    folder = await client.call("Integrations.BrowseThing", {"thingId": thing_id, "itemId": "001"})
    assert error(folder) == NO_ERROR and len(folder["items"]) == 2
    missing = await client.call("Integrations.BrowseThing", {"thingId": thing_id, "itemId": "nope"})
    assert error(missing) == "ThingErrorItemNotFound" and missing["items"] == []
    item = await client.call("Integrations.GetBrowserItem", {"thingId": thing_id, "itemId": "002"})
    assert error(item) == NO_ERROR
    assert (item["item"]["id"], item["item"]["executable"], item["item"]["browsable"]) == ("002", True, False)
    assert [cid(a) for a in item["item"]["actionTypeIds"]] == [str(MOCK.browser_item_action_types[0].id)]
    media = await client.call("Integrations.BrowseThing", {"thingId": thing_id, "itemId": "mediaservices"})
    assert len(media["items"]) == 20 and all("mediaIcon" in m for m in media["items"])


async def test_browse_errors(client: RpcClient) -> None:
    io = await add(client, GENERIC_IO_MOCK, "io")
    unsupported = await client.call("Integrations.BrowseThing", {"thingId": io})
    assert error(unsupported) == "ThingErrorUnsupportedFeature" and unsupported["items"] == []
    unknown = await client.call("Integrations.BrowseThing", {"thingId": str(uuid.uuid4())})
    assert error(unknown) == "ThingErrorThingNotFound"
    unknown_item = await client.call("Integrations.GetBrowserItem", {"thingId": str(uuid.uuid4())})
    assert error(unknown_item) == "ThingErrorThingNotFound" and "item" not in unknown_item
    broken = await add_mock(client)
    missing = await client.call("Integrations.GetBrowserItem", {"thingId": broken, "itemId": "nope"})
    assert error(missing) == "ThingErrorItemNotFound" and "item" not in missing


@pytest.mark.parametrize("asynchronous", [False, True])
async def test_46_execute_browser_item(client: RpcClient, asynchronous: bool) -> None:
    thing_id = await add_mock(client, **{"async": asynchronous})
    executed = await client.call("Integrations.ExecuteBrowserItem", {"thingId": thing_id, "itemId": "002"})
    assert error(executed) == NO_ERROR
    folder = await client.call("Integrations.ExecuteBrowserItem", {"thingId": thing_id, "itemId": "001"})
    assert error(folder) == "ThingErrorItemNotExecutable"


async def test_47_favorites(client: RpcClient) -> None:
    thing_id = await add_mock(client)
    add_action, remove_action = (str(a.id) for a in MOCK.browser_item_action_types)
    reply = await client.call(
        "Integrations.ExecuteBrowserItemAction", {"thingId": thing_id, "itemId": "002", "actionTypeId": add_action}
    )
    assert error(reply) == NO_ERROR
    favorites = (await client.call("Integrations.BrowseThing", {"thingId": thing_id, "itemId": "favorites"}))["items"]
    assert len(favorites) == 1 and favorites[0]["displayName"] == "Item 1"
    reply = await client.call(
        "Integrations.ExecuteBrowserItemAction",
        {"thingId": thing_id, "itemId": favorites[0]["id"], "actionTypeId": remove_action},
    )
    assert error(reply) == NO_ERROR
    favorites = (await client.call("Integrations.BrowseThing", {"thingId": thing_id, "itemId": "favorites"}))["items"]
    assert favorites == []


# ---------------------------------------------------------------- 48-52 actions, events, limits


@pytest.mark.parametrize("kind", ["tcp", "ws"])
async def test_48_execute_action(rig: Rig, client: RpcClient) -> None:
    thing_id = await add_mock(client)
    with_params = aid(MOCK, "withParams")
    params = [
        param(action_param_id(MOCK, "withParams", "param1"), 5),
        param(action_param_id(MOCK, "withParams", "param2"), True),
    ]

    async def execute(thing: str, action: str, action_params: list[dict[str, Any]] | None = None) -> str:
        request: dict[str, Any] = {"thingId": thing, "actionTypeId": action}
        if action_params is not None:
            request["params"] = action_params
        return error(await client.call("Integrations.ExecuteAction", request))

    assert await execute(thing_id, with_params, params) == NO_ERROR
    assert control(rig).action_history(thing_id) == [uuid.UUID(with_params)]
    assert await execute(str(uuid.uuid4()), with_params, params) == "ThingErrorThingNotFound"
    assert await execute(thing_id, str(uuid.uuid4())) == "ThingErrorActionTypeNotFound"
    assert await execute(thing_id, with_params) == "ThingErrorMissingParameter"
    bad_param = [param(action_param_id(MOCK, "withParams", "param1"), "five"), params[1]]
    assert await execute(thing_id, with_params, bad_param) == "ThingErrorInvalidParameter"
    assert await execute(thing_id, aid(MOCK, "async")) == NO_ERROR
    control(rig).clear_action_history()
    for failing in ("failing", "asyncFailing"):
        assert await execute(thing_id, aid(MOCK, failing)) == "ThingErrorSetupFailed"
    # A failed action does not reach the device.
    assert control(rig).action_history(thing_id) == []
    # A writable state's action sets the state.
    power = sid(MOCK, "power")
    forget(client)
    assert await execute(thing_id, power, [param(power, True)]) == NO_ERROR
    changed = await client.notification("Integrations.StateChanged", where=state_of(thing_id, power))
    assert changed["value"] is True
    assert await state_value(client, thing_id, power) is True


async def test_execute_action_failure_message(client: RpcClient) -> None:
    thing_id = await add_mock(client)
    reply = await client.call("Integrations.ExecuteAction", {"thingId": thing_id, "actionTypeId": aid(MOCK, "failing")})
    assert error(reply) == "ThingErrorSetupFailed"
    assert reply.get("displayMessage") == "This action fails on purpose."


async def test_49_event(rig: Rig, client: RpcClient) -> None:
    thing_id = await add_mock(client)
    forget(client)
    control(rig).generate_event(thing_id, "event1")
    triggered = named(await collect(client), "Integrations.EventTriggered")
    assert len(triggered) == 1
    event = triggered[0]["event"]
    assert (cid(event["thingId"]), cid(event["eventTypeId"]), event["params"]) == (thing_id, eid(MOCK, "event1"), [])
    control(rig).generate_event(thing_id, "event2", {"intParam": 7})
    with_param = await client.notification("Integrations.EventTriggered")
    assert cid(with_param["event"]["eventTypeId"]) == eid(MOCK, "event2")
    event2 = MOCK.event_type_named("event2")
    assert event2 is not None
    assert values(with_param["event"]["params"]) == {str(event2.param_types[0].id): 7}


async def test_14_state_changed_with_notifications_on_and_off(rig: Rig, client: RpcClient) -> None:
    thing_id = await add_mock(client)
    quiet = await rig.admin()  # notifications are off until asked for
    int_state = sid(MOCK, "int")
    forget(client)
    control(rig).set_state(thing_id, "int", 11)
    changed = await client.notification("Integrations.StateChanged", where=state_of(thing_id, int_state))
    assert changed == {
        "thingId": changed["thingId"],
        "stateTypeId": changed["stateTypeId"],
        "value": 11,
        "minValue": None,
        "maxValue": None,
        "possibleValues": [],
    }
    await quiet.no_notification(0.2)
    assert await state_value(quiet, thing_id, int_state) == 11
    # The same value again is no change.
    control(rig).set_state(thing_id, "int", 11)
    assert named(await collect(client, 0.05), "Integrations.StateChanged") == []


async def test_50_dynamic_min_max(rig: Rig, client: RpcClient) -> None:
    thing_id = await add_mock(client)
    limited = sid(MOCK, "intWithLimits")
    forget(client)
    control(rig).set_state(thing_id, "intWithLimits", 11)
    changed = await client.notification("Integrations.StateChanged", where=state_of(thing_id, limited))
    assert (changed["value"], changed["minValue"], changed["maxValue"]) == (11, 0, 50)
    reply = await client.call(
        "Integrations.SetThingSettings", {"thingId": thing_id, "settings": [param(MAX_SETTING, 8)]}
    )
    assert error(reply) == NO_ERROR
    changed = await client.notification("Integrations.StateChanged", where=state_of(thing_id, limited))
    assert (changed["value"], changed["minValue"], changed["maxValue"]) == (8, 0, 8)
    too_big = await client.call(
        "Integrations.ExecuteAction", {"thingId": thing_id, "actionTypeId": limited, "params": [param(limited, 40)]}
    )
    assert error(too_big) == "ThingErrorInvalidParameter"
    reply = await client.call(
        "Integrations.SetThingSettings", {"thingId": thing_id, "settings": [param(MAX_SETTING, 100)]}
    )
    assert error(reply) == NO_ERROR
    allowed = await client.call(
        "Integrations.ExecuteAction", {"thingId": thing_id, "actionTypeId": limited, "params": [param(limited, 52)]}
    )
    assert error(allowed) == NO_ERROR
    assert await state_value(client, thing_id, limited) == 52
    [state] = [s for s in (await get_thing(client, thing_id))["states"] if cid(s["stateTypeId"]) == limited]
    assert (state["value"], state["minValue"], state["maxValue"]) == (52, 0, 100)


async def test_51_setup_status_after_restart(tmp_path: Path) -> None:
    async with jsonrpc_rig(tmp_path) as rig:
        client = await admin_client(rig)
        thing_id = await add_mock(client, 5555, **{"async": True})
    # Time scale 2: the async mock's setup takes half a second after the restart.
    async with slow_setup_rig(tmp_path, time_scale=2.0) as rig:
        client = await admin_client(rig)
        thing = await get_thing(client, thing_id)
        assert (thing["setupStatus"], thing["setupComplete"]) == ("ThingSetupStatusInProgress", False)
        # A thing still being set up refuses actions.
        early = await client.call(
            "Integrations.ExecuteAction", {"thingId": thing_id, "actionTypeId": aid(MOCK, "withoutParams")}
        )
        assert error(early) == "ThingErrorSetupFailed"
        changed = await client.notification(
            "Integrations.ThingChanged",
            within=10,
            where=lambda p: about(thing_id)(p) and p["thing"]["setupStatus"] == "ThingSetupStatusComplete",
        )
        assert changed["thing"]["setupError"] == NO_ERROR
        assert (await get_thing(client, thing_id))["setupStatus"] == "ThingSetupStatusComplete"


async def test_52_value_clamping(rig: Rig, client: RpcClient) -> None:
    typed = await add(client, INPUT_TYPE_MOCK, "typed")
    mock = await add_mock(client)
    cases = [
        (typed, INPUT_TYPE_MOCK, "double", 5.789, 5.8),  # onto the 0.1 step
        (typed, INPUT_TYPE_MOCK, "int", 150, 100),  # into [-100, 100]
        (mock, MOCK, "intWithLimits", 60, 50),  # into [0, 50]
        (mock, MOCK, "intWithLimits", -5, 0),
    ]
    for thing_id, thing_class, name, given, expected in cases:
        forget(client)
        control(rig).set_state(thing_id, name, given)
        changed = await client.notification(
            "Integrations.StateChanged", where=state_of(thing_id, sid(thing_class, name))
        )
        assert changed["value"] == expected, (name, given)
        assert await state_value(client, thing_id, sid(thing_class, name)) == expected


# ---------------------------------------------------------------- 53-54 IO connections


IO_MATRIX = [
    ("digitalInput1", "digitalOutput1", NO_ERROR),
    ("analogInput1", "analogOutput1", NO_ERROR),
    ("digitalInput1", "analogOutput1", "ThingErrorInvalidParameter"),
    ("analogInput1", "digitalOutput1", "ThingErrorInvalidParameter"),
    ("digitalOutput1", "digitalInput1", "ThingErrorInvalidParameter"),
    ("digitalInput1", "digitalInput2", "ThingErrorInvalidParameter"),
    ("digitalOutput1", "digitalOutput2", "ThingErrorInvalidParameter"),
    ("analogOutput1", "analogInput1", "ThingErrorInvalidParameter"),
    ("analogInput1", "analogInput2", "ThingErrorInvalidParameter"),
    ("analogOutput1", "analogOutput2", "ThingErrorInvalidParameter"),
]


def connect_request(
    input_thing: str, input_state: str, output_thing: str, output_state: str, inverted: bool | None = None
) -> dict[str, Any]:
    """ConnectIO params."""
    request: dict[str, Any] = {
        "inputThingId": input_thing,
        "inputStateTypeId": input_state,
        "outputThingId": output_thing,
        "outputStateTypeId": output_state,
    }
    if inverted is not None:
        request["inverted"] = inverted
    return request


async def test_53_connect_io_matrix(client: RpcClient) -> None:
    io = await add(client, GENERIC_IO_MOCK, "io")
    outcomes = []
    for source, target, _expected in IO_MATRIX:
        forget(client)
        request = connect_request(io, sid(GENERIC_IO_MOCK, source), io, sid(GENERIC_IO_MOCK, target))
        reply = await client.call("Integrations.ConnectIO", request)
        outcomes.append((source, target, error(reply)))
        if error(reply) == NO_ERROR:
            added = await client.notification("Integrations.IOConnectionAdded")
            assert cid(added["ioConnection"]["id"]) == cid(reply["ioConnectionId"])
            disconnected = await client.call("Integrations.DisconnectIO", {"ioConnectionId": reply["ioConnectionId"]})
            assert disconnected == {"thingError": NO_ERROR}
        else:
            assert "ioConnectionId" not in reply
    assert outcomes == IO_MATRIX


async def test_53_connect_io_unknowns(client: RpcClient) -> None:
    io = await add(client, GENERIC_IO_MOCK, "io")
    digital_in, digital_out = sid(GENERIC_IO_MOCK, "digitalInput1"), sid(GENERIC_IO_MOCK, "digitalOutput1")
    unknown = str(uuid.uuid4())
    for request, expected in [
        (connect_request(unknown, digital_in, io, digital_out), "ThingErrorThingNotFound"),
        (connect_request(io, digital_in, unknown, digital_out), "ThingErrorThingNotFound"),
        (connect_request(io, unknown, io, digital_out), "ThingErrorStateTypeNotFound"),
        (connect_request(io, digital_in, io, unknown), "ThingErrorStateTypeNotFound"),
    ]:
        assert await client.call("Integrations.ConnectIO", request) == {"thingError": expected}
    assert await client.call("Integrations.DisconnectIO", {"ioConnectionId": unknown}) == {
        "thingError": "ThingErrorItemNotFound"
    }
    assert await client.call("Integrations.GetIOConnections") == {"thingError": NO_ERROR, "ioConnections": []}


@pytest.mark.parametrize("inverted", [False, True])
async def test_54_digital_io(rig: Rig, client: RpcClient, inverted: bool) -> None:
    light = await add(client, VIRTUAL_IO_LIGHT_MOCK, "light")
    io = await add(client, GENERIC_IO_MOCK, "io")
    light_power, output = sid(VIRTUAL_IO_LIGHT_MOCK, "power"), sid(GENERIC_IO_MOCK, "digitalOutput1")
    forget(client)
    reply = await client.call("Integrations.ConnectIO", connect_request(light, light_power, io, output, inverted))
    assert error(reply) == NO_ERROR
    connection_id = cid(reply["ioConnectionId"])
    added = (await client.notification("Integrations.IOConnectionAdded"))["ioConnection"]
    assert added == {
        "id": added["id"],
        "inputThingId": added["inputThingId"],
        "inputStateTypeId": added["inputStateTypeId"],
        "outputThingId": added["outputThingId"],
        "outputStateTypeId": added["outputStateTypeId"],
        "inverted": inverted,
    }
    keys = ("id", "inputThingId", "inputStateTypeId", "outputThingId", "outputStateTypeId")
    assert [cid(added[k]) for k in keys] == [
        connection_id,
        light,
        light_power,
        io,
        output,
    ]
    listed = await client.call("Integrations.GetIOConnections")
    assert [cid(c["id"]) for c in listed["ioConnections"]] == [connection_id]
    for thing in (light, io):
        of_thing = await client.call("Integrations.GetIOConnections", {"thingId": thing})
        assert [cid(c["id"]) for c in of_thing["ioConnections"]] == [connection_id]
    other = await add_mock(client)
    assert (await client.call("Integrations.GetIOConnections", {"thingId": other}))["ioConnections"] == []
    await wait_value(client, io, output, inverted)  # the initial sync
    forget(client)
    for power in (True, False):
        control(rig).set_state(light, "power", power)
        followed = await client.notification("Integrations.StateChanged", where=state_of(io, output))
        assert followed["value"] is (power != inverted)
    forget(client)
    assert await client.call("Integrations.DisconnectIO", {"ioConnectionId": connection_id}) == {"thingError": NO_ERROR}
    removed = await client.notification("Integrations.IOConnectionRemoved")
    assert cid(removed["ioConnectionId"]) == connection_id
    control(rig).set_state(light, "power", True)
    await client.notification("Integrations.StateChanged", where=state_of(light, light_power))
    assert [p for p in named(await collect(client, 0.1), "Integrations.StateChanged") if state_of(io, output)(p)] == []
    assert await state_value(client, io, output) is inverted
    assert (await client.call("Integrations.GetIOConnections"))["ioConnections"] == []


async def test_54_analog_io_scales(rig: Rig, client: RpcClient) -> None:
    io = await add(client, GENERIC_IO_MOCK, "io")
    analog_in, analog_out = sid(GENERIC_IO_MOCK, "analogInput2"), sid(GENERIC_IO_MOCK, "analogOutput1")
    reply = await client.call("Integrations.ConnectIO", connect_request(io, analog_in, io, analog_out))
    assert error(reply) == NO_ERROR
    # analogInput2 is 0..5, analogOutput1 is 0..3.3: 2.5 is half way, so 1.65.
    forget(client)
    control(rig).set_state(io, "analogInput2", 2.5)
    changed = await client.notification("Integrations.StateChanged", where=state_of(io, analog_out))
    assert changed["value"] == pytest.approx(1.65)
    await wait_value(client, io, analog_out, 1.65)


async def test_io_connection_replaced_and_removed_with_thing(client: RpcClient) -> None:
    io = await add(client, GENERIC_IO_MOCK, "io")
    d1, d2, out = (sid(GENERIC_IO_MOCK, n) for n in ("digitalInput1", "digitalInput2", "digitalOutput1"))
    first = await client.call("Integrations.ConnectIO", connect_request(io, d1, io, out))
    assert error(first) == NO_ERROR
    forget(client)
    # The same output again replaces the first connection.
    second = await client.call("Integrations.ConnectIO", connect_request(io, d2, io, out))
    assert error(second) == NO_ERROR
    replaced = await client.notification("Integrations.IOConnectionRemoved")
    assert cid(replaced["ioConnectionId"]) == cid(first["ioConnectionId"])
    added = await client.notification("Integrations.IOConnectionAdded")
    assert cid(added["ioConnection"]["id"]) == cid(second["ioConnectionId"])
    listed = (await client.call("Integrations.GetIOConnections"))["ioConnections"]
    assert [cid(c["id"]) for c in listed] == [cid(second["ioConnectionId"])]
    forget(client)
    assert await client.call("Integrations.RemoveThing", {"thingId": io}) == {"thingError": NO_ERROR}
    removed = await client.notification("Integrations.IOConnectionRemoved")
    assert cid(removed["ioConnectionId"]) == cid(second["ioConnectionId"])
    await client.notification("Integrations.ThingRemoved", where=lambda p: cid(p["thingId"]) == io)
    assert await client.call("Integrations.GetIOConnections") == {"thingError": NO_ERROR, "ioConnections": []}


async def test_io_connections_persist(tmp_path: Path) -> None:
    async with jsonrpc_rig(tmp_path) as rig:
        client = await admin_client(rig)
        io = await add(client, GENERIC_IO_MOCK, "io")
        d1, out = sid(GENERIC_IO_MOCK, "digitalInput1"), sid(GENERIC_IO_MOCK, "digitalOutput1")
        reply = await client.call("Integrations.ConnectIO", connect_request(io, d1, io, out, True))
        assert error(reply) == NO_ERROR
        before = (await client.call("Integrations.GetIOConnections"))["ioConnections"]
    async with jsonrpc_rig(tmp_path) as rig:
        client = await admin_client(rig)
        assert (await client.call("Integrations.GetIOConnections"))["ioConnections"] == before
        control(rig).set_state(io, "digitalInput1", True)
        await wait_value(client, io, out, False)


# ---------------------------------------------------------------- logging and filters


async def test_logging_flags_and_quirks(client: RpcClient) -> None:
    thing_id = await add_mock(client)
    int_state = sid(MOCK, "int")
    forget(client)
    reply = await client.call(
        "Integrations.SetStateLogging", {"thingId": thing_id, "stateTypeId": int_state, "enabled": True}
    )
    assert reply == {"thingError": NO_ERROR}
    changed = await client.notification("Integrations.ThingChanged", where=about(thing_id))
    assert [cid(s) for s in changed["thing"]["loggedStateTypeIds"]] == [int_state]
    reply = await client.call(
        "Integrations.SetEventLogging", {"thingId": thing_id, "eventTypeId": eid(MOCK, "event1"), "enabled": True}
    )
    assert reply == {"thingError": NO_ERROR}
    changed = await client.notification("Integrations.ThingChanged", where=about(thing_id))
    assert [cid(e) for e in changed["thing"]["loggedEventTypeIds"]] == [eid(MOCK, "event1")]
    reply = await client.call(
        "Integrations.SetActionLogging",
        {"thingId": thing_id, "actionTypeId": aid(MOCK, "withoutParams"), "enabled": True},
    )
    assert reply == {"thingError": NO_ERROR}
    changed = await client.notification("Integrations.ThingChanged", where=about(thing_id))
    assert [cid(a) for a in changed["thing"]["loggedActionTypeIds"]] == [aid(MOCK, "withoutParams")]
    reply = await client.call(
        "Integrations.SetStateFilter",
        {"thingId": thing_id, "stateTypeId": int_state, "filter": "StateValueFilterAdaptive"},
    )
    assert reply == {"thingError": NO_ERROR}
    changed = await client.notification("Integrations.ThingChanged", where=about(thing_id))
    [state] = [s for s in changed["thing"]["states"] if cid(s["stateTypeId"]) == int_state]
    assert state["filter"] == "StateValueFilterAdaptive"
    thing = await get_thing(client, thing_id)
    assert [cid(s) for s in thing["loggedStateTypeIds"]] == [int_state]

    async def set_flag(method: str, key: str, type_id: str, thing: str = thing_id) -> dict[str, Any]:
        request: dict[str, Any] = {"thingId": thing, key: type_id}
        if method == "Integrations.SetStateFilter":
            request["filter"] = "StateValueFilterAdaptive"
        else:
            request["enabled"] = True
        return await client.call(method, request)

    unknown = str(uuid.uuid4())
    assert error(await set_flag("Integrations.SetStateLogging", "stateTypeId", unknown)) == (
        "ThingErrorStateTypeNotFound"
    )
    assert error(await set_flag("Integrations.SetEventLogging", "eventTypeId", unknown)) == (
        "ThingErrorEventTypeNotFound"
    )
    # nymea's quirks: an unknown action (logging) and an unknown state (filter) answer EventTypeNotFound.
    assert error(await set_flag("Integrations.SetActionLogging", "actionTypeId", unknown)) == (
        "ThingErrorEventTypeNotFound"
    )
    assert error(await set_flag("Integrations.SetStateFilter", "stateTypeId", unknown)) == (
        "ThingErrorEventTypeNotFound"
    )
    for method, key in [
        ("Integrations.SetStateLogging", "stateTypeId"),
        ("Integrations.SetEventLogging", "eventTypeId"),
        ("Integrations.SetActionLogging", "actionTypeId"),
        ("Integrations.SetStateFilter", "stateTypeId"),
    ]:
        assert error(await set_flag(method, key, int_state, thing=unknown)) == "ThingErrorThingNotFound", method
    # Setting what is already set is no change.
    forget(client)
    assert error(await set_flag("Integrations.SetStateLogging", "stateTypeId", int_state)) == NO_ERROR
    assert named(await collect(client, 0.05), "Integrations.ThingChanged") == []


async def test_logging_flags_persist(tmp_path: Path) -> None:
    async with jsonrpc_rig(tmp_path) as rig:
        client = await admin_client(rig)
        thing_id = await add_mock(client)
        reply = await client.call(
            "Integrations.SetStateLogging", {"thingId": thing_id, "stateTypeId": sid(MOCK, "double"), "enabled": True}
        )
        assert error(reply) == NO_ERROR
        reply = await client.call(
            "Integrations.SetStateFilter",
            {"thingId": thing_id, "stateTypeId": sid(MOCK, "int"), "filter": "StateValueFilterAdaptive"},
        )
        assert error(reply) == NO_ERROR
    async with jsonrpc_rig(tmp_path) as rig:
        client = await admin_client(rig)
        thing = await get_thing(client, thing_id)
        assert [cid(s) for s in thing["loggedStateTypeIds"]] == [sid(MOCK, "double")]
        filters = {cid(s["stateTypeId"]): s["filter"] for s in thing["states"]}
        assert filters[sid(MOCK, "int")] == "StateValueFilterAdaptive"


# ---------------------------------------------------------------- 55, 57 restricted users


async def guest_for(rig: Rig, admin: RpcClient, allowed: list[str], kind: str = "tcp") -> RpcClient:
    """A user with ControlThings on the allowed things only, logged in, Integrations notifications on."""
    created = await admin.call(
        "Users.CreateUser",
        {
            "username": GUEST,
            "password": GUEST_PASSWORD,
            "scopes": ["PermissionScopeControlThings"],
            "allowedThingIds": allowed,
        },
    )
    assert created == {"error": "UserErrorNoError"}
    guest = await rig.connect(kind)
    await guest.login(GUEST, GUEST_PASSWORD)
    await guest.notify("Integrations")
    return guest


@pytest.mark.parametrize("kind", ["tcp", "ws"])
async def test_55_restricted_user(rig: Rig, client: RpcClient, kind: str) -> None:
    a = await add_mock(client, 1, "A")
    b = await add_mock(client, 2, "B")
    guest = await guest_for(rig, client, [b], kind)
    assert [cid(t["id"]) for t in await get_things(guest)] == [b]
    not_found = {"thingError": "ThingErrorThingNotFound"}
    assert await guest.call("Integrations.GetThings", {"thingId": a}) == not_found
    assert await guest.call("Integrations.GetStateValue", {"thingId": a, "stateTypeId": sid(MOCK, "int")}) == (
        not_found
    )
    assert error(await guest.call("Integrations.BrowseThing", {"thingId": a})) == "ThingErrorThingNotFound"
    assert error(await guest.call("Integrations.GetBrowserItem", {"thingId": a})) == "ThingErrorThingNotFound"
    await get_thing(guest, b)
    # ControlThings: actions on an allowed thing work, on another thing it does not exist.
    without_params = aid(MOCK, "withoutParams")
    assert error(await guest.call("Integrations.ExecuteAction", {"thingId": b, "actionTypeId": without_params})) == (
        NO_ERROR
    )
    hidden = await guest.call("Integrations.ExecuteAction", {"thingId": a, "actionTypeId": without_params})
    assert bare(hidden) == not_found
    # Notifications about things the user may not see do not reach it.
    forget(guest)
    control(rig).set_state(a, "int", 21)
    control(rig).set_state(b, "int", 22)
    seen = await guest.notification("Integrations.StateChanged")
    assert (cid(seen["thingId"]), seen["value"]) == (b, 22)
    control(rig).generate_event(a, "event1")
    assert await collect(guest, 0.05) == []
    # The admin saw both.
    await client.notification("Integrations.StateChanged", where=state_of(a, sid(MOCK, "int")))


async def test_55_changed_allowed_things_come_and_go_for_the_user(rig: Rig, client: RpcClient) -> None:
    a = await add_mock(client, 1, "A")
    b = await add_mock(client, 2, "B")
    guest = await guest_for(rig, client, [b])
    forget(guest)
    reply = await client.call(
        "Users.SetUserScopes",
        {"username": GUEST, "scopes": ["PermissionScopeControlThings"], "allowedThingIds": [a]},
    )
    assert reply == {"error": "UserErrorNoError"}
    # Granted and withdrawn things reach the open connection as things added and removed.
    added = await guest.notification("Integrations.ThingAdded")
    assert cid(added["thing"]["id"]) == a
    removed = await guest.notification("Integrations.ThingRemoved")
    assert cid(removed["thingId"]) == b
    assert [cid(t["id"]) for t in await get_things(guest)] == [a]


async def test_57_permission_denied(rig: Rig, client: RpcClient) -> None:
    b = await add_mock(client, 2, "B")
    guest = await guest_for(rig, client, [b])
    for method, params in [
        ("Integrations.RemoveThing", {"thingId": b}),
        ("Integrations.EditThing", {"thingId": b, "name": "mine"}),
        ("Integrations.AddThing", {"name": "x", "thingClassId": MOCK_ID, "thingParams": [param(HTTPPORT, 3)]}),
        ("Integrations.GetPluginConfiguration", {"pluginId": PLUGIN_ID}),
        ("Integrations.SetThingSettings", {"thingId": b, "settings": [param(SETTING1, 1)]}),
    ]:
        reply = await guest.request(method, params)
        assert (reply["status"], reply.get("error")) == ("error", "Permission denied."), (method, reply)
    # The connection stays open, and nothing changed.
    assert not guest.closed.is_set()
    thing = await get_thing(guest, b)
    assert thing["name"] == "B"
    assert len(await get_things(client, MOCK)) == 1
