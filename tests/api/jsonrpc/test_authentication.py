"""nymea's initial setup (§6.9) and tokens (§6.10-12): Authenticate, lockdown, removed and revoked tokens."""

from __future__ import annotations

import asyncio
from pathlib import Path

from tests.api.jsonrpc.protocol import (
    INITIAL_SETUP_REQUIRED,
    INVALID_TOKEN,
    NO_ERROR,
    TOKEN_CHANGED,
    alive,
    auto_thing,
    cid,
    control,
    hello_from,
    refused,
    wait_lockdown,
)
from tests.api.jsonrpc.rig import ADMIN_PASSWORD, Rig, jsonrpc_rig


async def test_initial_setup_flow(rig: Rig) -> None:
    assert not rig.security.has_users
    # Anything but Hello, CreateUser and RequestPushButtonAuth is refused, with a disconnect.
    for method in ("JSONRPC.Introspect", "Integrations.GetThings"):
        client = await rig.connect()
        hello = await client.hello()
        assert hello["initialSetupRequired"] is True
        assert hello["authenticationRequired"] is True
        reply = await client.request(method)
        assert reply == {"id": reply["id"], "status": "unauthorized", "error": INITIAL_SETUP_REQUIRED}
        await client.wait_closed()
        await wait_lockdown()

    client = await rig.connect()
    await client.hello()
    bad_name = await client.request("JSONRPC.CreateUser", {"username": "a", "password": ADMIN_PASSWORD})
    assert bad_name["status"] == "success"
    assert bad_name["params"] == {"error": "UserErrorInvalidUserId"}
    bad_password = await client.request("JSONRPC.CreateUser", {"username": "Dummy", "password": "weak"})
    assert bad_password["status"] == "success"
    assert bad_password["params"] == {"error": "UserErrorBadPassword"}
    assert not rig.security.has_users
    assert (await client.hello())["initialSetupRequired"] is True

    created = await client.call("JSONRPC.CreateUser", {"username": "Dummy", "password": ADMIN_PASSWORD})
    assert created == {"error": "UserErrorNoError"}
    assert (await client.hello())["initialSetupRequired"] is False
    # The new user is an admin who can log in (the user name in lower case).
    token = await client.login("dummy", ADMIN_PASSWORD)
    assert token
    assert (await client.call("Users.GetUserInfo"))["userInfo"]["username"].lower() == "dummy"

    # Once a user exists, CreateUser without a token is unauthorized.
    late = await rig.connect()
    await late.hello()
    reply = await late.request("JSONRPC.CreateUser", {"username": "Other", "password": ADMIN_PASSWORD})
    assert reply == {"id": reply["id"], "status": "unauthorized", "error": INVALID_TOKEN}
    await late.wait_closed()
    assert [u.username for u in rig.security.users()] == ["dummy"]


async def test_authenticate_right_and_wrong(tmp_path: Path) -> None:
    async with jsonrpc_rig(tmp_path, lockdown_seconds=1.0) as rig:
        await rig.security.create_user("Dummy", ADMIN_PASSWORD)
        for username in ("dummy", "DUMMY"):
            client = await rig.connect()
            await client.hello()
            reply = await client.call(
                "JSONRPC.Authenticate", {"username": username, "password": ADMIN_PASSWORD, "deviceName": "tests"}
            )
            assert reply["success"] is True
            assert isinstance(reply["token"], str) and reply["token"]
            client.token = reply["token"]
            assert (await client.call("Integrations.GetThings"))["thingError"] == NO_ERROR

        client = await rig.connect()
        await client.hello()
        wrong_password = await client.call(
            "JSONRPC.Authenticate", {"username": "dummy", "password": "WrongPW1!", "deviceName": "tests"}
        )
        assert wrong_password == {"success": False}
        # Still connected: Hello needs no token.
        assert (await client.hello())["initialSetupRequired"] is False
        # A second failure during the lockdown: success:false, then the connection is dropped.
        wrong_user = await client.call(
            "JSONRPC.Authenticate", {"username": "nobody", "password": ADMIN_PASSWORD, "deviceName": "tests"}
        )
        assert wrong_user == {"success": False}
        await client.wait_closed()


