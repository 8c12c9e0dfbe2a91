"""What the command line changes in the store reaches a running hub's doors at once.

The hub runs in this process (`thinggate.server.start_server`, JSON-RPC over TCP and WebSocket,
Ezlo over ws://, Thinknx over http://, all on free loopback ports); the command line is the real
`thinggate` run as a process against the same data directory. It tells the hub through the
control socket; the store re-read every few seconds (the fallback for a store shared with a
hub elsewhere) is turned off here, so only that path can make these tests pass.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

import thinggate.api.thinknx.key as key_module
import thinggate.core.security.manager as security_module
from tests.api.ezlo.rig import EzloClient
from tests.api.jsonrpc.rig import RpcClient
from tests.command import thinggate
from thinggate.api.ezlo.settings import EzloConfig
from thinggate.api.jsonrpc.settings import JsonRpcConfig
from thinggate.api.thinknx.settings import ThinknxConfig
from thinggate.config import Config, Ports, VirtualConfig
from thinggate.control_socket import send_command, socket_path
from thinggate.core.events import EventBus
from thinggate.core.security import SecurityManager
from thinggate.server import Server, start_server
from thinggate.storage import open_store

PASSWORD = "Secret123"


@pytest.fixture
async def server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Server]:
    monkeypatch.setattr(security_module, "STORE_REREAD_SECONDS", 3600.0)
    monkeypatch.setattr(key_module, "REREAD_SECONDS", 3600.0, raising=False)
    config = Config(
        data_dir=tmp_path,
        bind="127.0.0.1",
        ports=Ports(jsonrpc_tcp=0, jsonrpc_ws=0, ezlo=0, thinknx=0, http=None),
        doors={
            "jsonrpc": JsonRpcConfig(tcp_tls=False, ws_tls=False, zeroconf=False, lockdown_seconds=0.0),
            "ezlo": EzloConfig(tls=False, insecure_access=True),
            "thinknx": ThinknxConfig(tls=False),
        },
        virtual=VirtualConfig(auto_things=True, time_scale=20.0),
    )
    running = await start_server(config)
    try:
        yield running
    finally:
        await running.stop()


async def cli(*args: str, data_dir: Path) -> str:
    """Run `thinggate ARGS` beside the hub (in a thread: the hub in this loop must answer it); its output."""
    finished = await asyncio.to_thread(thinggate, *args, data_dir=data_dir)
    assert finished.returncode == 0, finished.stderr
    assert "could not" not in finished.stderr, finished.stderr
    return finished.stdout


async def rpc_client(server: Server, kind: str = "tcp") -> RpcClient:
    assert server.doors["jsonrpc"] is not None
    if kind == "tcp":
        assert server.doors["jsonrpc"].tcp_port is not None
        return await RpcClient.tcp(server.doors["jsonrpc"].tcp_port)
    assert server.doors["jsonrpc"].ws_port is not None
    return await RpcClient.websocket(server.doors["jsonrpc"].ws_port)


async def ezlo_client(server: Server, user: str, token: str) -> EzloClient:
    assert server.doors["ezlo"] is not None
    client = await EzloClient.connect(f"ws://127.0.0.1:{server.doors['ezlo'].port}")
    answer = await client.login(user, token)
    assert answer["error"] is None, answer
    return client


async def served(client: RpcClient) -> None:
    """The connection is open and answers a call that needs a valid token."""
    assert "things" in await client.call("Integrations.GetThings", within=5)


async def test_a_user_removed_on_the_command_line_loses_every_connection_at_once(
    server: Server, tmp_path: Path
) -> None:
    # Made in the hub: only the removal comes from the command line.
    await server.security.create_user("alice", PASSWORD)
    await server.security.create_user("bob", PASSWORD)
    bob_ezlo_token = await server.security.create_token("bob", "ezlo app")
    alice_ezlo_token = await server.security.create_token("alice", "ezlo app")
    assert server.doors["thinknx"] is not None and server.doors["thinknx"].port is not None
    rest = httpx.AsyncClient(base_url=f"http://127.0.0.1:{server.doors['thinknx'].port}/api/V1")
    bob_tcp, bob_ws, alice_tcp = await rpc_client(server), await rpc_client(server, "ws"), await rpc_client(server)
    clients = [bob_tcp, bob_ws, alice_tcp]
    ezlos: list[EzloClient] = []
    try:
        for client, user in ((bob_tcp, "bob"), (bob_ws, "bob"), (alice_tcp, "alice")):
            await client.login(user, PASSWORD)
            await client.notify("Integrations")
            await served(client)
        bob_ezlo = await ezlo_client(server, "bob", bob_ezlo_token)
        alice_ezlo = await ezlo_client(server, "alice", alice_ezlo_token)
        ezlos += [bob_ezlo, alice_ezlo]
        assert (await bob_ezlo.result("hub.items.list"))["items"]
        assert (await rest.get("system/serverStatus", auth=("bob", PASSWORD))).status_code == 200

        await cli("user", "remove", "bob", data_dir=tmp_path)

        # Closed by the hub, without a request of their own and without waiting for a re-read.
        await bob_tcp.wait_closed()
        await bob_ws.wait_closed()
        await asyncio.wait_for(bob_ezlo.closed.wait(), 5)
        # Thinknx asks for credentials on every request: the next one is refused.
        assert (await rest.get("system/serverStatus", auth=("bob", PASSWORD))).status_code == 403
        # Alice is not touched.
        await served(alice_tcp)
        assert (await alice_ezlo.result("hub.items.list"))["items"]
        assert (await rest.get("system/serverStatus", auth=("alice", PASSWORD))).status_code == 200
    finally:
        for client in clients:
            await client.close()
        for ezlo in ezlos:
            await ezlo.close()
        await rest.aclose()


async def test_a_token_removed_closes_the_connections_using_it_and_no_other(server: Server, tmp_path: Path) -> None:
    await server.security.create_user("alice", PASSWORD)
    admin, doomed, kept = await rpc_client(server), await rpc_client(server, "ws"), await rpc_client(server)
    ezlos: list[EzloClient] = []
    try:
        await admin.login("alice", PASSWORD)
        await doomed.login("alice", PASSWORD)
        await kept.login("alice", PASSWORD)

        # Revoked through a door: the JSON-RPC connection that used it is closed at once.
        doomed_info = server.security.token_info(doomed.token)
        assert doomed_info is not None
        await admin.call("Users.RemoveToken", {"tokenId": str(doomed_info.id)})
        await doomed.wait_closed()
        await served(kept)

        # Tokens made on the command line work at once...
        first_token = (await cli("user", "token", "alice", "--device", "one", data_dir=tmp_path)).strip()
        second_token = (await cli("user", "token", "alice", "--device", "two", data_dir=tmp_path)).strip()
        first_ezlo = await ezlo_client(server, "alice", first_token)
        second_ezlo = await ezlo_client(server, "alice", second_token)
        ezlos += [first_ezlo, second_ezlo]

        # ...and one revoked in the store by another process goes once the hub is told.
        first_info = server.security.token_info(first_token)
        assert first_info is not None
        store = await open_store(None, tmp_path)
        try:
            elsewhere = SecurityManager(store, bus=EventBus())
            await elsewhere.load()
            await elsewhere.remove_token(first_info.id)
        finally:
            await store.close()
        assert await send_command(socket_path(tmp_path), "reload") == "reloaded"
        await asyncio.wait_for(first_ezlo.closed.wait(), 5)
        assert (await second_ezlo.result("hub.items.list"))["items"]
        await served(admin)
        await served(kept)
    finally:
        for client in (admin, doomed, kept):
            await client.close()
        for ezlo in ezlos:
            await ezlo.close()


async def test_a_user_added_on_the_command_line_ends_initial_setup_at_once(server: Server, tmp_path: Path) -> None:
    client = await rpc_client(server)
    try:
        assert (await client.hello())["initialSetupRequired"] is True
        await cli("user", "add", "alice", "--password", PASSWORD, data_dir=tmp_path)
        assert (await client.hello())["initialSetupRequired"] is False
        reply = await client.call(
            "JSONRPC.Authenticate", {"username": "alice", "password": PASSWORD, "deviceName": "tests"}
        )
        assert reply["success"] is True and reply["username"] == "alice"
        client.token = reply["token"]
        await served(client)
    finally:
        await client.close()


async def test_the_integration_key_changed_on_the_command_line_counts_at_once(server: Server, tmp_path: Path) -> None:
    assert server.doors["thinknx"] is not None and server.doors["thinknx"].port is not None
    base = f"http://127.0.0.1:{server.doors['thinknx'].port}"
    async with httpx.AsyncClient(base_url=base) as rest:
        shown = await cli("thinknx", "key", "--enable", data_dir=tmp_path)
        key = shown.split()[0]
        assert (await rest.get(f"/{key}/api/V1/system/serverStatus")).status_code == 200
        await cli("thinknx", "key", "--disable", data_dir=tmp_path)
        assert (await rest.get(f"/{key}/api/V1/system/serverStatus")).status_code == 403


async def test_the_command_line_without_a_running_hub_says_nothing_of_it(tmp_path: Path) -> None:
    # A socket file left by a hub that died: nobody answers on it, and that is not an error.
    socket_path(tmp_path).touch()
    added = await asyncio.to_thread(thinggate, "user", "add", "alice", "--password", PASSWORD, data_dir=tmp_path)
    assert added.returncode == 0 and added.stderr == ""
    removed = await asyncio.to_thread(thinggate, "user", "remove", "alice", data_dir=tmp_path)
    assert removed.returncode == 0 and removed.stderr == ""
