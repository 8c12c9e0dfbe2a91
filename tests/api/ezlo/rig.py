"""A real hub with the demo house behind the Ezlo door, and a WebSocket client that speaks to it."""

from __future__ import annotations

import asyncio
import contextlib
import json
import ssl
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp

from tests.api.jsonrpc.rig import fast_hasher
from thinggate.api.ezlo.door import EzloDoor, EzloSettings
from thinggate.api.ezlo.transport import CIPHERS, EzloServer
from thinggate.api.tls import ensure_self_signed, server_context
from thinggate.core.events import EventBus
from thinggate.core.hub import Hub
from thinggate.core.model import Thing
from thinggate.core.modes import HouseModes
from thinggate.core.security import Scope, SecurityManager
from thinggate.integrations.virtual import VirtualIntegration
from thinggate.integrations.virtual.demo import populate
from thinggate.storage import open_store

ADMIN = "owner"
ADMIN_PASSWORD = "OwnerPW1!"
VIEWER = "viewer"  # READ/VIEW only: no ControlThings scope
SERVER_UUID = uuid.UUID("5e4e6e3f-7f00-4007-bf33-c7591a2b3c4d")
SERIAL = "90000330"
TIME_SCALE = 50.0


class EzloClient:
    """One WebSocket connection: replies matched by request id, broadcasts queued by subclass."""

    def __init__(self, session: aiohttp.ClientSession, socket: aiohttp.ClientWebSocketResponse) -> None:
        self.session = session
        self.socket = socket
        self.replies: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.broadcasts: list[dict[str, Any]] = []
        self.broadcast_arrived = asyncio.Event()
        self.closed = asyncio.Event()
        self.close_code: int | None = None
        self._next_id = 0
        self._reader = asyncio.get_running_loop().create_task(self._read())

    @classmethod
    async def connect(cls, url: str, *, local_address: str | None = None, **options: Any) -> EzloClient:
        """Open a connection (certificate checks off, as every Ezlo client has them), from `local_address`."""
        connector = aiohttp.TCPConnector(local_addr=(local_address, 0)) if local_address else None
        session = aiohttp.ClientSession(connector=connector)
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        try:
            socket = await session.ws_connect(url, ssl=context if url.startswith("wss") else False, **options)
        except BaseException:
            await session.close()
            raise
        return cls(session, socket)

    async def _read(self) -> None:
        try:
            async for message in self.socket:
                if message.type is not aiohttp.WSMsgType.TEXT:
                    continue
                data = json.loads(message.data)
                if data.get("id") == "ui_broadcast":
                    self.broadcasts.append(data)
                    self.broadcast_arrived.set()
                else:
                    await self.replies.put(data)
        finally:
            self.close_code = self.socket.close_code
            self.closed.set()

    async def send(self, payload: dict[str, Any] | str | bytes) -> None:
        """Send a raw frame (an object is JSON-encoded)."""
        if isinstance(payload, bytes):
            await self.socket.send_bytes(payload)
        elif isinstance(payload, str):
            await self.socket.send_str(payload)
        else:
            await self.socket.send_str(json.dumps(payload))

    async def reply(self, within: float = 10.0) -> dict[str, Any]:
        """The next reply (not a broadcast)."""
        return await asyncio.wait_for(self.replies.get(), within)

    async def call(self, method: str, params: Any = None, *, request_id: Any = None, **extra: Any) -> dict[str, Any]:
        """Send a request and answer the whole reply envelope."""
        if request_id is None:
            self._next_id += 1
            request_id = f"t{self._next_id}"
        request: dict[str, Any] = {"method": method, "id": request_id, **extra}
        if params is not None:
            request["params"] = params
        await self.send(request)
        while True:
            answer = await self.reply()
            if answer.get("id") == request_id:
                return answer

    async def result(self, method: str, params: Any = None, **extra: Any) -> Any:
        """Call and answer `result`, failing on an error."""
        answer = await self.call(method, params, **extra)
        assert answer["error"] is None, answer
        return answer["result"]

    async def broadcast(
        self, subclass: str, where: Callable[[dict[str, Any]], bool] = lambda result: True, within: float = 5.0
    ) -> dict[str, Any]:
        """Wait for (and take) the first broadcast of `subclass` whose result matches `where`."""
        deadline = asyncio.get_running_loop().time() + within
        while True:
            for index, message in enumerate(self.broadcasts):
                if message["msg_subclass"] == subclass and where(message["result"]):
                    del self.broadcasts[index]
                    return message
            remaining = deadline - asyncio.get_running_loop().time()
            if remaining <= 0:
                seen = [m["msg_subclass"] for m in self.broadcasts]
                raise AssertionError(f"no {subclass} broadcast within {within} s; saw {seen}")
            self.broadcast_arrived.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.broadcast_arrived.wait(), remaining)

    async def no_broadcast(
        self, subclass: str, where: Callable[[dict[str, Any]], bool] = lambda result: True, within: float = 0.3
    ) -> None:
        """Assert that no broadcast of `subclass` whose result matches `where` arrives for a while."""
        await asyncio.sleep(within)
        assert not [m for m in self.broadcasts if m["msg_subclass"] == subclass and where(m["result"])], self.broadcasts

    async def login(self, user: str, token: str) -> dict[str, Any]:
        """hub.offline.login.ui."""
        return await self.call("hub.offline.login.ui", {"user": user, "token": token})

    async def close(self) -> None:
        """Close the connection and its HTTP session."""
        await self.socket.close()
        await self.session.close()
        self._reader.cancel()
        with contextlib.suppress(BaseException):
            await self._reader


