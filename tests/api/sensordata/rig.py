"""A real hub serving the sensor-data door on a free loopback port, and a small iTwin Sensor Data client."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from argon2 import PasswordHasher

from tests.hubtools import TIME_SCALE, assembled_door, built_door
from thinggate.api.ezlo.settings import EzloConfig
from thinggate.api.jsonrpc.settings import JsonRpcConfig
from thinggate.api.sensordata.door import SensorDataDoor
from thinggate.api.sensordata.settings import SensorDataConfig
from thinggate.config import Config, Ports, VirtualConfig
from thinggate.core.credentials import make_oauth_client as make_client
from thinggate.integrations.sensordata.kinds import ENTITY_ID, ENTITY_PARAMS
from thinggate.server import Server, start_server

ADMIN = "admin"
PASSWORD = "Secret123"
ACCEPT = "application/vnd.bentley.itwin-platform.v1+json"
ITWIN = "3fa85f64-5717-4562-b3fc-2c963f66afa6"


def fast_hasher() -> PasswordHasher:
    """Cheap argon2 parameters: the tests make many users."""
    return PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)


class Client:
    """An iTwin Sensor Data client: a client-credentials token, then Bearer on every call."""

    def __init__(self, base: str, client_id: str = "", secret: str = "") -> None:
        self.http = httpx.AsyncClient(base_url=base, timeout=60)
        self.client_id = client_id
        self.secret = secret
        self.token: str | None = None

    async def fetch_token(self, scope: str | None = "itwin-platform") -> dict[str, Any]:
        """Ask /connect/token with the client's form fields; keep the token."""
        form = {"grant_type": "client_credentials", "client_id": self.client_id, "client_secret": self.secret}
        if scope is not None:
            form["scope"] = scope
        answer = await self.http.post("/connect/token", data=form)
        assert answer.status_code == 200, answer.text
        body: dict[str, Any] = answer.json()
        self.token = body["access_token"]
        return body

    def headers(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        """Bearer and the recommended Accept."""
        headers = {"Accept": ACCEPT}
        if self.token is not None:
            headers["Authorization"] = f"Bearer {self.token}"
        headers.update(extra or {})
        return headers

    async def call(self, method: str, path: str, body: Any = None, **kwargs: Any) -> httpx.Response:
        """One request below /sensor-data; `body` sent as JSON (bytes and str as they are)."""
        headers = self.headers(kwargs.pop("headers", None))
        if isinstance(body, bytes | str):
            kwargs["content"] = body
        elif body is not None:
            kwargs["json"] = body
        return await self.http.request(method, f"/sensor-data{path}", headers=headers, **kwargs)

    async def integrate(self, integration: dict[str, Any], itwin: str | None = ITWIN) -> httpx.Response:
        """POST integrations/integrate?iTwinId=..."""
        params = {"iTwinId": itwin} if itwin is not None else {}
        return await self.call("POST", "/integrations/integrate", {"integration": integration}, params=params)

    async def upload(self, observations: list[dict[str, Any]]) -> httpx.Response:
        """POST data/upload."""
        return await self.call("POST", "/data/upload", {"observations": observations})

    async def observations(self, query: dict[str, Any]) -> httpx.Response:
        """POST data/observations."""
        return await self.call("POST", "/data/observations", query)

    async def close(self) -> None:
        """Close the connections."""
        await self.http.aclose()


@dataclass
class Rig:
    """A running hub with the sensor-data door (and the registry, JSON-RPC over plain TCP, Ezlo if asked)."""

    server: Server
    clients: list[Client] = field(default_factory=list)

    @property
    def base(self) -> str:
        """The HTTP origin."""
        assert self.server.http is not None
        return f"http://127.0.0.1:{self.server.http.port}"

    @property
    def door(self) -> SensorDataDoor:
        """The sensor-data door, as the first request assembled it."""
        return built_door(self.server, "sensordata", SensorDataDoor)

    async def assembled_door(self) -> SensorDataDoor:
        """The sensor-data door, assembled now if no request has done it yet."""
        return await assembled_door(self.server, "sensordata", SensorDataDoor)

    def door_thing(self, entity_id: str) -> uuid.UUID:
        """The thing behind one of the door's ids (found by its params, as any door could)."""
        param = next(param.id for param in ENTITY_PARAMS if param.name == ENTITY_ID)
        return next(thing.id for thing in self.server.hub.things.values() if thing.params.get(param) == entity_id)

    def client(self, client_id: str = "", secret: str = "") -> Client:
        """A client (no token yet)."""
        client = Client(self.base, client_id, secret)
        self.clients.append(client)
        return client

    async def user(self, username: str, *, role: str = "ReadWrite", domain: str = "root") -> None:
        """A user made directly in core (one role, a home domain)."""
        await self.server.security.create_user(username, PASSWORD, roles=(role,), home_domain=domain)

    async def domain(self, name: str, parent: str = "root") -> None:
        """A domain made directly in core."""
        await self.server.security.add_domain(name, parent)

    async def oauth_client(self, username: str = ADMIN, scopes: tuple[str, ...] = ()) -> tuple[str, str]:
        """An OAuth client made as `thinggate oauth-client add` makes it (stored, then the hub reloads): id, secret."""
        record, secret = make_client(f"client-of-{username}", username, list(scopes))
        await self.server.store.save_oauth_client(record)
        assert self.server.control_socket is not None
        assert await self.server.control_socket.answer("reload") == "reloaded"
        return record.client_id, secret

    async def connected(self, username: str = ADMIN, scopes: tuple[str, ...] = (), scope: str | None = None) -> Client:
        """A client of a new OAuth client of the user, holding a token."""
        client_id, secret = await self.oauth_client(username, scopes)
        client = self.client(client_id, secret)
        await client.fetch_token(scope)
        return client


def sensordata_config(data_dir: Path, *, ezlo: bool = False, database: str | None = None, **sensordata: Any) -> Config:
    """A configuration with the sensor-data door (and the registry) on HTTP, plain JSON-RPC, Ezlo if asked."""
    return Config(
        data_dir=data_dir,
        database=database,
        bind="127.0.0.1",
        ports=Ports(jsonrpc_tcp=0, jsonrpc_ws=None, ezlo=0 if ezlo else None, thinknx=None, http=0),
        doors={
            "jsonrpc": JsonRpcConfig(tcp_tls=False, zeroconf=False, lockdown_seconds=0.0),
            "ezlo": EzloConfig(tls=False, insecure_access=True, anonymous_access=True, zeroconf=False),
            "sensordata": SensorDataConfig(**sensordata),
        },
        virtual=VirtualConfig(enabled=True, time_scale=TIME_SCALE),
    )


@asynccontextmanager
async def sensordata_rig(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch, *, ezlo: bool = False, database: str | None = None, **settings: Any
) -> AsyncIterator[Rig]:
    """A started hub with the sensor-data door and an admin user; stopped afterwards."""
    monkeypatch.setattr("thinggate.core.security.manager.make_hasher", fast_hasher)
    server = await start_server(sensordata_config(data_dir, ezlo=ezlo, database=database, **settings))
    rig = Rig(server)
    try:
        if not server.security.has_users:  # a restart on the same data keeps the first start's admin
            await server.security.create_user(ADMIN, PASSWORD)
        yield rig
    finally:
        for client in rig.clients:
            await client.close()
        await server.stop()
