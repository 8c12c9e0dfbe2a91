"""A real nymea JSON-RPC client and a running door for tests (real sockets, real storage)."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import ssl
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
from argon2 import PasswordHasher

from tests.hubtools import TIME_SCALE
from thinggate.api.guard import ConnectionGuard, ListenerLimits
from thinggate.api.jsonrpc import JsonRpcDoor, JsonRpcServer, JsonRpcSettings, Listener
from thinggate.api.tls import ensure_self_signed, server_context
from thinggate.core.events import EventBus
from thinggate.core.hub import Hub, Timeouts
from thinggate.core.security import SecurityManager
from thinggate.integrations.virtual import VirtualIntegration
from thinggate.storage import open_store

ADMIN = "dummy"
ADMIN_PASSWORD = "DummyPW1!"
SERVER_UUID = "8c2d4d70-8c88-4d0c-9a1c-0d1f2f4b1a11"


class Closed(Exception):
    """The server closed the connection."""


class RpcClient:
    """A nymea JSON-RPC client over TCP or WebSocket that keeps replies and notifications apart."""

    def __init__(self) -> None:
        self.token = ""
        self.replies: dict[int, asyncio.Future[dict[str, Any]]] = {}
        self.notifications: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.raw: list[bytes] = []
        self.closed = asyncio.Event()
        self._ids = itertools.count(1)
        self._reader_task: asyncio.Task[None] | None = None
        self._writer: asyncio.StreamWriter | None = None
        self._session: aiohttp.ClientSession | None = None
        self._socket: aiohttp.ClientWebSocketResponse | None = None
        self._buffer = b""
        self.unmatched: list[dict[str, Any]] = []  # replies nobody waited for (e.g. to raw garbage)

    @classmethod
    async def tcp(
        cls, port: int, *, tls: bool = False, host: str = "127.0.0.1", local_address: str | None = None
    ) -> RpcClient:
        """Connect over TCP (nymea:// or nymeas://), from `local_address` when given."""
        client = cls()
        reader, client._writer = await asyncio.open_connection(
            host, port, ssl=_client_tls() if tls else None, local_addr=(local_address, 0) if local_address else None
        )
        client._reader_task = asyncio.create_task(client._read_tcp(reader))
        return client

    @classmethod
    async def websocket(
        cls, port: int, *, tls: bool = False, host: str = "127.0.0.1", local_address: str | None = None
    ) -> RpcClient:
        """Connect over WebSocket (ws:// or wss://), from `local_address` when given."""
        client = cls()
        connector = aiohttp.TCPConnector(local_addr=(local_address, 0)) if local_address else None
        client._session = aiohttp.ClientSession(connector=connector)
        scheme = "wss" if tls else "ws"
        client._socket = await client._session.ws_connect(
            f"{scheme}://{host}:{port}/", ssl=_client_tls() if tls else False, max_msg_size=0
        )
        client._reader_task = asyncio.create_task(client._read_ws())
        return client

    async def _read_tcp(self, reader: asyncio.StreamReader) -> None:
        try:
            while data := await reader.read(65536):
                self._feed(data)
        except (ConnectionError, ssl.SSLError):
            pass
        finally:
            self._gone()

    async def _read_ws(self) -> None:
        assert self._socket is not None
        try:
            async for frame in self._socket:
                if frame.type is aiohttp.WSMsgType.TEXT:
                    assert frame.data.endswith("\n"), "nymea ends WebSocket frames with a newline too"
                    self._feed(frame.data.encode())
        finally:
            self._gone()

    def _feed(self, data: bytes) -> None:
        self._buffer += data
        *lines, self._buffer = self._buffer.split(b"\n")
        for line in lines:
            if not line:
                continue
            self.raw.append(line)
            message = json.loads(line)
            if "notification" in message:
                self.notifications.put_nowait(message)
            else:
                future = self.replies.pop(message.get("id"), None)
                if future is None:
                    self.unmatched.append(message)
                elif not future.done():
                    future.set_result(message)

    def _gone(self) -> None:
        self.closed.set()
        for future in self.replies.values():
            if not future.done():
                future.set_exception(Closed())

    async def send_raw(self, data: bytes | str) -> None:
        """Send bytes exactly as given."""
        payload = data.encode() if isinstance(data, str) else data
        if self._writer is not None:
            self._writer.write(payload)
            await self._writer.drain()
        else:
            assert self._socket is not None
            await self._socket.send_str(payload.decode())

    def expect(self, request_id: int) -> asyncio.Future[dict[str, Any]]:
        """A future for the reply with this id (register before sending raw requests)."""
        future = asyncio.get_running_loop().create_future()
        self.replies[request_id] = future
        return future

    async def request(
        self,
        method: str,
        params: dict[str, Any] | None = None,
        *,
        token: str | None = None,
        within: float = 10.0,
    ) -> dict[str, Any]:
        """Send a request and return the whole reply ({id, status, params|error})."""
        request_id = next(self._ids)
        message: dict[str, Any] = {"id": request_id, "method": method}
        if params is not None:
            message["params"] = params
        used = self.token if token is None else token
        if used:
            message["token"] = used
        future = self.expect(request_id)
        await self.send_raw(json.dumps(message) + "\n")
        return await asyncio.wait_for(future, within)

    async def call(self, method: str, params: dict[str, Any] | None = None, **kwargs: Any) -> dict[str, Any]:
        """A request that must succeed; returns its params."""
        reply = await self.request(method, params, **kwargs)
        assert reply["status"] == "success", reply
        params_out: dict[str, Any] = reply["params"]
        return params_out

    async def hello(self, **params: Any) -> dict[str, Any]:
        """JSONRPC.Hello with the client's token."""
        return await self.call("JSONRPC.Hello", params)

    async def login(self, username: str = ADMIN, password: str = ADMIN_PASSWORD) -> str:
        """Hello, then Authenticate; the client uses the token from then on."""
        await self.hello()
        reply = await self.call(
            "JSONRPC.Authenticate", {"username": username, "password": password, "deviceName": "tests"}
        )
        assert reply["success"] is True, reply
        self.token = reply["token"]
        return self.token

    async def notify(self, *namespaces: str) -> None:
        """Turn on notifications of these namespaces."""
        await self.call("JSONRPC.SetNotificationStatus", {"namespaces": list(namespaces)})

    async def notification(
        self, name: str, within: float = 5.0, where: Callable[[dict[str, Any]], bool] | None = None
    ) -> dict[str, Any]:
        """The next notification called `name` (others before it are skipped); its params."""
        async with asyncio.timeout(within):
            while True:
                message = await self.notifications.get()
                if message["notification"] == name and (where is None or where(message["params"])):
                    params: dict[str, Any] = message["params"]
                    return params

    async def no_notification(self, within: float = 0.5) -> None:
        """Assert that nothing at all arrives for a while."""
        with contextlib.suppress(TimeoutError):
            message = await asyncio.wait_for(self.notifications.get(), within)
            raise AssertionError(f"unexpected notification {message}")

    async def wait_closed(self, within: float = 5.0) -> None:
        """Wait until the server drops the connection."""
        await asyncio.wait_for(self.closed.wait(), within)

    async def close(self) -> None:
        """Hang up."""
        if self._writer is not None:
            self._writer.close()
            with contextlib.suppress(Exception):
                await self._writer.wait_closed()
        if self._socket is not None:
            await self._socket.close()
        if self._session is not None:
            await self._session.close()
        if self._reader_task is not None:
            self._reader_task.cancel()
            with contextlib.suppress(BaseException):
                await self._reader_task


def _client_tls() -> ssl.SSLContext:
    # A self-signed server certificate: clients pin it (nymea-app pins by server uuid).
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


def fast_hasher() -> PasswordHasher:
    """Cheap argon2 parameters so that tests spend their time on behaviour, not hashing."""
    return PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)


