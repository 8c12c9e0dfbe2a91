"""Attacks on the listeners from one address; a client from another address is served on every door.

Issue 11, findings 1, 2, 10, 12 and 14, at small scale: the hub runs through the composition root
with every door on a free loopback port and lowered `[limits]`. The attacker connects from
127.0.0.1, the good client from 127.0.0.2 (the whole of 127/8 is this machine).
"""

from __future__ import annotations

import asyncio
import logging
import resource
import socket
import ssl
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from tests.api.ezlo.rig import EzloClient
from tests.api.jsonrpc.rig import RpcClient
from thinggate.api.ezlo.settings import EzloConfig
from thinggate.api.guard import ConnectionGuard, ListenerLimits
from thinggate.api.jsonrpc.settings import JsonRpcConfig
from thinggate.api.thinknx.settings import ThinknxConfig
from thinggate.config import Config, Ports, VirtualConfig
from thinggate.server import Server, start_server

USER, PASSWORD = "owner", "Secret123x"
ATTACKER, GOOD = "127.0.0.1", "127.0.0.2"
LIMITS = ListenerLimits(
    unauthenticated_per_address=4,
    login_seconds=3.0,
    idle_seconds=3.0,
    tls_handshake_seconds=3.0,
    tls_handshakes_per_address=2,
    tls_handshakes=4,
)


def _config(data_dir: Path, *, tls: bool) -> Config:
    return Config(
        data_dir=data_dir,
        bind="127.0.0.1",
        ports=Ports(jsonrpc_tcp=0, jsonrpc_ws=0, ezlo=0, thinknx=0, http=None),
        doors={
            "jsonrpc": JsonRpcConfig(tcp_tls=tls, ws_tls=tls, zeroconf=False),
            "ezlo": EzloConfig(tls=tls, insecure_access=not tls),
            "thinknx": ThinknxConfig(tls=tls, rate_limit=""),
        },
        virtual=VirtualConfig(auto_things=False),
        limits=LIMITS,
    )


async def _running(data_dir: Path, *, tls: bool) -> AsyncIterator[Server]:
    running = await start_server(_config(data_dir, tls=tls))
    await running.security.create_user(USER, PASSWORD)
    try:
        yield running
    finally:
        await running.stop()


@pytest.fixture
async def hub(tmp_path: Path) -> AsyncIterator[Server]:
    async for running in _running(tmp_path, tls=False):
        yield running


@pytest.fixture
async def tls_hub(tmp_path: Path) -> AsyncIterator[Server]:
    async for running in _running(tmp_path, tls=True):
        yield running


def _ports(server: Server) -> dict[str, int]:
    assert (
        server.doors["jsonrpc"] is not None and server.doors["ezlo"] is not None and server.doors["thinknx"] is not None
    )
    assert server.doors["jsonrpc"].tcp_port and server.doors["jsonrpc"].ws_port and server.doors["thinknx"].port
    return {
        "jsonrpc_tcp": server.doors["jsonrpc"].tcp_port,
        "jsonrpc_ws": server.doors["jsonrpc"].ws_port,
        "ezlo": server.doors["ezlo"].port,
        "thinknx": server.doors["thinknx"].port,
    }


def _client_tls() -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


async def _served_everywhere(server: Server, *, tls: bool = False) -> None:
    """A client from GOOD logs in and is served on every door."""
    ports = _ports(server)
    rpc = await RpcClient.tcp(ports["jsonrpc_tcp"], tls=tls, local_address=GOOD)
    try:
        await rpc.login(USER, PASSWORD)
        assert "things" in await rpc.call("Integrations.GetThings")
    finally:
        await rpc.close()
    ws = await RpcClient.websocket(ports["jsonrpc_ws"], tls=tls, local_address=GOOD)
    try:
        await ws.login(USER, PASSWORD)
        assert "things" in await ws.call("Integrations.GetThings")
    finally:
        await ws.close()
    token = await server.security.create_token(USER, "guard test")
    scheme = "wss" if tls else "ws"
    ezlo = await EzloClient.connect(f"{scheme}://127.0.0.1:{ports['ezlo']}", local_address=GOOD)
    try:
        assert (await ezlo.login(USER, token))["error"] is None
        items = await ezlo.call("hub.items.list")
        assert items["error"] is None, items
    finally:
        await ezlo.close()
    transport = httpx.AsyncHTTPTransport(local_address=GOOD, verify=_client_tls() if tls else True)
    base = f"{'https' if tls else 'http'}://127.0.0.1:{ports['thinknx']}"
    async with httpx.AsyncClient(transport=transport, auth=(USER, PASSWORD), timeout=5) as rest:
        answer = await rest.get(f"{base}/api/V1/system/serverStatus")
        assert answer.status_code == 200, answer.text


