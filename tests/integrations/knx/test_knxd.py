"""The KNX integration against a real knxd (dummy bus) in a private network namespace.

Run: scripts/knx-netns.sh .venv/bin/python -m pytest -q -m knxd tests/integrations/knx/test_knxd.py
Outside the namespace every test here skips (CI=true: fails). The hub is a real Hub; the other
side of the bus is knxd's own tools (groupsocketlisten, groupswrite/groupwrite) and a second xknx
tunnel client playing an actuator.
"""

from __future__ import annotations

import asyncio
import signal
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest

from tests.hubtools import next_event
from tests.integrations.knx.tools import add, changed_to, run, type_id
from tests.knxd import (
    KnxdServer,
    fake_actuator,
    group_monitor,
    groupswrite,
    groupwrite,
    knxd_server,
    write_line,
)
from thinggate.core.errors import ThingError, ThingFailure
from thinggate.core.events import StateChanged
from thinggate.core.feedback import execute_confirmed
from thinggate.core.hub import Hub
from thinggate.core.security import SYSTEM
from thinggate.integrations.knx import KnxIntegration, KnxSettings
from thinggate.storage.memory import MemoryStore

__all__ = ["knxd_server"]  # the fixture, until tests/conftest.py imports it

pytestmark = pytest.mark.knxd


@asynccontextmanager
async def knx_hub(server: KnxdServer, **settings: Any) -> AsyncIterator[tuple[Hub, KnxIntegration]]:
    """A started hub whose KNX integration tunnels to the server (quick reconnects and probes)."""
    options: dict[str, Any] = {
        "gateway_ip": "127.0.0.1",
        "gateway_port": server.port,
        "local_ip": "127.0.0.1",
        "reconnect_seconds": 0.2,
        "heartbeat_seconds": 0.5,
        **settings,
    }
    hub = Hub(store=MemoryStore())
    knx = KnxIntegration(settings=KnxSettings(**options))
    hub.register(knx)
    await hub.start()
    try:
        await asyncio.wait_for(hub.wait_until_set_up(), 10)
        assert await knx.wait_until_connected(5), server.log()
        yield hub, knx
    finally:
        await hub.stop()


async def test_power_on_a_switch_is_a_write_on_the_bus(knxd_server: KnxdServer) -> None:
    """ExecuteAction power true/false puts 01/00 on 1/0/1, as groupsocketlisten shows it."""
    async with knx_hub(knxd_server) as (hub, _knx), group_monitor(knxd_server) as monitor:
        switch = await add(hub, "knxSwitch", address="1/0/1", stateAddress="1/0/2")
        assert (await run(hub, switch, "power", True)).ok
        await monitor.wait_for(write_line("1/0/1", "01"))
        assert (await run(hub, switch, "power", False)).ok
        await monitor.wait_for(write_line("1/0/1", "00"))


async def test_a_status_from_the_bus_changes_the_state(knxd_server: KnxdServer) -> None:
    """groupswrite on the status address sets power and publishes StateChanged; the write address too."""
    async with knx_hub(knxd_server) as (hub, _knx):
        switch = await add(hub, "knxSwitch", address="1/0/1", stateAddress="1/0/2")
        subscription = hub.bus.subscribe("test")
        await groupswrite(knxd_server, "1/0/2", 1)
        changed = await next_event(subscription, StateChanged, lambda e: e.thing_id == switch.id, within=5)
        assert (changed.state_type_id, changed.value) == (type_id(switch, "power"), True)
        assert switch.state_value("power") is True
        await groupswrite(knxd_server, "1/0/1", 0)  # a wall switch on the write address
        await changed_to(hub, switch, "power", False)
        dimmer = await add(hub, "knxDimmer", switchAddress="1/1/1", brightnessStateAddress="1/1/4")
        await groupwrite(knxd_server, "1/1/4", 0x80)
        await changed_to(hub, dimmer, "brightness", 50)


async def test_the_state_follows_the_actuator(knxd_server: KnxdServer) -> None:
    """With a status address the state waits for the actuator's report; Thinknx's fb gets it."""
    async with (
        knx_hub(knxd_server) as (hub, _knx),
        fake_actuator(knxd_server, {"1/0/1": "1/0/2"}) as actuator,
    ):
        switch = await add(hub, "knxSwitch", address="1/0/1", stateAddress="1/0/2")
        power = type_id(switch, "power")
        result = await execute_confirmed(
            hub,
            SYSTEM,
            thing_id=switch.id,
            action_type_id=power,
            params=[(power, True)],
            state_type_id=power,
            expected=True,
            within=5,
        )
        assert result.ok and result.value is True
        writes = [t for t in actuator.received if type(t.payload).__name__ == "GroupValueWrite"]
        assert [str(t.destination_address) for t in writes] == ["1/0/1"]
        assert (await run(hub, switch, "power", False)).ok
        await changed_to(hub, switch, "power", False)


