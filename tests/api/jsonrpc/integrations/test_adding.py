"""nymea's Integrations items 22-28: adding things, its errors, and the added/removed notifications."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from tests.api.jsonrpc.integrations.helpers import (
    ASYNC,
    BROKEN,
    HTTPPORT,
    MOCK_ID,
    NO_ERROR,
    about,
    add,
    add_mock,
    bare,
    cid,
    collect,
    error,
    forget,
    get_thing,
    get_things,
    named,
    param,
    values,
)
from tests.api.jsonrpc.rig import RpcClient
from thinggate.integrations.virtual.testbed import MOCK, USER_AND_PASS_MOCK


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