async def _open(port: int, count: int, first: bytes = b"") -> list[socket.socket]:
    """`count` sockets from ATTACKER to `port`, each having sent `first`."""
    loop = asyncio.get_running_loop()
    sockets = []
    for _ in range(count):
        attacker = socket.socket()
        attacker.setblocking(False)
        attacker.bind((ATTACKER, 0))
        await loop.sock_connect(attacker, ("127.0.0.1", port))
        if first:
            await loop.sock_sendall(attacker, first)
        sockets.append(attacker)
    return sockets


async def _closed_by_hub(attacker: socket.socket, within: float) -> bool:
    """Whether the hub closes this socket (EOF or reset) within `within` seconds (it sends no answer first)."""
    loop = asyncio.get_running_loop()
    try:
        async with asyncio.timeout(within):
            while True:
                data = await loop.sock_recv(attacker, 65536)
                if not data:
                    return True
    except TimeoutError:
        return False
    except (ConnectionResetError, BrokenPipeError):
        return True


async def _count_closed(sockets: list[socket.socket], within: float) -> int:
    results = await asyncio.gather(*[_closed_by_hub(attacker, within) for attacker in sockets])
    return sum(results)


def _close_all(sockets: list[socket.socket]) -> None:
    for attacker in sockets:
        attacker.close()


# -------------------------------------------------------------- finding 1: Hello floods on JSON-RPC


async def test_hello_flood_from_one_address_leaves_every_door_open_to_another(hub: Server) -> None:
    hello = b'{"id":1,"method":"JSONRPC.Hello"}\n'
    sockets = await _open(_ports(hub)["jsonrpc_tcp"], 40, hello)
    try:
        # Past the cap (4 not logged in per address) the hub closes a connection at once.
        assert await _count_closed(sockets, within=1.5) >= 36
        await _served_everywhere(hub)
        # Those admitted said Hello but never logged in: closed at the login deadline (3 s).
        assert await _count_closed(sockets, within=10.0) == 40
        assert hub.guard.pending_count(ATTACKER) == 0
    finally:
        _close_all(sockets)


async def test_a_logged_in_connection_outlives_the_login_deadline(hub: Server) -> None:
    rpc = await RpcClient.tcp(_ports(hub)["jsonrpc_tcp"], local_address=GOOD)
    ws = await RpcClient.websocket(_ports(hub)["jsonrpc_ws"], local_address=GOOD)
    ezlo = await EzloClient.connect(f"ws://127.0.0.1:{_ports(hub)['ezlo']}", local_address=GOOD)
    try:
        await rpc.login(USER, PASSWORD)
        await ws.login(USER, PASSWORD)
        token = await hub.security.create_token(USER, "guard test")
        assert (await ezlo.login(USER, token))["error"] is None
        # Past the login deadline and the HTTP idle timeout: upgraded, logged-in sockets stay.
        await asyncio.sleep(max(LIMITS.login_seconds, LIMITS.idle_seconds) * 2)
        assert "version" in await rpc.call("JSONRPC.Version")
        assert "version" in await ws.call("JSONRPC.Version")
        assert (await ezlo.call("hub.info.get"))["error"] is None
    finally:
        await rpc.close()
        await ws.close()
        await ezlo.close()


# ------------------------------------------------------ finding 2 and 14: half-sent HTTP requests


@pytest.mark.parametrize("door", ["thinknx", "ezlo", "jsonrpc_ws"])
async def test_slowloris_on_an_http_port_is_capped_and_timed_out(hub: Server, door: str) -> None:
    sockets = await _open(_ports(hub)[door], 30, b"G")
    try:
        assert await _count_closed(sockets, within=1.5) >= 26
        await _served_everywhere(hub)
        # The ones admitted never finish their request head: closed at the deadline.
        assert await _count_closed(sockets, within=10.0) == 30
    finally:
        _close_all(sockets)


async def test_upgraded_ezlo_sockets_that_never_log_in_are_closed(hub: Server) -> None:
    url = f"ws://127.0.0.1:{_ports(hub)['ezlo']}"
    silent = [await EzloClient.connect(url, local_address=ATTACKER) for _ in range(4)]
    try:
        # A fifth upgrade from the same address is refused: four wait for their login already.
        with pytest.raises((OSError, Exception)):
            await EzloClient.connect(url, local_address=ATTACKER)
        await _served_everywhere(hub)
        for client in silent:
            await asyncio.wait_for(client.closed.wait(), 10.0)
    finally:
        for client in silent:
            await client.close()