@dataclass
class EzloRig:
    """The hub, its door and server, and tokens for the two test users."""

    hub: Hub
    virtual: VirtualIntegration
    security: SecurityManager
    modes: HouseModes
    door: EzloDoor
    server: EzloServer
    admin_token: str
    viewer_token: str
    tls: bool
    clients: list[EzloClient] = field(default_factory=list)

    @property
    def url(self) -> str:
        """ws:// (or wss:// with TLS) URL of the door."""
        return f"{'wss' if self.tls else 'ws'}://127.0.0.1:{self.server.port}"

    async def connect(self, url: str | None = None, **options: Any) -> EzloClient:
        """A new client (closed with the rig)."""
        client = await EzloClient.connect(url or self.url, **options)
        self.clients.append(client)
        return client

    async def admin(self) -> EzloClient:
        """A client logged in as the owner (WRITE/EDIT)."""
        client = await self.connect()
        answer = await client.login(ADMIN, self.admin_token)
        assert answer["error"] is None, answer
        return client

    async def viewer(self) -> EzloClient:
        """A client logged in as a user with READ/VIEW only."""
        client = await self.connect()
        answer = await client.login(VIEWER, self.viewer_token)
        assert answer["error"] is None, answer
        return client

    def thing(self, name: str, room: str | None = None) -> Thing:
        """The demo thing with this name (and room)."""
        matches = [t for t in self.hub.things.values() if t.name == name and (room is None or t.room == room)]
        assert len(matches) == 1, f"{len(matches)} things named {name!r} in {room!r}"
        return matches[0]


@contextlib.asynccontextmanager
async def ezlo_rig(
    data_dir: Path,
    *,
    tls: bool = False,
    insecure: bool = True,
    anonymous: bool = False,
    ping_seconds: float = 20.0,
    max_frame: int = 1024 * 1024,
) -> AsyncIterator[EzloRig]:
    """A hub with the demo house (SQLite in `data_dir`) and the Ezlo door on a free port."""
    store = await open_store(None, data_dir)
    bus = EventBus()
    security = SecurityManager(store, hasher=fast_hasher(), bus=bus)
    await security.load()
    virtual = VirtualIntegration(time_scale=TIME_SCALE, test_control=True, auto_things=False)
    hub = Hub(store=store, bus=bus)
    hub.register(virtual)
    await hub.start()
    await asyncio.wait_for(hub.wait_until_set_up(), 30)
    await populate(hub, virtual)
    modes = HouseModes(store=store, bus=bus)
    await modes.load()
    if not security.has_users:
        await security.create_user(ADMIN, ADMIN_PASSWORD, scopes=Scope.ADMIN)
        await security.create_user(VIEWER, ADMIN_PASSWORD, scopes=Scope.ACCESS_ALL_THINGS)
    admin_token = await security.create_token(ADMIN, "ezlo tests")
    viewer_token = await security.create_token(VIEWER, "ezlo tests")
    door = EzloDoor(
        hub=hub,
        security=security,
        modes=modes,
        server_uuid=SERVER_UUID,
        settings=EzloSettings(serial=SERIAL, anonymous_access=anonymous, insecure_access=insecure),
    )
    context = None
    if tls:
        files = ensure_self_signed(data_dir / "tls", "ezlo", common_name=SERIAL)
        context = server_context(files, ciphers=CIPHERS)
    server = EzloServer(
        door,
        host="127.0.0.1",
        port=0,
        tls=context,
        insecure=insecure,
        ping_seconds=ping_seconds,
        max_frame=max_frame,
    )
    await server.start()
    rig = EzloRig(hub, virtual, security, modes, door, server, admin_token, viewer_token, tls)
    try:
        yield rig
    finally:
        for client in rig.clients:
            await client.close()
        await server.stop()
        await hub.stop()
        await store.close()


def items_by_name(items: list[dict[str, Any]], device_id: str) -> dict[str, dict[str, Any]]:
    """A device's items by item name."""
    return {item["name"]: item for item in items if item["deviceId"] == device_id}
