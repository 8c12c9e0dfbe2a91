"""nymea's Integrations items 37-44: types, state values, editing, settings, reconfiguring, removing."""

from __future__ import annotations

import uuid
from pathlib import Path

from tests.api.jsonrpc.integrations.helpers import (
    ASYNC,
    BROKEN,
    HTTPPORT,
    MAX_SETTING,
    MIN_SETTING,
    MOCK_ID,
    NO_ERROR,
    RESULT_COUNT,
    SETTING1,
    about,
    add_mock,
    admin_client,
    by_id,
    cid,
    collect,
    control,
    discover,
    error,
    forget,
    get_thing,
    get_things,
    named,
    param,
    several,
    sid,
    values,
)
from tests.api.jsonrpc.rig import Rig, RpcClient, jsonrpc_rig
from tests.hubtools import param_id
from thinggate.integrations.virtual.testbed import AUTO_MOCK, DISPLAY_PIN_MOCK, MOCK


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
