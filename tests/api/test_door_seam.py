"""The seam for doors (issue 12 §2): a new door is its package plus one row of thinggate.doors.DOORS.

The test adds a door the way a new door package would: a settings dataclass, and a factory that
adds a route to the shared HTTP application and answers a FrontDoor. Nothing else is edited.
"""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiohttp import web

import thinggate.doors
from thinggate.api.door import DoorContext
from thinggate.api.registry.settings import RegistryConfig
from thinggate.api.sensordata.settings import SensorDataConfig
from thinggate.api.web.settings import WebConfig
from thinggate.config import Config, ConfigError, Ports, VirtualConfig, load_config
from thinggate.doors import DOORS, DoorSpec
from thinggate.server import Server, start_server


@dataclasses.dataclass(frozen=True, slots=True)
class HelloConfig:
    """The `[hello]` section of the sample door."""

    greeting: str = "hello"

    def check(self) -> None:
        """Raise ValueError for an empty greeting."""
        if not self.greeting:
            raise ValueError("greeting = '': say something")


class HelloDoor:
    """A door with one route on the shared HTTP application."""

    def __init__(self, context: DoorContext, settings: HelloConfig) -> None:
        self.settings = settings
        self.stopped = False
        self.served = 0
        self.clients_seen: list[int] = []
        context.http.router.add_get("/hello", self.hello)
        self.context = context

    @property
    def connection_count(self) -> int:
        """Counted as one client once it has served a request."""
        return 1 if self.served else 0

    async def hello(self, request: web.Request) -> web.Response:
        """The greeting, and how many clients every door has now."""
        self.served += 1
        return web.json_response({"greeting": self.settings.greeting, "clients": self.context.client_count()})

    async def stop(self) -> None:
        """Remember being stopped."""
        self.stopped = True


STARTED: list[HelloDoor] = []


async def build(context: DoorContext, settings: HelloConfig) -> HelloDoor:
    """The sample door's factory."""
    door = HelloDoor(context, settings)
    STARTED.append(door)
    return door


@pytest.fixture
def hello_door(monkeypatch: pytest.MonkeyPatch) -> None:
    """One row more in the table, as a new door package adds it."""
    STARTED.clear()
    table = (*DOORS, DoorSpec("hello", HelloConfig, f"{__name__}:build"))
    monkeypatch.setattr(thinggate.doors, "DOORS", table)
    monkeypatch.setattr("thinggate.config.DOORS", table)
    monkeypatch.setattr("thinggate.server.DOORS", table)


def _config(data_dir: Path, **doors: Any) -> Config:
    return Config(
        data_dir=data_dir,
        bind="127.0.0.1",
        ports=Ports(jsonrpc_tcp=None, jsonrpc_ws=None, ezlo=None, thinknx=0, http=0),
        # Only the sample door adds HTTP routes.
        doors={
            "registry": RegistryConfig(enabled=False),
            "sensordata": SensorDataConfig(enabled=False),
            "web": WebConfig(enabled=False),
            **doors,
        },
        virtual=VirtualConfig(auto_things=False),
    )


@pytest.fixture
async def server(tmp_path: Path, hello_door: None) -> AsyncIterator[Server]:
    running = await start_server(_config(tmp_path, hello=HelloConfig(greeting="hi")))
    try:
        yield running
    finally:
        await running.stop()


async def test_a_door_added_by_one_row_serves_on_the_shared_http_port(server: Server) -> None:
    assert server.http is not None and server.http.port
    async with httpx.AsyncClient() as client:
        answer = await client.get(f"http://127.0.0.1:{server.http.port}/hello")
    assert answer.status_code == 200
    assert answer.json()["greeting"] == "hi"
    assert list(server.doors) == ["thinknx", "hello"]  # closed doors (no port) are not in the table's result
    assert answer.json()["clients"] >= 1  # the context counts every door's clients, this one's too


async def test_doors_stop_with_the_server(tmp_path: Path, hello_door: None) -> None:
    running = await start_server(_config(tmp_path))
    await running.stop()
    assert STARTED and STARTED[0].stopped


async def test_the_http_port_stays_closed_when_no_door_has_routes(tmp_path: Path) -> None:
    running = await start_server(_config(tmp_path))
    try:
        assert running.http is None
    finally:
        await running.stop()


def test_a_new_doors_section_is_read_from_thinggate_toml(tmp_path: Path, hello_door: None) -> None:
    path = tmp_path / "thinggate.toml"
    path.write_text('[hello]\ngreeting = "moin"\n')
    assert load_config(path).door("hello") == HelloConfig(greeting="moin")
    path.write_text('[hello]\ngreting = "typo"\n')
    with pytest.raises(ConfigError, match=r"greting.*\[hello\]"):
        load_config(path)


async def test_a_doors_check_refuses_its_settings_before_anything_starts(tmp_path: Path, hello_door: None) -> None:
    with pytest.raises(ConfigError, match=r"\[hello\] greeting = '': say something"):
        await start_server(_config(tmp_path, hello=HelloConfig(greeting="")))
    assert not STARTED


async def test_thinknx_server_status_counts_the_clients_of_every_door(server: Server) -> None:
    assert server.http is not None
    thinknx = server.doors["thinknx"]
    async with httpx.AsyncClient() as client:
        await client.get(f"http://127.0.0.1:{server.http.port}/hello")
        # The hello door's own client, and the shared HTTP port's open connection (this one), counted once.
        assert server.http.connection_count == 1
        assert server.context.client_count() == thinknx.connection_count + 1 + 1
