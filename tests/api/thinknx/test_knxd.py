"""The Thinknx door down to real KNX telegrams: REST calls against a hub whose KNX integration tunnels
to a real knxd (dummy bus) in a private network namespace.

Run: scripts/knx-netns.sh .venv/bin/python -m pytest -q -m knxd tests/api/thinknx/test_knxd.py
"""

from __future__ import annotations

import asyncio
import signal
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from argon2 import PasswordHasher

from tests.hubtools import next_event
from tests.integrations.knx.tools import add, changed_to, type_id
from tests.knxd import KnxdServer, fake_actuator, group_monitor, groupswrite, knxd_server, write_line
from thinggate.api.thinknx import Authenticator, ThinknxDoor, ThinknxServer, ThinknxSettings
from thinggate.api.thinknx.digest import DigestAuthority
from thinggate.api.thinknx.key import IntegrationKey
from thinggate.core.events import EventBus, StateChanged
from thinggate.core.guids import guid_of
from thinggate.core.hub import Hub
from thinggate.core.security import LoginLimiter, SecurityManager
from thinggate.integrations.knx import KnxIntegration, KnxSettings
from thinggate.storage.memory import MemoryStore

__all__ = ["knxd_server"]  # the fixture

pytestmark = pytest.mark.knxd

PASSWORD = "Secret123"
FEEDBACK_SECONDS = 1.0


@dataclass
class Door:
    hub: Hub
    knx: KnxIntegration
    base: str
    client: httpx.AsyncClient

    async def get(self, path: str, **params: Any) -> httpx.Response:
        return await self.client.get(f"{self.base}/{path}", params=params)


@asynccontextmanager
async def knx_door(server: KnxdServer) -> AsyncIterator[Door]:
    """A hub with the KNX integration tunnelling to `server`, served by the Thinknx door."""
    store = MemoryStore()
    security = SecurityManager(store, hasher=PasswordHasher(time_cost=1, memory_cost=8, parallelism=1), bus=EventBus())
    await security.load()
    await security.create_user("admin", PASSWORD)
    hub = Hub(store=store)
    knx = KnxIntegration(
        settings=KnxSettings(
            gateway_ip="127.0.0.1",
            gateway_port=server.port,
            local_ip="127.0.0.1",
            reconnect_seconds=0.2,
            heartbeat_seconds=0.5,
        )
    )
    hub.register(knx)
    await hub.start()
    await asyncio.wait_for(hub.wait_until_set_up(), 10)
    assert await knx.wait_until_connected(5), server.log()
    door = ThinknxDoor(hub=hub, settings=ThinknxSettings(feedback_seconds=FEEDBACK_SECONDS, rate_limit=""), raw_bus=knx)
    authenticator = Authenticator(
        security=security,
        key=IntegrationKey(store),
        limiter=LoginLimiter(),
        digest=DigestAuthority(secret_of=security.digest_secret, realm=await security.digest_realm()),
    )
    http = ThinknxServer(door, authenticator, host="127.0.0.1", port=0)
    await http.start()
    try:
        async with httpx.AsyncClient(auth=("admin", PASSWORD), timeout=10) as client:
            yield Door(hub, knx, f"http://127.0.0.1:{http.port}/api/V1", client)
    finally:
        await http.stop()
        await hub.stop()


async def test_a_rest_power_is_the_telegram_on_the_bus(knxd_server: KnxdServer) -> None:
    async with knx_door(knxd_server) as door, group_monitor(knxd_server) as monitor:
        switch = await add(door.hub, "knxSwitch", address="1/0/1", stateAddress="1/0/2")
        guid = guid_of(switch.id)
        answer = await door.get("power", guid=guid, cmd=1)
        # comm_obj: the status object behind the value (the switch's state address).
        assert answer.json() == {"namespace": "power", "guid": guid, "comm_obj": "1/0/2"}
        await monitor.wait_for(write_line("1/0/1", "01"))
        await door.get("power", guid=guid, cmd=0)
        await monitor.wait_for(write_line("1/0/1", "00"))


