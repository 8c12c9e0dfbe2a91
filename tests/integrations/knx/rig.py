"""The KNX integration on a faked bus: the bus, a hub on it, and the group addresses the tests give their things.

The bus is faked as xknx's own tests fake it (reference/thinknx-knx.md §2): the KNX/IP interface
factory returns a stand-in that only reports connection states, outgoing telegrams are caught by
patching `CEMIHandler.send_telegram` at class level (the `fake_bus` fixture in conftest.py), and
incoming ones are put on the live XKNX's telegram queue, so xknx's telegram queue and callbacks run
for real. A real knxd is in test_knxd.py.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from unittest.mock import patch

from xknx.cemi import CEMIHandler
from xknx.core import XknxConnectionState
from xknx.dpt import DPTArray, DPTBinary
from xknx.exceptions import CommunicationError
from xknx.telegram import GroupAddress, IndividualAddress, Telegram, TelegramDirection
from xknx.telegram.apci import GroupValueRead, GroupValueResponse, GroupValueWrite

from tests.integrations.knx.tools import small, wire
from thinggate.core.hub import Hub
from thinggate.core.model import Thing
from thinggate.integrations.knx import KnxIntegration, KnxSettings
from thinggate.storage.memory import MemoryStore


@dataclass
class FakeBus:
    """What the integration sent, what it should fail with, and a way to talk to it from the bus."""

    sent: list[Telegram] = field(default_factory=list)
    failure: Exception | None = None
    hang: bool = False
    down: bool = False
    interfaces: list[FakeInterface] = field(default_factory=list)
    knx: KnxIntegration | None = None

    def writes(self) -> list[tuple[str, str, bool]]:
        """(address, payload as groupsocketlisten shows it, travels in the APCI byte) of every write sent."""
        return [
            (str(t.destination_address), wire(t.payload.value), small(t.payload.value))
            for t in self.sent
            if isinstance(t.payload, GroupValueWrite)
        ]

    def reads(self) -> list[str]:
        """Addresses of every GroupValueRead sent."""
        return [str(t.destination_address) for t in self.sent if isinstance(t.payload, GroupValueRead)]

    async def incoming(self, address: str, payload: DPTBinary | DPTArray, *, response: bool = False) -> None:
        """A telegram from a device on the bus; returns once the integration has processed it."""
        assert self.knx is not None and self.knx.connection.xknx is not None
        xknx = self.knx.connection.xknx
        apci = GroupValueResponse(payload) if response else GroupValueWrite(payload)
        await xknx.telegrams.put(
            Telegram(
                destination_address=GroupAddress(address),
                direction=TelegramDirection.INCOMING,
                payload=apci,
                source_address=IndividualAddress("1.1.7"),
            )
        )
        await xknx.telegrams.join()

    def lose_link(self) -> None:
        """The gateway went away (as xknx reports a failed heartbeat or a disconnect request)."""
        self.interfaces[-1].report(XknxConnectionState.DISCONNECTED)


class FakeInterface:
    """Stands in for xknx's KNXIPInterface: connects unless the bus is down, reports the state."""

    def __init__(self, bus: FakeBus, xknx: Any, connection_config: Any) -> None:
        self.bus = bus
        self.xknx = xknx
        self.connection_config = connection_config
        bus.interfaces.append(self)

    def report(self, state: XknxConnectionState) -> None:
        self.xknx.connection_manager.connection_state_changed(state)

    async def start(self) -> None:
        if self.bus.down:
            raise CommunicationError("gateway is down")
        self.report(XknxConnectionState.CONNECTED)

    async def stop(self) -> None:
        self.report(XknxConnectionState.DISCONNECTED)


@contextmanager
def patched_into_xknx(bus: FakeBus) -> Iterator[FakeBus]:
    """xknx's KNX/IP interface and the CEMI handler's send replaced by the faked bus while in the block."""

    async def send_telegram(_handler: CEMIHandler, telegram: Telegram) -> None:
        if bus.hang:
            await asyncio.sleep(3600)  # a gateway that never confirms
        if bus.failure is not None:
            raise bus.failure
        bus.sent.append(telegram)

    def interface(xknx: Any, connection_config: Any) -> FakeInterface:
        return FakeInterface(bus, xknx, connection_config)

    with (
        patch("xknx.xknx.knx_interface_factory", interface),
        patch.object(CEMIHandler, "send_telegram", send_telegram),
    ):
        yield bus


FAST = KnxSettings(reconnect_seconds=0.05, heartbeat_seconds=30.0)


class started_hub:
    """A hub with the KNX integration on the faked bus, started and connected; stopped on exit."""

    def __init__(self, bus: FakeBus, settings: KnxSettings, *, wait: bool = True) -> None:
        self.bus = bus
        self.settings = settings
        self.wait = wait
        self.hub = Hub(store=MemoryStore())
        self.knx = KnxIntegration(settings=settings)

    async def __aenter__(self) -> tuple[Hub, KnxIntegration, FakeBus]:
        self.bus.knx = self.knx
        self.hub.register(self.knx)
        await self.hub.start()
        await asyncio.wait_for(self.hub.wait_until_set_up(), 10)
        if self.wait:
            assert await self.knx.wait_until_connected(5)
        return self.hub, self.knx, self.bus

    async def __aexit__(self, *exc: object) -> None:
        await self.hub.stop()


def state(thing: Thing, name: str) -> Any:
    """A state value of a thing."""
    return thing.state_value(name)


BLIND = {
    "upDownAddress": "2/0/1",
    "stepAddress": "2/0/2",
    "stopAddress": "2/0/3",
    "positionAddress": "2/0/4",
    "positionStateAddress": "2/0/5",
    "angleAddress": "2/0/6",
    "angleStateAddress": "2/0/7",
}
THERMOSTAT = {
    "temperatureAddress": "3/0/1",
    "targetTemperatureAddress": "3/0/2",
    "targetTemperatureStateAddress": "3/0/3",
    "operatingModeAddress": "3/0/4",
    "operatingModeStateAddress": "3/0/5",
    "chronoAddress": "3/0/6",
    "chronoStateAddress": "3/0/7",
}
HVAC = {
    "powerAddress": "4/0/1",
    "powerStateAddress": "4/0/2",
    "targetTemperatureAddress": "4/0/3",
    "targetTemperatureStateAddress": "4/0/4",
    "modeAddress": "4/0/5",
    "modeStateAddress": "4/0/6",
    "fanSpeedAddress": "4/0/7",
    "fanSpeedStateAddress": "4/0/8",
    "temperatureAddress": "4/0/9",
}
DIMMER = {
    "switchAddress": "1/1/1",
    "switchStateAddress": "1/1/2",
    "brightnessAddress": "1/1/3",
    "brightnessStateAddress": "1/1/4",
}
GUID = "1lzPszHWAeuvzxtXBMkzWQ"  # a thing GUID as the [knx] section writes one
