"""nymea's Integrations items 53-54: IO connections between inputs and outputs, digital and analog."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest

from tests.api.jsonrpc.integrations.helpers import (
    NO_ERROR,
    add,
    add_mock,
    admin_client,
    cid,
    collect,
    control,
    error,
    forget,
    named,
    sid,
    state_of,
    state_value,
    wait_value,
)
from tests.api.jsonrpc.rig import Rig, RpcClient, jsonrpc_rig
from thinggate.integrations.virtual.testbed import GENERIC_IO_MOCK, VIRTUAL_IO_LIGHT_MOCK

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