@dataclass
class Rig:
    """A running hub behind a running JSON-RPC door."""

    hub: Hub
    virtual: VirtualIntegration
    security: SecurityManager
    door: JsonRpcDoor
    server: JsonRpcServer
    tls: bool
    clients: list[RpcClient] = field(default_factory=list)

    @property
    def tcp_port(self) -> int:
        """The TCP listener's port."""
        assert self.server.tcp_port is not None
        return self.server.tcp_port

    @property
    def ws_port(self) -> int:
        """The WebSocket listener's port."""
        assert self.server.ws_port is not None
        return self.server.ws_port

    async def connect(self, kind: str = "tcp", *, local_address: str | None = None) -> RpcClient:
        """A connected client that has not said Hello (over TCP from `local_address` if given)."""
        if kind == "tcp":
            client = await RpcClient.tcp(self.tcp_port, tls=self.tls, local_address=local_address)
        else:
            client = await RpcClient.websocket(self.ws_port, tls=self.tls)
        self.clients.append(client)
        return client

    async def ensure_admin(self) -> None:
        """The test admin user (nymea's tests call it dummy)."""
        if not self.security.has_users:
            await self.security.create_user(ADMIN, ADMIN_PASSWORD)

    async def admin(self, kind: str = "tcp") -> RpcClient:
        """A client logged in as the admin user."""
        await self.ensure_admin()
        client = await self.connect(kind)
        await client.login()
        return client


@asynccontextmanager
async def jsonrpc_rig(
    data_dir: Path,
    *,
    authentication: bool = True,
    tls: bool = False,
    lockdown_seconds: float = 0.05,
    hello_timeout: float = 10.0,
    auto_things: bool = True,
    timeouts: Timeouts | None = None,
    max_connections: int = 1000,
    limits: ListenerLimits | None = None,
    push_button_interval: float = 0.0,
    push_button_max_waiting: int = 16,
) -> AsyncIterator[Rig]:
    """A hub (SQLite in `data_dir`), its users and the JSON-RPC door on free TCP and WS ports."""
    import uuid

    store = await open_store(None, data_dir)
    bus = EventBus()
    security = SecurityManager(store, hasher=fast_hasher(), bus=bus)
    await security.load()
    virtual = VirtualIntegration(time_scale=TIME_SCALE, test_control=True, auto_things=auto_things)
    hub = Hub(store=store, bus=bus, timeouts=timeouts)
    hub.register(virtual)
    await hub.start()
    await asyncio.wait_for(hub.wait_until_set_up(), 30)
    door = JsonRpcDoor(
        hub=hub,
        security=security,
        server_uuid=uuid.UUID(SERVER_UUID),
        settings=JsonRpcSettings(
            lockdown_seconds=lockdown_seconds,
            hello_timeout=hello_timeout,
            max_connections=max_connections,
            check_replies=True,
            push_button_interval=push_button_interval,
            push_button_max_waiting=push_button_max_waiting,
        ),
    )
    context = server_context(ensure_self_signed(data_dir / "tls", "jsonrpc", common_name="thinggate")) if tls else None
    server = JsonRpcServer(
        door,
        host="127.0.0.1",
        tcp=Listener(0, context, authentication),
        websocket=Listener(0, context, authentication),
        guard=ConnectionGuard(limits),
    )
    await server.start()
    rig = Rig(hub=hub, virtual=virtual, security=security, door=door, server=server, tls=tls)
    try:
        yield rig
    finally:
        for client in rig.clients:
            await client.close()
        await server.stop()
        await hub.stop()
        await store.close()
