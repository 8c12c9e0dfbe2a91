"""State logging flags and state value filters through the wire, and what a restart keeps of them."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

from tests.api.jsonrpc.integrations.helpers import (
    NO_ERROR,
    about,
    add_mock,
    admin_client,
    aid,
    cid,
    collect,
    eid,
    error,
    forget,
    get_thing,
    named,
    sid,
)
from tests.api.jsonrpc.rig import RpcClient, jsonrpc_rig
from thinggate.integrations.virtual.testbed import MOCK


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