async def test_a_telegram_from_the_bus_changes_powerstatus_and_raises_state_changed(knxd_server: KnxdServer) -> None:
    async with knx_door(knxd_server) as door:
        switch = await add(door.hub, "knxSwitch", address="1/0/1", stateAddress="1/0/2")
        guid = guid_of(switch.id)
        assert (await door.get("powerstatus", guid=guid)).json()["status"] == 0
        subscription = door.hub.bus.subscribe("test")
        await groupswrite(knxd_server, "1/0/2", 1)
        changed = await next_event(subscription, StateChanged, lambda e: e.thing_id == switch.id, within=5)
        assert (changed.state_type_id, changed.value) == (type_id(switch, "power"), True)
        assert (await door.get("powerstatus", guid=guid)).json() == {
            "namespace": "powerstatus",
            "guid": guid,
            "status": 1,
            "comm_obj": "1/0/2",
        }


async def test_fb_answers_once_the_actuator_on_the_bus_responds(knxd_server: KnxdServer) -> None:
    async with (
        knx_door(knxd_server) as door,
        fake_actuator(knxd_server, {"1/0/1": "1/0/2", "1/1/3": "1/1/4"}) as actuator,
    ):
        switch = await add(door.hub, "knxSwitch", address="1/0/1", stateAddress="1/0/2")
        answer = await door.get("power", guid=guid_of(switch.id), cmd=1, fb="")
        assert answer.json()["status"] == 1
        assert [
            str(t.destination_address) for t in actuator.received if type(t.payload).__name__ == "GroupValueWrite"
        ] == ["1/0/1"]
        dimmer = await add(
            door.hub, "knxDimmer", switchAddress="1/1/1", brightnessAddress="1/1/3", brightnessStateAddress="1/1/4"
        )
        level = await door.get("powerlevel", guid=guid_of(dimmer.id), cmd=50, fb="")
        assert level.json() == {
            "namespace": "powerlevel",
            "guid": guid_of(dimmer.id),
            "status": 50,
            "comm_obj": "1/1/4",
        }


async def test_fb_without_an_answer_from_the_bus_is_impossible_to_execute(knxd_server: KnxdServer) -> None:
    async with knx_door(knxd_server) as door:
        # A status address nobody answers on: the command goes out, the feedback never comes.
        switch = await add(door.hub, "knxSwitch", address="1/0/5", stateAddress="1/0/6")
        started = time.monotonic()
        answer = await door.get("power", guid=guid_of(switch.id), cmd=1, fb="")
        assert (answer.status_code, answer.json()) == (500, {"error": "impossible to execute"})
        assert FEEDBACK_SECONDS <= time.monotonic() - started < FEEDBACK_SECONDS + 3


async def test_killing_knxd_fails_commands_cleanly_and_the_door_recovers(knxd_server: KnxdServer) -> None:
    async with knx_door(knxd_server) as door, group_monitor(knxd_server) as monitor:
        switch = await add(door.hub, "knxSwitch", address="1/0/1", stateAddress="1/0/2")
        guid = guid_of(switch.id)
        await monitor.stop()
        knxd_server.stop(signal.SIGKILL)
        await changed_to(door.hub, switch, "connected", False, within=5)
        started = time.monotonic()
        for path, params in (("power", {"cmd": 1}), ("powerstatus", {}), ("system/sendKNXbit", {"group": "1/0/9"})):
            if path.startswith("system"):
                params = {"group": "1/0/9", "value": 1}
            answer = await door.get(path, guid=guid, **params)
            assert (answer.status_code, answer.json()) == (500, {"error": "impossible to execute"}), path
        assert time.monotonic() - started < 5  # promptly, not after the 15 s action timeout
        await knxd_server.start_async()
        assert await door.knx.wait_until_connected(10), knxd_server.log()
        async with group_monitor(knxd_server) as again:
            answer = await door.get("power", guid=guid, cmd=1)
            assert answer.status_code == 200
            await again.wait_for(write_line("1/0/1", "01"))


