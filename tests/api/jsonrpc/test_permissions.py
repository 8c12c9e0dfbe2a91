"""Permissions (§3.3, §6.55-57): a scope missing, things a user may not see, switching users by token."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from typing import Any

from tests.api.jsonrpc.protocol import (
    GUEST,
    NO_ERROR,
    PERMISSION_DENIED,
    TOKEN_CHANGED,
    add_mock,
    cid,
    control,
    login_guest,
    notification_ids,
)
from tests.api.jsonrpc.rig import ADMIN, Rig
from tests.hubtools import param_id, state_id
from thinggate.core.security import Scope
from thinggate.integrations.virtual import PLUGIN
from thinggate.integrations.virtual.testbed import MOCK


async def test_user_without_the_scope_gets_permission_denied_and_stays_connected(rig: Rig) -> None:
    await rig.ensure_admin()
    guest = await login_guest(rig, scopes=Scope.CONTROL_THINGS)
    denied = [
        ("Users.GetUsers", None),
        ("Users.CreateUser", {"username": "intruder", "password": "IntruderPW1!"}),
        ("JSONRPC.CreateUser", {"username": "intruder", "password": "IntruderPW1!"}),
        (
            "Integrations.AddThing",
            {
                "name": "x",
                "thingClassId": str(MOCK.id),
                "thingParams": [{"paramTypeId": str(param_id(MOCK, "httpport")), "value": 6001}],
            },
        ),
        ("Integrations.SetPluginConfiguration", {"pluginId": str(PLUGIN.id), "configuration": []}),
    ]
    for method, params in denied:
        reply = await guest.request(method, params)
        assert reply == {"id": reply["id"], "status": "error", "error": PERMISSION_DENIED}, method
    assert not guest.closed.is_set()
    assert (await guest.call("Integrations.GetThings"))["thingError"] == NO_ERROR
    assert [u.username for u in rig.security.users()] == [ADMIN, GUEST]

    # ConfigureThings (with AccessAllThings) may add things but is still not an admin.
    await rig.security.create_user(
        "installer", "InstallerPW1!", scopes=Scope.CONFIGURE_THINGS | Scope.ACCESS_ALL_THINGS
    )
    installer = await rig.connect()
    await installer.login("installer", "InstallerPW1!")
    reply = await installer.request("Users.GetUsers")
    assert reply == {"id": reply["id"], "status": "error", "error": PERMISSION_DENIED}
    added = await installer.call(
        "Integrations.AddThing",
        {
            "name": "x",
            "thingClassId": str(MOCK.id),
            "thingParams": [{"paramTypeId": str(param_id(MOCK, "httpport")), "value": 6002}],
        },
    )
    assert added["thingError"] == NO_ERROR


async def test_restricted_user_sees_only_its_things_beside_an_admin(rig: Rig) -> None:
    admin = await rig.admin()
    hidden = await add_mock(rig, 6011, "A")
    allowed = await add_mock(rig, 6012, "B")
    guest = await login_guest(rig, allowed=[allowed])
    await admin.notify("Integrations")
    await guest.notify("Integrations")

    things = await guest.call("Integrations.GetThings")
    assert [cid(t["id"]) for t in things["things"]] == [str(allowed)]
    assert {cid(t["id"]) for t in (await admin.call("Integrations.GetThings"))["things"]} >= {
        str(hidden),
        str(allowed),
    }
    int_state = str(state_id(MOCK, "int"))
    not_found = {"thingError": "ThingErrorThingNotFound"}
    for method, params in (
        ("Integrations.GetThings", {"thingId": str(hidden)}),
        ("Integrations.GetStateValue", {"thingId": str(hidden), "stateTypeId": int_state}),
        ("Integrations.GetStateValues", {"thingId": str(hidden)}),
        ("Integrations.BrowseThing", {"thingId": str(hidden)}),
        ("Integrations.GetBrowserItem", {"thingId": str(hidden)}),
    ):
        reply = await guest.call(method, params)
        assert reply.get("thingError") == not_found["thingError"], (method, reply)
    assert (await guest.call("Integrations.GetThings", {"thingId": str(allowed)}))["thingError"] == NO_ERROR

    # Both connected at once: the admin hears about both things, the guest only about its own.
    control(rig).set_state(hidden, "int", 77)
    control(rig).set_state(allowed, "int", 78)

    def about(thing_id: uuid.UUID) -> Callable[[dict[str, Any]], bool]:
        return lambda p: cid(p["thingId"]) == str(thing_id) and cid(p["stateTypeId"]) == int_state

    assert (await admin.notification("Integrations.StateChanged", where=about(hidden)))["value"] == 77
    assert (await admin.notification("Integrations.StateChanged", where=about(allowed)))["value"] == 78
    heard = await guest.notification("Integrations.StateChanged")
    assert cid(heard["thingId"]) == str(allowed) and heard["value"] == 78
    await asyncio.sleep(0.2)
    while not guest.notifications.empty():
        message = guest.notifications.get_nowait()
        if "thingId" in message["params"]:
            assert cid(message["params"]["thingId"]) == str(allowed), message

    # Notification ids come from one counter on the server: the same notification has the same id
    # on both connections, and ids only grow.
    admin_ids = notification_ids(admin)
    guest_ids = notification_ids(guest)
    assert admin_ids == sorted(set(admin_ids)) and guest_ids == sorted(set(guest_ids))
    assert set(guest_ids) <= set(admin_ids)


async def test_hello_with_another_token_switches_the_connection_to_that_user(rig: Rig) -> None:
    client = await rig.admin()
    guest = await login_guest(rig)
    admin_token = client.token
    client.token = guest.token
    hello = await client.hello()
    assert hello["authenticated"] is True and hello["username"] == GUEST
    assert hello["permissionScopes"] == ["PermissionScopeControlThings"]
    reply = await client.request("Users.GetUsers")
    assert reply == {"id": reply["id"], "status": "error", "error": PERMISSION_DENIED}
    # The admin token is no longer this connection's token: using it is a mismatch.
    reply = await client.request("Users.GetUsers", token=admin_token)
    assert reply == {"id": reply["id"], "status": "unauthorized", "error": TOKEN_CHANGED}
    await client.wait_closed()
