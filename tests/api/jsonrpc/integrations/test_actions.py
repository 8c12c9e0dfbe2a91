"""nymea's Integrations items 48-52: actions, events, state notifications, dynamic limits, setup status, clamping."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest

from tests.api.jsonrpc.integrations.helpers import (
    MAX_SETTING,
    NO_ERROR,
    about,
    add,
    add_mock,
    admin_client,
    aid,
    cid,
    collect,
    control,
    eid,
    error,
    forget,
    get_thing,
    named,
    param,
    sid,
    slow_setup_rig,
    state_of,
    state_value,
    values,
)
from tests.api.jsonrpc.rig import Rig, RpcClient, jsonrpc_rig
from tests.hubtools import action_param_id
from thinggate.integrations.virtual.testbed import INPUT_TYPE_MOCK, MOCK


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