async def test_states_start_from_the_bus(knxd_server: KnxdServer) -> None:
    """On connect the hub reads every status address: the actuator's answers are the first states."""
    async with fake_actuator(knxd_server, {"1/1/3": "1/1/4", "3/0/4": "3/0/5"}) as actuator:
        actuator.values.update({"1/1/4": _array(0xBF), "3/0/5": _array(0x04)})
        async with knx_hub(knxd_server) as (hub, _knx):
            dimmer = await add(hub, "knxDimmer", brightnessAddress="1/1/3", brightnessStateAddress="1/1/4")
            thermostat = await add(
                hub, "knxThermostat", operatingModeAddress="3/0/4", operatingModeStateAddress="3/0/5"
            )
            await changed_to(hub, dimmer, "brightness", 75)
            await changed_to(hub, thermostat, "operatingMode", "frost")


def _array(*data: int) -> Any:
    from xknx.dpt import DPTArray

    return DPTArray(data)


RAW: list[tuple[str, float, str]] = [
    ("bit", 0, "00"),
    ("bit", 1, "01"),
    ("4bits", 0, "00"),
    ("4bits", 31, "1F"),
    ("byte", 0, "00 "),
    ("byte", 255, "FF "),
    ("byte_signed", -128, "80 "),
    ("byte_signed", -1, "FF "),
    ("byte_signed", 127, "7F "),
    ("float2", 21.5, "0C 33 "),
    ("float2", -671088.64, "F8 00 "),
    ("float2", 670433.28, "7F FE "),
    ("float4", 1234.5, "44 9A 50 00 "),
    ("float4", -1.0, "BF 80 00 00 "),
]


async def test_every_raw_kind_arrives_byte_exact(knxd_server: KnxdServer) -> None:
    """write_group_value of each kind at its edges: the bytes knxd delivers (small values without a blank)."""
    async with knx_hub(knxd_server) as (hub, knx), group_monitor(knxd_server) as monitor:
        switch = await add(hub, "knxSwitch", address="9/0/1")
        for number, (kind, value, expected) in enumerate(RAW, start=1):
            address = f"9/1/{number}"
            await knx.write_group_value(address, kind, value)
            await monitor.wait_for(write_line(address, expected))
        for kind, value in (("bit", 2), ("4bits", 32), ("byte", -1), ("byte_signed", 128), ("float2", 1e7)):
            with pytest.raises(ValueError):
                await knx.write_group_value("9/2/1", kind, value)
        await knx.write_group_value("9/0/1", "bit", 1)  # a raw write reaches things on its address
        assert switch.state_value("power") is True
        await asyncio.sleep(0.3)
        assert monitor.telegrams("9/2/1") == []


BLIND = {
    "upDownAddress": "2/0/1",
    "stepAddress": "2/0/2",
    "stopAddress": "2/0/3",
    "positionAddress": "2/0/4",
    "positionStateAddress": "2/0/5",
    "angleAddress": "2/0/6",
    "angleStateAddress": "2/0/7",
}


async def test_blind_and_thermostat_through_knxd(knxd_server: KnxdServer) -> None:
    """Blind position/angle/step/up-down and thermostat set point/mode go out byte-exact and come back."""
    async with knx_hub(knxd_server) as (hub, _knx), group_monitor(knxd_server) as monitor:
        blind = await add(hub, "knxBlind", **BLIND)
        for action, value, address, data in (
            ("percentage", 50, "2/0/4", "80 "),
            ("angle", 25, "2/0/6", "40 "),
            ("stepUp", None, "2/0/2", "00"),
            ("stepDown", None, "2/0/2", "01"),
            ("open", None, "2/0/1", "00"),
            ("close", None, "2/0/1", "01"),
            ("stop", None, "2/0/3", "01"),
        ):
            assert (await run(hub, blind, action, value)).ok, action
            await monitor.wait_for(write_line(address, data))
        assert (await run(hub, blind, "close")).ok
        assert blind.state_value("moving") is True
        await groupwrite(knxd_server, "2/0/5", 0xFF)
        await changed_to(hub, blind, "percentage", 100)
        assert blind.state_value("moving") is False
        await groupwrite(knxd_server, "2/0/7", 0x40)
        await changed_to(hub, blind, "angle", 25)

        thermostat = await add(
            hub,
            "knxThermostat",
            temperatureAddress="3/0/1",
            targetTemperatureAddress="3/0/2",
            targetTemperatureStateAddress="3/0/3",
            operatingModeAddress="3/0/4",
            operatingModeStateAddress="3/0/5",
        )
        assert (await run(hub, thermostat, "targetTemperature", 21.5)).ok
        await monitor.wait_for(write_line("3/0/2", "0C 33 "))
        assert (await run(hub, thermostat, "operatingMode", "night")).ok
        await monitor.wait_for(write_line("3/0/4", "03 "))
        await groupwrite(knxd_server, "3/0/1", 0x0C, 0x4C)
        await changed_to(hub, thermostat, "temperature", 22.0)
        await groupwrite(knxd_server, "3/0/5", 0x04)
        await changed_to(hub, thermostat, "operatingMode", "frost")