async def test_token_mismatch_is_unauthorized_drops_and_locks_down_new_connections(tmp_path: Path) -> None:
    lockdown = 1.0
    async with jsonrpc_rig(tmp_path, lockdown_seconds=lockdown) as rig:
        bystander = await rig.admin()
        client = await rig.admin()
        reply = await client.request("Integrations.GetThings", token="not-the-token-from-hello")
        assert reply == {"id": reply["id"], "status": "unauthorized", "error": TOKEN_CHANGED}
        await client.wait_closed()
        started = asyncio.get_running_loop().time()

        # New connections from this peer are refused during the lockdown...
        await refused(await rig.connect("tcp"))
        await refused(await rig.connect("ws"))
        # ...while connections that were already there go on,
        await alive(bystander)
        # and other peers are not locked out (the lockdown is per peer address).
        assert (await hello_from("127.0.0.2", rig.tcp_port))["status"] == "success"

        left = lockdown - (asyncio.get_running_loop().time() - started)
        await asyncio.sleep(max(0.0, left) + 0.1)
        after = await rig.admin()
        await alive(after)

        # A request without a token after a Hello with one is a mismatch too (absent == "").
        reply = await after.request("JSONRPC.KeepAlive", {"sessionId": "x"}, token="")
        assert reply == {"id": reply["id"], "status": "unauthorized", "error": TOKEN_CHANGED}
        await after.wait_closed()


async def test_removed_token_is_refused_in_hello_and_calls(rig: Rig) -> None:
    admin = await rig.admin()
    victim = await rig.admin()
    token = victim.token
    info = rig.security.token_info(token)
    assert info is not None
    tokens = await admin.call("Users.GetTokens")
    assert cid(info.id) in {cid(t["id"]) for t in tokens["tokenInfoList"]}
    await victim.close()

    removed = await admin.call("Users.RemoveToken", {"tokenId": str(info.id)})
    assert removed == {"error": "UserErrorNoError"}

    client = await rig.connect()
    client.token = token
    hello = await client.hello()
    assert hello["authenticated"] is False
    assert "username" not in hello
    await wait_lockdown()  # the bad token in Hello started a lockdown
    reply = await client.request("Integrations.GetThings")
    assert reply == {"id": reply["id"], "status": "unauthorized", "error": INVALID_TOKEN}
    await client.wait_closed()
    await alive(admin)


async def test_revoking_a_token_in_use_closes_that_connection_at_once(rig: Rig) -> None:
    admin = await rig.admin()
    victim = await rig.admin("ws")
    bystander = await rig.admin()  # the same user with another token keeps its connection
    await victim.notify("Integrations")
    thing_id = auto_thing(rig)
    control(rig).set_state(thing_id, "int", 11)
    assert (await victim.notification("Integrations.StateChanged"))["value"] == 11

    info = rig.security.token_info(victim.token)
    assert info is not None
    assert await admin.call("Users.RemoveToken", {"tokenId": str(info.id)}) == {"error": "UserErrorNoError"}
    await victim.wait_closed()  # without a call of its own

    await admin.notify("Integrations")
    control(rig).set_state(thing_id, "int", 12)
    assert (await admin.notification("Integrations.StateChanged"))["value"] == 12
    await victim.no_notification(0.1)
    await alive(admin)
    await alive(bystander)


async def test_a_client_revoking_its_own_token_gets_the_reply_then_is_closed(rig: Rig) -> None:
    client = await rig.admin()
    info = rig.security.token_info(client.token)
    assert info is not None
    assert await client.call("Users.RemoveToken", {"tokenId": str(info.id)}) == {"error": "UserErrorNoError"}
    await client.wait_closed()
