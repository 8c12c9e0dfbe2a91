"""nymea's Integrations items 33-36: discovery, the pairing methods, parents and children."""

from __future__ import annotations

import asyncio
import uuid

import pytest

from tests.api.jsonrpc.integrations.helpers import (
    HTTPPORT,
    MOCK_ID,
    NO_ERROR,
    RESULT_COUNT,
    about,
    add,
    cid,
    discover,
    error,
    forget,
    get_thing,
    param,
    several,
    sid,
    state_value,
    values,
)
from tests.api.jsonrpc.rig import RpcClient
from tests.hubtools import TIME_SCALE
from thinggate.integrations.virtual.testbed import (
    CHILD_MOCK,
    DISPLAY_PIN_MOCK,
    GENERIC_IO_MOCK,
    MOCK,
    PARENT_MOCK,
    PUSH_BUTTON_MOCK,
    USER_AND_PASS_MOCK,
)


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