async def test_knxd_gone_and_back(knxd_server: KnxdServer) -> None:
    """Killing knxd: commands fail fast with HARDWARE_NOT_AVAILABLE, `connected` goes false; a knxd on
    the same port again: reconnected, commands reach the bus."""
    async with knx_hub(knxd_server) as (hub, knx):
        switch = await add(hub, "knxSwitch", address="1/0/1")
        assert switch.state_value("connected") is True
        knxd_server.stop(signal.SIGKILL)  # gone without a word, as a gateway that loses power

        started = time.monotonic()
        first = await run(hub, switch, "power", True)
        assert first.error is ThingError.HARDWARE_NOT_AVAILABLE, first
        assert time.monotonic() - started < 7.0  # two tunnelling attempts, not the 15 s action timeout
        await changed_to(hub, switch, "connected", False, within=5)
        assert not knx.connected
        started = time.monotonic()
        second = await run(hub, switch, "power", True)
        assert second.error is ThingError.HARDWARE_NOT_AVAILABLE
        assert time.monotonic() - started < 0.5
        with pytest.raises(ThingFailure) as raw:
            await knx.write_group_value("9/0/1", "bit", 1)
        assert raw.value.error is ThingError.HARDWARE_NOT_AVAILABLE

        await knxd_server.start_async()
        assert await knx.wait_until_connected(5)
        await changed_to(hub, switch, "connected", True)
        async with group_monitor(knxd_server) as monitor:
            assert (await run(hub, switch, "power", True)).ok
            await monitor.wait_for(write_line("1/0/1", "01"))


async def test_an_idle_hub_notices_a_vanished_gateway(knxd_server: KnxdServer) -> None:
    """Without any command, the tunnel probe finds a killed knxd within seconds (xknx alone: 60 s)."""
    async with knx_hub(knxd_server) as (hub, knx):
        light = await add(hub, "knxLight", address="1/0/1")
        knxd_server.stop(signal.SIGKILL)
        started = time.monotonic()
        await changed_to(hub, light, "connected", False, within=5)
        assert time.monotonic() - started < 4.0
        assert not knx.connected


async def test_hub_starts_without_knxd_and_connects_when_it_appears(knxd_server: KnxdServer) -> None:
    """No gateway at start: the hub starts anyway, things say unconnected, and connect once knxd is up."""
    knxd_server.stop()
    hub = Hub(store=MemoryStore())
    settings = KnxSettings(
        gateway_port=knxd_server.port, local_ip="127.0.0.1", reconnect_seconds=0.2, heartbeat_seconds=0.5
    )
    knx = KnxIntegration(settings=settings)
    hub.register(knx)
    started = time.monotonic()
    await hub.start()
    try:
        await asyncio.wait_for(hub.wait_until_set_up(), 5)
        assert time.monotonic() - started < 2.0
        switch = await add(hub, "knxSwitch", address="1/0/1")
        assert switch.state_value("connected") is False
        await asyncio.sleep(0.5)
        await knxd_server.start_async()
        await changed_to(hub, switch, "connected", True)
    finally:
        await hub.stop()


async def test_routing_through_knxd(knxd_server: KnxdServer) -> None:
    """Routing (multicast on loopback): commands reach knxd from the configured address, writes come back."""
    async with (
        knx_hub(
            knxd_server,
            connection_type="routing",
            individual_address="1.1.250",
            multicast_port=knxd_server.port,
        ) as (hub, _knx),
        group_monitor(knxd_server) as monitor,
    ):
        switch = await add(hub, "knxSwitch", address="1/0/1", stateAddress="1/0/2")
        assert (await run(hub, switch, "power", True)).ok
        await monitor.wait_for(r"Write from 1\.1\.250 to 1/0/1: 01")
        await groupswrite(knxd_server, "1/0/2", 1)
        await changed_to(hub, switch, "power", True)