async def test_keep_alive_connections_close_when_idle(hub: Server) -> None:
    port = _ports(hub)["thinknx"]
    reader, writer = await asyncio.open_connection("127.0.0.1", port, local_addr=(GOOD, 0))
    try:
        writer.write(b"GET /api/V1/system/serverStatus?user=owner&pass=Secret123x HTTP/1.1\r\nHost: hub\r\n\r\n")
        head = await reader.readuntil(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 200")
        length = int(next(line for line in head.split(b"\r\n") if line.lower().startswith(b"content-length"))[15:])
        await reader.readexactly(length)
        # Logged in, then silent: the idle (keep-alive) timeout closes it, not an hour later.
        assert await asyncio.wait_for(reader.read(), LIMITS.idle_seconds * 3) == b""
    finally:
        writer.close()


# ------------------------------------------------------------- finding 10: stalled TLS handshakes


@pytest.mark.parametrize("door", ["thinknx", "ezlo", "jsonrpc_tcp", "jsonrpc_ws"])
async def test_stalled_tls_handshakes_are_capped_and_timed_out(tls_hub: Server, door: str) -> None:
    # A ClientHello record header, then nothing: the handshake waits for the rest.
    sockets = await _open(_ports(tls_hub)[door], 12, b"\x16\x03\x01\x02\x00")
    try:
        # Two handshakes per address run at once (and four at most in all); the rest is closed.
        assert await _count_closed(sockets, within=1.5) >= 10
        await _served_everywhere(tls_hub, tls=True)
        assert await _count_closed(sockets, within=10.0) == 12
    finally:
        _close_all(sockets)


# ---------------------------------------------------------------- open files: raised and reserved


def test_the_open_file_limit_is_raised_to_the_hard_limit() -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    lowered = 256 if hard == resource.RLIM_INFINITY else min(256, hard)
    # Lowered first, so that the test shows the raise even where soft already equals hard.
    resource.setrlimit(resource.RLIMIT_NOFILE, (lowered, hard))
    try:
        guard = ConnectionGuard(ListenerLimits(file_reserve=64))
        now_soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
        assert now_soft == (hard if hard != resource.RLIM_INFINITY else 1 << 20)
        assert guard.max_open == min(now_soft, 1 << 20) - 64
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


async def test_at_the_connection_cap_the_oldest_connection_not_logged_in_makes_room() -> None:
    # Many addresses at once (a cap per address does not help): the oldest waiting one goes.
    guard = ConnectionGuard(ListenerLimits(unauthenticated_per_address=10), max_open=16)
    served: list[asyncio.Transport] = []
    arrived = asyncio.Condition()

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        async with arrived:
            served.append(writer.transport)  # type: ignore[arg-type]
            arrived.notify_all()
        await reader.read()

    async def served_count(count: int) -> None:
        async with arrived:
            await asyncio.wait_for(arrived.wait_for(lambda: len(served) >= count), 5)

    from thinggate.api.listener import SniffingListener

    listener = SniffingListener(
        protocol_factory=lambda: asyncio.StreamReaderProtocol(asyncio.StreamReader(), serve),
        host="127.0.0.1",
        port=0,
        tls=None,
        plain=True,
        name="test",
        guard=guard,
    )
    await listener.start()
    loop = asyncio.get_running_loop()
    sockets: list[socket.socket] = []
    try:
        for number in range(16):
            attacker = socket.socket()
            attacker.setblocking(False)
            attacker.bind((f"127.0.1.{number + 1}", 0))
            await loop.sock_connect(attacker, ("127.0.0.1", listener.port))
            await loop.sock_sendall(attacker, b"x")
            sockets.append(attacker)
        await served_count(16)
        newcomer = socket.socket()
        newcomer.setblocking(False)
        newcomer.bind((GOOD, 0))
        await loop.sock_connect(newcomer, ("127.0.0.1", listener.port))
        await loop.sock_sendall(newcomer, b"x")
        sockets.append(newcomer)
        assert await _closed_by_hub(sockets[0], within=2.0)  # the oldest
        await served_count(17)
        assert not served[-1].is_closing()  # the newcomer is served
    finally:
        _close_all(sockets)
        await listener.stop()


# --------------------------------------------------------- finding 12: malformed requests, quietly


@pytest.mark.parametrize("door", ["ezlo", "jsonrpc_ws", "thinknx"])
async def test_malformed_http_requests_log_one_line_and_no_traceback(
    hub: Server, door: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    port = _ports(hub)[door]
    for _ in range(20):
        reader, writer = await asyncio.open_connection("127.0.0.1", port, local_addr=(GOOD, 0))
        writer.write(b"GET / HTTP/1.1\r\nHost: hub\r\nBad Header With Spaces: pass=Secret123x\r\n\r\n")
        answer = await asyncio.wait_for(reader.read(), 5)
        assert answer.split(b"\r\n")[0].endswith(b" 400 Bad Request"), answer
        writer.close()
    assert not [record for record in caplog.records if record.exc_info], "a traceback was logged"
    lines = [record for record in caplog.records if "unreadable request" in record.getMessage()]
    assert len(lines) == 1
    assert "Secret123x" not in caplog.text
