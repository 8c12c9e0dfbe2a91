"""How the door runs requests: in order for JSONRPC.*, eagerly otherwise, slow ones beside fast ones."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from tests.api.jsonrpc.rig import Rig, jsonrpc_rig
from tests.hubtools import action_id, param_id, state_id
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
