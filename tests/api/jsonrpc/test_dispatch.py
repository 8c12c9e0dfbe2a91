"""How the door runs requests: in order for JSONRPC.*, eagerly otherwise, slow ones beside fast ones."""

from __future__ import annotations

import asyncio
import json
import uuid
from pathlib import Path

import pytest

from tests.api.jsonrpc.rig import Rig, jsonrpc_rig
from tests.hubtools import action_id, param_id, state_id
from thinggate.api.jsonrpc.transports import FLUSH_EVERY
from thinggate.core.hub import Hub, Timeouts
from thinggate.core.security import SYSTEM
from thinggate.integrations.virtual.testbed import MOCK, PUSH_BUTTON_MOCK


async def _add_mock(hub: Hub, port: int) -> str:
    result = await hub.add_thing(
        SYSTEM, name="Mock", thing_class_id=MOCK.id, params=[(param_id(MOCK, "httpport"), port)]
    )
    assert result.ok, result
    return str(result.value)


async def test_a_slow_action_does_not_hold_up_later_requests(rig: Rig) -> None:
    client = await rig.admin()
    thing_id = await _add_mock(rig.hub, 6100)
    slow = client.expect(100)
    fast = client.expect(101)
    # The `async` action finishes one simulated second later; GetStateValue at once.
    await client.send_raw(
        json.dumps(
            {
                "id": 100,
                "method": "Integrations.ExecuteAction",
                "params": {"thingId": thing_id, "actionTypeId": str(action_id(MOCK, "async"))},
                "token": client.token,
            }
        )
        + "\n"
        + json.dumps(
            {
                "id": 101,
                "method": "Integrations.GetStateValue",
                "params": {"thingId": thing_id, "stateTypeId": str(state_id(MOCK, "int"))},
                "token": client.token,
            }
        )
        + "\n"
    )
    done, _ = await asyncio.wait({slow, fast}, return_when=asyncio.FIRST_COMPLETED, timeout=5)
    assert done == {fast}
    assert (await fast)["params"] == {"thingError": "ThingErrorNoError", "value": 10}
    assert (await asyncio.wait_for(slow, 5))["params"] == {"thingError": "ThingErrorNoError"}
    # The slow request ran in a task that is gone once it answered.
    session = next(iter(rig.door.sessions.values()))
    await asyncio.sleep(0)
    assert not session.tasks


async def test_an_action_the_device_never_confirms_times_out(tmp_path: Path) -> None:
    async with jsonrpc_rig(tmp_path, timeouts=Timeouts(action=0.3)) as rig:
        client = await rig.admin()
        found = await client.call("Integrations.DiscoverThings", {"thingClassId": str(PUSH_BUTTON_MOCK.id)})
        descriptor = found["thingDescriptors"][0]["id"]
        pairing = await client.call("Integrations.PairThing", {"thingDescriptorId": descriptor})
        await asyncio.sleep(3.5 / 20)  # the simulated button press (3 s at time scale 20)
        confirmed = await client.call(
            "Integrations.ConfirmPairing", {"pairingTransactionId": pairing["pairingTransactionId"]}
        )
        assert confirmed["thingError"] == "ThingErrorNoError"
        thing_id = confirmed["thingId"]
        timeout_action = str(action_id(PUSH_BUTTON_MOCK, "timeout"))
        reply = await client.call("Integrations.ExecuteAction", {"thingId": thing_id, "actionTypeId": timeout_action})
        assert reply["thingError"] == "ThingErrorTimeout"
        # The connection is still served.
        assert (await client.call("Integrations.GetThings", {"thingId": thing_id}))["thingError"] == "ThingErrorNoError"


@pytest.mark.parametrize("kind", ["tcp", "ws"])
async def test_many_requests_in_one_read_are_answered_in_writes_of_at_most_16_replies(
    tmp_path: Path, kind: str
) -> None:
    async with jsonrpc_rig(tmp_path) as rig:
        client = await rig.admin(kind)
        session = next(iter(rig.door.sessions.values()))
        writes: list[int] = []  # replies per write to the client's transport
        write = session.write

        def counted(messages: list[bytes]) -> None:
            writes.append(len(messages))
            write(messages)

        session.write = counted
        count = 40
        replies = [client.expect(1000 + number) for number in range(count)]
        lines = [
            json.dumps(
                {
                    "id": 1000 + number,
                    "method": "Integrations.GetStateValue",
                    "params": {"thingId": str(uuid.uuid4()), "stateTypeId": str(uuid.uuid4())},
                    "token": client.token,
                }
            )
            + "\n"
            for number in range(count)
        ]
        # All before the server reads (it shares this loop): one read over TCP, 40 frames in one over WebSocket.
        if kind == "tcp":
            await client.send_raw("".join(lines))
        else:
            for line in lines:
                await client.send_raw(line)
        for reply in await asyncio.wait_for(asyncio.gather(*replies), 10):
            assert reply["params"] == {"thingError": "ThingErrorThingNotFound"}
        assert sum(writes) == count
        # The first replies leave while the rest are answered (the client can work on them), yet
        # not one write per reply.
        assert max(writes) <= FLUSH_EVERY == 16
        assert len(writes) < count


async def test_a_client_that_stops_sending_gets_every_reply_in_order_then_the_close(tmp_path: Path) -> None:
    async with jsonrpc_rig(tmp_path) as rig:
        client = await rig.admin("tcp")
        first, second = client.expect(200), client.expect(201)
        # A JSONRPC call (answered in order: the request after it waits for it), another request, end of input.
        await client.send_raw(
            json.dumps({"id": 200, "method": "JSONRPC.KeepAlive", "params": {"sessionId": "s"}, "token": client.token})
            + "\n"
            + json.dumps({"id": 201, "method": "Integrations.GetVendors", "token": client.token})
            + "\n"
        )
        assert client._writer is not None
        client._writer.write_eof()
        assert (await asyncio.wait_for(first, 10))["params"] == {"success": True, "sessionId": "s"}
        assert (await asyncio.wait_for(second, 10))["status"] == "success"
        await client.wait_closed()
        assert [json.loads(line)["id"] for line in client.raw[-2:]] == [200, 201]
