"""A real hub with the demo house serving the dashboard door, and a browser-like client of it.

The hub is started by the composition root with the dashboard on the shared HTTP port, and the
JSON-RPC (plain TCP) and Thinknx (plain HTTP) doors beside it, all on free loopback ports. Users
(cheap argon2): `owner` (Admin), `viewer` (AccessAllThings: sees all, controls nothing) and
`kitchen` (ControlThings on the kitchen's things only).

`WebClient` acts as a page of the hub does: it logs in with the form, keeps the session cookie,
sends the session's CSRF token and the hub's own Origin with its writes, and opens `/live`
(`LiveClient`), whose messages it keeps in order.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import httpx
import pytest
from argon2 import PasswordHasher

from tests.api.jsonrpc.rig import RpcClient
from tests.hubtools import TIME_SCALE, assembled_door, built_door
from thinggate.api.jsonrpc.settings import JsonRpcConfig
from thinggate.api.thinknx.settings import ThinknxConfig
from thinggate.api.web.door import WebDoor
from thinggate.api.web.session import COOKIE
from thinggate.api.web.settings import WebConfig
from thinggate.config import Config, Ports, VirtualConfig
from thinggate.core.model import Thing
from thinggate.core.security import Scope
from thinggate.server import Server, start_server

OWNER = "owner"
VIEWER = "viewer"
KITCHEN = "kitchen"
PASSWORD = "Secret123"


def fast_hasher() -> PasswordHasher:
    """Cheap argon2 parameters: the tests log in many times."""
    return PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)


class LiveClient:
    """The page's live channel: every JSON message the hub sends, in order."""

    def __init__(self, session: aiohttp.ClientSession, socket: aiohttp.ClientWebSocketResponse) -> None:
        self.session = session
        self.socket = socket
        self.messages: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.received: list[dict[str, Any]] = []
        self.closed = asyncio.Event()
        self.close_code: int | None = None
        self._reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        try:
            async for frame in self.socket:
                if frame.type is aiohttp.WSMsgType.TEXT:
                    message = json.loads(frame.data)
                    self.received.append(message)
                    self.messages.put_nowait(message)
        finally:
            self.close_code = self.socket.close_code
            self.closed.set()

    async def message(
        self, kind: str, where: Callable[[dict[str, Any]], bool] | None = None, within: float = 5.0
    ) -> dict[str, Any]:
        """The next message of a type (that matches `where`); those before it are skipped."""
        async with asyncio.timeout(within):
            while True:
                message = await self.messages.get()
                if message["type"] == kind and (where is None or where(message)):
                    return message

    async def wait_closed(self, within: float = 5.0) -> int | None:
        """The close code, once the hub closed the channel."""
        async with asyncio.timeout(within):
            await self.closed.wait()
        return self.close_code

    async def close(self) -> None:
        """Close the channel."""
        await self.socket.close()
        with contextlib.suppress(asyncio.CancelledError):
            await self._reader
        await self.session.close()


class WebClient:
    """A browser on the dashboard: cookie jar, CSRF token, the hub's own Origin."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.http = httpx.AsyncClient(base_url=base, timeout=30)
        self.csrf = ""
        self.lives: list[LiveClient] = []

    @property
    def cookie(self) -> str | None:
        """The session cookie's value, if the hub set one."""
        return self.http.cookies.get(COOKIE)

    async def login(self, username: str = OWNER, password: str = PASSWORD, **headers: str) -> httpx.Response:
        """Post the login form as the page's script does (JSON answer); keeps the CSRF token."""
        answer = await self.http.post(
            "/login",
            data={"username": username, "password": password},
            headers={"Accept": "application/json", "Origin": self.base, **headers},
        )
        if answer.status_code == 200:
            self.csrf = answer.json()["csrfToken"]
        return answer

    async def logged_in(self, username: str = OWNER, password: str = PASSWORD) -> WebClient:
        """Log in, which must succeed."""
        answer = await self.login(username, password)
        assert answer.status_code == 200, answer.text
        return self

    async def get(self, path: str, **kwargs: Any) -> httpx.Response:
        """A read."""
        return await self.http.get(path, **kwargs)

    async def write(
        self, path: str, body: Any = None, *, method: str = "POST", csrf: str | None = None, **headers: str
    ) -> httpx.Response:
        """A write as the page sends it: JSON body, the session's CSRF token, the hub's Origin (unless overridden)."""
        sent = {"Origin": self.base, "X-CSRF-Token": self.csrf if csrf is None else csrf, **headers}
        sent = {name: value for name, value in sent.items() if value != ""}
        kwargs: dict[str, Any] = {}
        if isinstance(body, bytes | str):
            kwargs["content"] = body
            sent.setdefault("Content-Type", "application/json")
        elif body is not None:
            kwargs["json"] = body
        return await self.http.request(method, path, headers=sent, **kwargs)

    async def act(self, thing: Thing, action: str, **params: Any) -> httpx.Response:
        """Run an action of a thing by its name, params by name."""
        action_type = thing.thing_class.action_type_named(action)
        assert action_type is not None, action
        ids = {param.name: str(param.id) for param in action_type.param_types}
        return await self.write(
            f"/web/api/things/{thing.id}/actions/{action_type.id}",
            {"params": {ids[name]: value for name, value in params.items()}},
        )

    async def live(self, origin: str | None = None) -> LiveClient:
        """Open the live channel with the session cookie and the hub's Origin."""
        session = aiohttp.ClientSession()
        headers = {"Origin": self.base if origin is None else origin}
        if self.cookie is not None:
            headers["Cookie"] = f"{COOKIE}={self.cookie}"
        try:
            socket = await session.ws_connect(self.base.replace("http", "ws", 1) + "/live", headers=headers)
        except BaseException:
            await session.close()
            raise
        live = LiveClient(session, socket)
        self.lives.append(live)
        return live

    async def close(self) -> None:
        """Close the channels and the connections."""
        for live in self.lives:
            await live.close()
        await self.http.aclose()