@pytest.mark.parametrize(
    ("controller", "value", "data"),
    # groupsocketlisten prints data bytes with a trailing blank ("C8 "), values in the APCI without ("01").
    [
        ("sendKNXbit", "1", "01"),
        ("sendKNXbit", "0", "00"),
        ("sendKNX4bits", "9", "09"),
        ("sendKNX4bits", "31", "1F"),
        ("sendKNXbyte", "200", "C8 "),
        ("sendKNXbyte", "255", "FF "),
        ("sendKNXbyteun", "-100", "9C "),
        ("sendKNXbyteun", "127", "7F "),
        ("sendKNXfloat2bytes", "21.5", "0C 33 "),
        ("sendKNXfloat4bytes", "1234.5", "44 9A 50 00 "),
    ],
)
async def test_every_send_knx_is_byte_exact_on_the_bus(
    knxd_server: KnxdServer, controller: str, value: str, data: str
) -> None:
    async with knx_door(knxd_server) as door, group_monitor(knxd_server) as monitor:
        answer = await door.get(f"system/{controller}", group="3/2/1", value=value)
        assert answer.status_code == 200, answer.text
        body = answer.json()
        assert (body["namespace"], body["group"], float(body["value"])) == (
            f"system/{controller}",
            "3/2/1",
            float(value),
        )
        await monitor.wait_for(write_line("3/2/1", data))


async def test_blind_and_thermostat_controllers_reach_the_bus_byte_exact(knxd_server: KnxdServer) -> None:
    async with knx_door(knxd_server) as door, group_monitor(knxd_server) as monitor:
        blind = await add(
            door.hub,
            "knxBlind",
            upDownAddress="2/0/1",
            stepAddress="2/0/2",
            stopAddress="2/0/3",
            positionAddress="2/0/4",
            angleAddress="2/0/6",
        )
        guid = guid_of(blind.id)
        for path, params, line in (
            ("updown", {"cmd": 1}, write_line("2/0/1", "01")),
            ("stop", {"cmd": 1}, write_line("2/0/3", "01")),
            ("heightlevel", {"val": 50}, write_line("2/0/4", "80 ")),
            ("blindstep", {"cmd": 0}, write_line("2/0/2", "00")),
            ("blindangle", {"cmd": 25}, write_line("2/0/6", "40 ")),
        ):
            answer = await door.get(path, guid=guid, **params)
            assert answer.status_code == 200, (path, answer.text)
            await monitor.wait_for(line)
        thermostat = await add(
            door.hub,
            "knxThermostat",
            temperatureAddress="4/0/1",
            targetTemperatureAddress="4/0/2",
            operatingModeAddress="4/0/4",
            chronoAddress="4/0/6",
        )
        guid = guid_of(thermostat.id)
        for path, params, line in (
            ("setpoint", {"cmd": "21.5"}, write_line("4/0/2", "0C 33 ")),
            ("tempmode", {"cmd": 2}, write_line("4/0/4", "03 ")),  # night = ECONOMY
            ("tempmode", {"cmd": 3}, write_line("4/0/4", "04 ")),  # frost = BUILDING_PROTECTION
            ("chronoen", {"cmd": 1}, write_line("4/0/6", "01")),
        ):
            answer = await door.get(path, guid=guid, **params)
            assert answer.status_code == 200, (path, answer.text)
            await monitor.wait_for(line)
        await groupswrite_float(knxd_server, "4/0/1")
        await changed_to(door.hub, thermostat, "temperature", 21.5)
        assert (await door.get("actualtemp", guid=guid)).json()["status"] == 21.5


async def groupswrite_float(server: KnxdServer, address: str) -> None:
    """21.5 °C as DPT 9 on the bus."""
    from tests.knxd import groupwrite

    await groupwrite(server, address, 0x0C, 0x33)
