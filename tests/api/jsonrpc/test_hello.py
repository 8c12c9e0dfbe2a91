"""nymea's JSONRPC.Hello (§6.1-2) and the handshake every connection starts with (§3.1)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

import thinggate
from tests.api.jsonrpc.protocol import HANDSHAKE_REQUIRED, alive, cid, until
from tests.api.jsonrpc.rig import ADMIN, ADMIN_PASSWORD, SERVER_UUID, Rig, jsonrpc_rig
from thinggate.api.jsonrpc import JsonRpcSettings
from thinggate.api.jsonrpc.framing import MAX_BUFFER
from thinggate.integrations.virtual.testbed import AUTO_MOCK, MOCK


def test_defaults_are_nymeas_timings_and_limits() -> None:
    settings = JsonRpcSettings()
    assert settings.hello_timeout == 10.0  # §3.1
    assert settings.lockdown_seconds == 3.0  # §3.2
    assert MAX_BUFFER == 1024 * 1024  # §1


async def test_hello_without_token_reports_the_nymea_handshake_fields(rig: Rig) -> None:
    await rig.ensure_admin()
    client = await rig.connect()
    hello = await client.hello()
    assert hello["server"] == "nymea"
    assert hello["name"] == rig.door.settings.server_name
    assert hello["version"] == thinggate.__version__
    assert hello["uuid"] == "{" + SERVER_UUID + "}"
    assert hello["locale"] == "en_US"
    assert hello["language"] == "en_US"
    assert hello["protocol version"] == "9.0"
    assert hello["initialSetupRequired"] is False
    assert hello["authenticationRequired"] is True
    assert isinstance(hello["pushButtonAuthAvailable"], bool)
    # Without a token, nothing is said about a user.
    assert "authenticated" not in hello and "username" not in hello and "permissionScopes" not in hello
    # Hello may be repeated at any time.
    assert (await client.hello())["uuid"] == hello["uuid"]


async def test_hello_with_a_token_reports_the_user_and_its_scopes(rig: Rig) -> None:
    client = await rig.admin()
    hello = await client.hello()
    assert hello["authenticated"] is True
    assert hello["username"] == ADMIN
    assert "PermissionScopeAdmin" in hello["permissionScopes"]
    version = await client.call("JSONRPC.Version")
    assert version["version"] == hello["version"] == thinggate.__version__


async def test_hello_on_a_transport_without_authentication_requires_no_setup(tmp_path: Path) -> None:
    async with jsonrpc_rig(tmp_path, authentication=False) as rig:
        client = await rig.connect()
        hello = await client.hello()
        # No user exists, but initial setup is only required where authentication is on.
        assert hello["initialSetupRequired"] is False
        assert hello["authenticationRequired"] is False
        await client.call("Integrations.GetThings")


async def test_hello_locale_de_DE_translates_thing_class_display_names(rig: Rig) -> None:
    german = await rig.admin()
    english = await rig.admin()

    def names(reply: dict[str, Any]) -> dict[str, str]:
        return {cid(c["id"]): c["displayName"] for c in reply["thingClasses"]}

    before = names(await german.call("Integrations.GetThingClasses"))
    assert before[str(MOCK.id)] == "Virtual test thing"
    assert before[str(AUTO_MOCK.id)] == "Virtual auto thing"

    hello = await german.hello(locale="de_DE")
    assert hello["locale"] == "de_DE"
    assert hello["language"] == "de_DE"
    translated = names(await german.call("Integrations.GetThingClasses"))
    assert translated[str(MOCK.id)] == "Virtuelles Testgerät"
    assert translated[str(AUTO_MOCK.id)] == "Virtuelles Gerät (automatisch erstellt)"

    # The locale belongs to the connection.
    assert names(await english.call("Integrations.GetThingClasses")) == before
    # de_AT is German too (nymea's integration tests use it).
    assert (await german.hello(locale="de_AT"))["locale"] == "de_AT"
    assert names(await german.call("Integrations.GetThingClasses"))[str(MOCK.id)] == "Virtuelles Testgerät"
    # And back.
    await german.hello(locale="en_US")
    assert names(await german.call("Integrations.GetThingClasses")) == before


@pytest.mark.parametrize("kind", ["tcp", "ws"])
async def test_client_that_never_says_hello_is_dropped_after_the_hello_timeout(tmp_path: Path, kind: str) -> None:
    async with jsonrpc_rig(tmp_path, hello_timeout=0.3) as rig:
        await rig.ensure_admin()
        polite = await rig.admin(kind)
        silent = await rig.connect(kind)
        await silent.wait_closed(within=3)
        assert silent.raw == []
        # A client that said Hello in time stays past the timeout.
        await asyncio.sleep(0.4)
        await alive(polite)
        await until(lambda: len(rig.door.sessions) == 1, what="the silent session to go")


@pytest.mark.parametrize("method", ["Integrations.GetThings", "JSONRPC.Introspect", "JSONRPC.Authenticate"])
async def test_call_before_hello_gets_handshake_required_and_a_disconnect(rig: Rig, method: str) -> None:
    await rig.ensure_admin()
    client = await rig.connect()
    params = {"username": ADMIN, "password": ADMIN_PASSWORD, "deviceName": "x"} if "Auth" in method else None
    reply = await client.request(method, params)
    assert reply == {"id": reply["id"], "status": "error", "error": HANDSHAKE_REQUIRED}
    await client.wait_closed()
