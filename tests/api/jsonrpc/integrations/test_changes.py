"""nymea's Integrations items 29-32: reconfiguring and editing, listing things, and what a restart keeps."""

from __future__ import annotations

import uuid
from pathlib import Path

from tests.api.jsonrpc.integrations.helpers import (
    ASYNC,
    BROKEN,
    HTTPPORT,
    MAX_SETTING,
    MIN_SETTING,
    NO_ERROR,
    SETTING1,
    about,
    add_mock,
    admin_client,
    cid,
    control,
    error,
    forget,
    get_thing,
    get_things,
    param,
    sid,
    state_of,
    state_value,
    values,
)
from tests.api.jsonrpc.rig import RpcClient, jsonrpc_rig
from thinggate.integrations.virtual.testbed import AUTO_MOCK, MOCK


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
