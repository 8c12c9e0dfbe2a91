"""nymea's Integrations items 55 and 57: a user restricted to some things sees and controls only those."""

from __future__ import annotations

import pytest

from tests.api.jsonrpc.integrations.helpers import (
    GUEST,
    GUEST_PASSWORD,
    HTTPPORT,
    MOCK_ID,
    NO_ERROR,
    PLUGIN_ID,
    SETTING1,
    add_mock,
    aid,
    bare,
    cid,
    collect,
    control,
    error,
    forget,
    get_thing,
    get_things,
    param,
    sid,
    state_of,
)
from tests.api.jsonrpc.rig import Rig, RpcClient
from thinggate.integrations.virtual.testbed import MOCK


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
