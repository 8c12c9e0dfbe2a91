"""A real hub serving the registry door on a free loopback port, and a small MIC REST client for tests."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from argon2 import PasswordHasher

from tests.hubtools import TIME_SCALE, built_door
from thinggate.api.deferred import DeferredDoor
from thinggate.api.ezlo.settings import EzloConfig
from thinggate.api.jsonrpc.settings import JsonRpcConfig
from thinggate.api.registry.door import RegistryDoor
from thinggate.api.registry.settings import RegistryConfig
from thinggate.api.sensordata.settings import SensorDataConfig
from thinggate.api.thinknx.settings import ThinknxConfig
from thinggate.api.web.settings import WebConfig
from thinggate.config import Config, Ports, VirtualConfig
from thinggate.mqtt.settings import MqttConfig
from thinggate.server import Server, start_server

ADMIN = "admin"
PASSWORD = "Secret123"
STACK = "thinggate"


def fast_hasher() -> PasswordHasher:
    """Cheap argon2 parameters: the tests log in many users."""
    return PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)


class Client:
    """A MIC REST client: the API key on every call, the login's token raw or as Bearer."""

    def __init__(self, base: str, api_key: str | None, *, bearer: bool = False) -> None:
        self.http = httpx.AsyncClient(base_url=base, timeout=30)
        self.api_key = api_key
        self.bearer = bearer
        self.token: str | None = None
        self.refresh_token: str | None = None
        self.login_answer: dict[str, Any] = {}

    def headers(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        """The headers of a call: x-api-key, Authorization (and identityId, as MIC's SDKs send it)."""
        headers: dict[str, str] = {}
        if self.api_key is not None:
            headers["x-api-key"] = self.api_key
        if self.token is not None:
            headers["Authorization"] = f"Bearer {self.token}" if self.bearer else self.token
            headers["identityId"] = "eu-west-1:ignored"
        headers.update(extra or {})
        return headers

    async def call(self, method: str, path: str, body: Any = None, **kwargs: Any) -> httpx.Response:
        """One request below the stack; `body` sent as JSON (bytes and str as they are)."""
        headers = self.headers(kwargs.pop("headers", None))
        if isinstance(body, bytes | str):
            kwargs["content"] = body
        elif body is not None:
            kwargs["json"] = body
        return await self.http.request(method, f"/{STACK}{path}", headers=headers, **kwargs)

    async def get(self, path: str, **kwargs: Any) -> httpx.Response:
        """GET below the stack."""
        return await self.call("GET", path, **kwargs)

    async def post(self, path: str, body: Any = None, **kwargs: Any) -> httpx.Response:
        """POST below the stack."""
        return await self.call("POST", path, body, **kwargs)

    async def patch(self, path: str, body: Any = None, **kwargs: Any) -> httpx.Response:
        """PATCH below the stack."""
        return await self.call("PATCH", path, body, **kwargs)

    async def put(self, path: str, body: Any = None, **kwargs: Any) -> httpx.Response:
        """PUT below the stack."""
        return await self.call("PUT", path, body, **kwargs)

    async def delete(self, path: str, **kwargs: Any) -> httpx.Response:
        """DELETE below the stack."""
        return await self.call("DELETE", path, **kwargs)

    async def login(self, username: str, password: str = PASSWORD) -> dict[str, Any]:
        """Log in and keep the credentials for later calls."""
        answer = await self.post("/auth/login", {"userName": username, "password": password})
        assert answer.status_code == 200, answer.text
        self.login_answer = answer.json()
        self.token = self.login_answer["credentials"]["token"]
        self.refresh_token = self.login_answer["credentials"]["refreshToken"]
        return self.login_answer

    async def close(self) -> None:
        """Close the connections."""
        await self.http.aclose()


@dataclass
class Rig:
    """A running hub with the registry door (and JSON-RPC over plain TCP) on free ports."""

    server: Server
    clients: list[Client] = field(default_factory=list)

    @property
    def base(self) -> str:
        """The HTTP origin."""
        assert self.server.http is not None
        return f"http://127.0.0.1:{self.server.http.port}"

    @property
    def door(self) -> RegistryDoor:
        """The registry door (assembled by the rig once the hub is up, as a first request would)."""
        return built_door(self.server, "registry", RegistryDoor)

    @property
    def api_key(self) -> str:
        """The published API key."""
        assert self.door.keys.published is not None
        return self.door.keys.published

    def client(self, *, api_key: str | None = "published", bearer: bool = False) -> Client:
        """A client with the published key (or the one given; None sends none)."""
        client = Client(self.base, self.api_key if api_key == "published" else api_key, bearer=bearer)
        self.clients.append(client)
        return client

    async def logged_in(self, username: str, password: str = PASSWORD, *, bearer: bool = False) -> Client:
        """A client logged in as a user."""
        client = self.client(bearer=bearer)
        await client.login(username, password)
        return client

    async def user(self, username: str, *, role: str = "ReadWrite", domain: str = "root", privileges: Any = ()) -> None:
        """A user made directly in core (a registry user: one role, a home domain)."""
        await self.server.security.create_user(
            username, PASSWORD, roles=(role,), home_domain=domain, privileges=privileges
        )

    async def domain(self, name: str, parent: str = "root") -> None:
        """A domain made directly in core."""
        await self.server.security.add_domain(name, parent)


def registry_config(
    data_dir: Path,
    *,
    virtual: bool = True,
    thinknx: bool = False,
    ezlo: bool = False,
    database: str | None = None,
    mqtt: MqttConfig | None = None,
    **registry: Any,
) -> Config:
    """A configuration with the registry door and plain JSON-RPC (Thinknx, plain anonymous Ezlo, a broker if asked)."""
    return Config(
        data_dir=data_dir,
        database=database,
        bind="127.0.0.1",
        ports=Ports(jsonrpc_tcp=0, jsonrpc_ws=None, ezlo=0 if ezlo else None, thinknx=0 if thinknx else None, http=0),
        doors={
            "jsonrpc": JsonRpcConfig(tcp_tls=False, zeroconf=False, lockdown_seconds=0.0),
            "thinknx": ThinknxConfig(tls=False),
            "ezlo": EzloConfig(tls=False, insecure_access=True, anonymous_access=True, zeroconf=False),
            "registry": RegistryConfig(**registry),
            # Closed: its integration's classes would be listed among the thing types these tests count.
            "sensordata": SensorDataConfig(enabled=False),
            # Closed: with it the HTTP port would open whatever the registry's settings say.
            "web": WebConfig(enabled=False),
        },
        virtual=VirtualConfig(enabled=virtual, time_scale=TIME_SCALE),
        mqtt=mqtt or MqttConfig(),
    )


@asynccontextmanager
async def registry_rig(
    data_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
    *,
    virtual: bool = True,
    thinknx: bool = False,
    ezlo: bool = False,
    database: str | None = None,
    mqtt: MqttConfig | None = None,
    **registry: Any,
) -> AsyncIterator[Rig]:
    """A started hub with the registry door and an admin user; stopped afterwards."""
    monkeypatch.setattr("thinggate.core.security.manager.make_hasher", fast_hasher)
    config = registry_config(
        data_dir, virtual=virtual, thinknx=thinknx, ezlo=ezlo, database=database, mqtt=mqtt, **registry
    )
    server = await start_server(config)
    rig = Rig(server)
    try:
        registry_door = server.doors.get("registry")
        if isinstance(registry_door, DeferredDoor):  # the tests read its keys and tables: assemble it now
            await registry_door.door()
        if not server.security.has_users:  # a restart on the same data keeps the first start's admin
            await server.security.create_user(ADMIN, PASSWORD)
        yield rig
    finally:
        for client in rig.clients:
            await client.close()
        await server.stop()