@dataclass
class Rig:
    """A running hub with the dashboard, JSON-RPC and Thinknx doors and three users."""

    server: Server
    clients: list[WebClient] = field(default_factory=list)
    closers: list[Callable[[], Any]] = field(default_factory=list)

    @property
    def base(self) -> str:
        """The dashboard's origin."""
        assert self.server.http is not None
        return f"http://127.0.0.1:{self.server.http.port}"

    @property
    def door(self) -> WebDoor:
        """The dashboard door, as the first request assembled it."""
        return built_door(self.server, "web", WebDoor)

    async def assembled(self) -> WebDoor:
        """The dashboard door, assembled now if no request has done it yet (tests read its sessions and pages)."""
        return await assembled_door(self.server, "web", WebDoor)

    def client(self) -> WebClient:
        """A browser, not logged in."""
        client = WebClient(self.base)
        self.clients.append(client)
        return client

    async def logged_in(self, username: str = OWNER) -> WebClient:
        """A browser logged in as a user."""
        return await self.client().logged_in(username)

    def thing(self, name: str, room: str | None = None) -> Thing:
        """A thing of the demo house by its name (and room)."""
        return next(
            thing
            for thing in self.server.hub.things.values()
            if thing.name == name and (room is None or thing.room == room)
        )

    async def rpc(self, username: str = OWNER) -> RpcClient:
        """A JSON-RPC client logged in, with Integrations notifications on."""
        door = self.server.doors["jsonrpc"]
        client = await RpcClient.tcp(door.tcp_port)  # type: ignore[attr-defined]
        self.closers.append(client.close)
        await client.login(username, PASSWORD)
        await client.notify("Integrations")
        return client

    def thinknx(self, username: str = OWNER) -> httpx.AsyncClient:
        """A Thinknx Integration Kit client with basic credentials."""
        port = self.server.doors["thinknx"].port  # type: ignore[attr-defined]
        client = httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}/api/V1", auth=(username, PASSWORD), timeout=30)
        self.closers.append(client.aclose)
        return client


def web_config(data_dir: Path, *, knx: dict[str, Any] | None = None, **web: Any) -> Config:
    """The dashboard, JSON-RPC (plain TCP) and Thinknx (plain HTTP) on free loopback ports (and a `[knx]` table)."""
    return Config(
        data_dir=data_dir,
        bind="127.0.0.1",
        ports=Ports(jsonrpc_tcp=0, jsonrpc_ws=None, ezlo=None, thinknx=0, http=0),
        doors={
            "jsonrpc": JsonRpcConfig(tcp_tls=False, zeroconf=False, lockdown_seconds=0.0),
            "thinknx": ThinknxConfig(tls=False, rate_limit=""),
            "web": WebConfig(**web),
        },
        virtual=VirtualConfig(enabled=True, time_scale=TIME_SCALE),
        knx=knx,
    )


@asynccontextmanager
async def web_rig(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch, *, knx: dict[str, Any] | None = None, **settings: Any
) -> AsyncIterator[Rig]:
    """A started hub with the demo house, the dashboard and three users; stopped afterwards."""
    monkeypatch.setattr("thinggate.core.security.manager.make_hasher", fast_hasher)
    server = await start_server(web_config(data_dir, knx=knx, **settings), demo=True)
    rig = Rig(server)
    try:
        security = server.security
        await security.create_user(OWNER, PASSWORD)
        await security.create_user(VIEWER, PASSWORD, scopes=Scope.ACCESS_ALL_THINGS)
        kitchen = [thing.id for thing in server.hub.things.values() if thing.room == "Kitchen"]
        await security.create_user(KITCHEN, PASSWORD, scopes=Scope.CONTROL_THINGS, allowed_thing_ids=kitchen)
        await rig.assembled()
        yield rig
    finally:
        for client in rig.clients:
            await client.close()
        for close in rig.closers:
            await close()
        await rig.server.stop()  # the one running now: a test may have restarted it (tests/web/dashboard.py start_hub)


def thing_ids(answer: list[dict[str, Any]]) -> set[uuid.UUID]:
    """The ids of an API answer's things."""
    return {uuid.UUID(thing["id"]) for thing in answer}
