"""KNX integration against a faked bus: classes, encodings both ways, state rules, raw writes, config, import.

The bus is faked as xknx's own tests fake it (reference/thinknx-knx.md §2): the KNX/IP interface
factory returns a stand-in that only reports connection states, outgoing telegrams are caught by
patching `CEMIHandler.send_telegram` at class level, and incoming ones are put on the live
XKNX's telegram queue, so xknx's telegram queue and callbacks run for real.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from unittest.mock import patch

import pytest
from xknx.cemi import CEMIHandler
from xknx.core import XknxConnectionState
from xknx.dpt import DPTArray, DPTBinary
from xknx.exceptions import CommunicationError, ConfirmationError
from xknx.telegram import GroupAddress, IndividualAddress, Telegram, TelegramDirection
from xknx.telegram.apci import GroupValueRead, GroupValueResponse, GroupValueWrite

from tests.hubtools import drain, next_event
from tests.integrations.knx.knxproj import Ga, Main, Middle, Room, write_knxproj
from tests.integrations.knx.tools import add, add_result, run, small, type_id, wire
from thinggate.core.errors import ThingError
from thinggate.core.events import EventTriggered, StateChanged
from thinggate.core.hub import Hub
from thinggate.core.model import BasicType, Thing, ThingClass, Unit
from thinggate.integrations.knx import KnxIntegration, KnxSettings, parse_knx_section
from thinggate.integrations.knx.configured import sync_configured_things
from thinggate.integrations.knx.devices import CLASSES_BY_NAME, THING_CLASSES
from thinggate.integrations.knx.ids import NAMESPACE, kid
from thinggate.integrations.knx.importer import apply_import, plan_import
from thinggate.integrations.knx.settings import guid_to_uuid, uuid_to_guid
from thinggate.storage.memory import MemoryStore

# ------------------------------------------------------------------------------------------------
# The faked bus
# ------------------------------------------------------------------------------------------------


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


@pytest.fixture
def fake_bus() -> Iterator[FakeBus]:
    """The faked bus, patched into xknx for the test."""
    bus = FakeBus()

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


@pytest.fixture
async def knx_hub(fake_bus: FakeBus) -> AsyncIterator[tuple[Hub, KnxIntegration, FakeBus]]:
    """A started hub with the KNX integration connected to the faked bus."""
    async with started_hub(fake_bus, FAST) as running:
        yield running


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


# ------------------------------------------------------------------------------------------------
# The classes
# ------------------------------------------------------------------------------------------------

EXPECTED_CLASSES = {
    "knxSwitch": ("power", "connectable"),
    "knxLight": ("light", "connectable"),
    "knxDimmer": ("dimmablelight", "connectable"),
    "knxBlind": ("venetianblindstep", "connectable"),
    "knxThermostat": ("thermostatmode", "chronothermostat", "temperaturesensor", "connectable"),
    "knxHvac": ("hvac", "temperaturesensor", "connectable"),
    "knxAnalogValue": ("analogvalue", "connectable"),
    "knxScene": ("scene", "connectable"),
    "knxButton": ("button", "connectable"),
}


def test_the_classes_are_the_ones_other_doors_name() -> None:
    """Class names and declared interfaces are exactly the agreed ones."""
    assert {c.name: c.declared_interfaces for c in THING_CLASSES} == EXPECTED_CLASSES


@pytest.mark.parametrize("thing_class", THING_CLASSES, ids=[c.name for c in THING_CLASSES])
def test_connected_is_not_cached(thing_class: ThingClass) -> None:
    """After a restart no KNX thing is connected until the gateway answers (see tests/core/test_catalogue.py)."""
    connected = thing_class.state_type_named("connected")
    assert connected is not None and not connected.cached


def test_ids_derive_from_names_in_the_knx_namespace() -> None:
    """Class, param, state and action ids are uuid5 of their names: stable across releases."""
    blind = CLASSES_BY_NAME["knxBlind"]
    assert blind.id == uuid.uuid5(NAMESPACE, "knxBlind")
    assert blind.state_type_named("percentage").id == kid("knxBlind", "state", "percentage")  # type: ignore[union-attr]
    assert blind.action_type_named("stepUp").id == kid("knxBlind", "action", "stepUp")  # type: ignore[union-attr]
    assert blind.param_type_named("upDownAddress").id == kid("knxBlind", "param", "upDownAddress")  # type: ignore[union-attr]
    every_id = [c.id for c in THING_CLASSES]
    for thing_class in THING_CLASSES:
        every_id += [t.id for t in (*thing_class.param_types, *thing_class.state_types, *thing_class.event_types)]
        every_id += [a.id for a in thing_class.declared_action_types]
    assert len(every_id) == len(set(every_id))


def test_blind_angle_and_units() -> None:
    """KNX lamellas are percent: angle is Int 0..100 %; temperatures °C; brightness and position %."""
    blind = CLASSES_BY_NAME["knxBlind"]
    angle = blind.state_type_named("angle")
    assert angle is not None and angle.writable
    assert (angle.type, angle.min_value, angle.max_value, angle.unit) == (BasicType.INT, 0, 100, Unit.PERCENTAGE)
    moving = blind.state_type_named("moving")
    assert moving is not None and not moving.cached
    thermostat = CLASSES_BY_NAME["knxThermostat"]
    target = thermostat.state_type_named("targetTemperature")
    assert target is not None and (target.min_value, target.max_value) == (5.0, 35.0)
    assert target.unit is Unit.DEGREE_CELSIUS


# ------------------------------------------------------------------------------------------------
# Params
# ------------------------------------------------------------------------------------------------


async def test_a_malformed_group_address_is_an_invalid_parameter(knx_hub: tuple[Hub, KnxIntegration, FakeBus]) -> None:
    """AddThing refuses 'x/y/z' and out-of-range addresses; "" means not used; a required one must be there."""
    hub, _knx, _bus = knx_hub
    refused = await add_result(hub, "knxSwitch", address="1/0/1", stateAddress="x/y/z")
    assert refused.error is ThingError.INVALID_PARAMETER
    assert "'x/y/z' is not a group address" in refused.message
    for bad in ("32/0/0", "1/8/0", "0/0/0", "1.0.1"):
        result = await add_result(hub, "knxSwitch", address=bad)
        assert result.error is ThingError.INVALID_PARAMETER, bad
    missing = await add_result(hub, "knxSwitch", stateAddress="1/0/2")
    assert missing.error is ThingError.MISSING_PARAMETER
    ok = await add_result(hub, "knxSwitch", address="1/1", stateAddress="")
    assert ok.ok
    assert hub.things == {ok.value: hub.things[ok.value]}  # the refused ones were not added
    nothing = await add_result(hub, "knxDimmer")
    assert nothing.error is ThingError.INVALID_PARAMETER  # a dimmer without any address is no dimmer


async def test_analog_value_params(knx_hub: tuple[Hub, KnxIntegration, FakeBus]) -> None:
    """The DPT must be numeric, min below max; the limits apply to the value state."""
    hub, _knx, bus = knx_hub
    assert (await add_result(hub, "knxAnalogValue", address="5/0/1", dpt="1.001")).error is ThingError.INVALID_PARAMETER
    assert (await add_result(hub, "knxAnalogValue", address="5/0/1", dpt="nope")).error is ThingError.INVALID_PARAMETER
    upside_down = await add_result(hub, "knxAnalogValue", address="5/0/1", minValue=10.0, maxValue=5.0)
    assert upside_down.error is ThingError.INVALID_PARAMETER
    value = await add(hub, "knxAnalogValue", address="5/0/1", stateAddress="5/0/2", minValue=-10.0, maxValue=40.0)
    st = value.states[type_id(value, "value")]
    assert (st.min_value, st.max_value) == (-10.0, 40.0)
    assert (await run(hub, value, "value", 41.0)).error is ThingError.INVALID_PARAMETER
    assert bus.writes() == []
    counter = await add(hub, "knxAnalogValue", address="5/0/3", dpt="5.010", maxValue=255.0)
    fraction = await run(hub, counter, "value", 2.5)
    assert fraction.error is ThingError.INVALID_PARAMETER and "whole number" in fraction.message
    assert (await run(hub, counter, "value", 200.0)).ok
    assert bus.writes() == [("5/0/3", "C8", False)]


# ------------------------------------------------------------------------------------------------
# Encoding: actions -> telegrams
# ------------------------------------------------------------------------------------------------

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

ENCODINGS: list[tuple[str, dict[str, Any], str, Any, tuple[str, str, bool]]] = [
    ("knxSwitch", {"address": "1/0/1"}, "power", True, ("1/0/1", "01", True)),
    ("knxSwitch", {"address": "1/0/1"}, "power", False, ("1/0/1", "00", True)),
    ("knxSwitch", {"address": "1/0/1", "invert": True}, "power", True, ("1/0/1", "00", True)),
    ("knxSwitch", {"address": "1/0/1", "invert": True}, "power", False, ("1/0/1", "01", True)),
    ("knxLight", {"address": "1/0/9"}, "power", True, ("1/0/9", "01", True)),
    ("knxDimmer", DIMMER, "power", True, ("1/1/1", "01", True)),
    ("knxDimmer", DIMMER, "brightness", 50, ("1/1/3", "80", False)),
    ("knxDimmer", DIMMER, "brightness", 75, ("1/1/3", "BF", False)),
    ("knxDimmer", DIMMER, "brightness", 100, ("1/1/3", "FF", False)),
    ("knxDimmer", DIMMER, "brightness", 0, ("1/1/3", "00", False)),
    ("knxBlind", BLIND, "open", None, ("2/0/1", "00", True)),
    ("knxBlind", BLIND, "close", None, ("2/0/1", "01", True)),
    ("knxBlind", BLIND, "stop", None, ("2/0/3", "01", True)),
    ("knxBlind", BLIND, "stepUp", None, ("2/0/2", "00", True)),
    ("knxBlind", BLIND, "stepDown", None, ("2/0/2", "01", True)),
    ("knxBlind", BLIND, "percentage", 50, ("2/0/4", "80", False)),
    ("knxBlind", BLIND, "percentage", 100, ("2/0/4", "FF", False)),
    ("knxBlind", BLIND, "angle", 25, ("2/0/6", "40", False)),
    ("knxBlind", {"upDownAddress": "2/0/1", "stepAddress": "2/0/2"}, "stop", None, ("2/0/2", "00", True)),
    ("knxBlind", {"upDownAddress": "2/0/1"}, "percentage", 100, ("2/0/1", "01", True)),
    ("knxThermostat", THERMOSTAT, "targetTemperature", 21.5, ("3/0/2", "0C 33", False)),
    ("knxThermostat", THERMOSTAT, "targetTemperature", 19.0, ("3/0/2", "07 6C", False)),
    ("knxThermostat", THERMOSTAT, "operatingMode", "comfort", ("3/0/4", "01", False)),
    ("knxThermostat", THERMOSTAT, "operatingMode", "standby", ("3/0/4", "02", False)),
    ("knxThermostat", THERMOSTAT, "operatingMode", "night", ("3/0/4", "03", False)),
    ("knxThermostat", THERMOSTAT, "operatingMode", "frost", ("3/0/4", "04", False)),
    ("knxThermostat", THERMOSTAT, "chronoEnabled", True, ("3/0/6", "01", True)),
    ("knxThermostat", THERMOSTAT, "chronoEnabled", False, ("3/0/6", "00", True)),
    ("knxHvac", HVAC, "power", True, ("4/0/1", "01", True)),
    ("knxHvac", HVAC, "targetTemperature", 22.0, ("4/0/3", "0C 4C", False)),
    ("knxHvac", HVAC, "hvacMode", "auto", ("4/0/5", "00", False)),
    ("knxHvac", HVAC, "hvacMode", "heat", ("4/0/5", "01", False)),
    ("knxHvac", HVAC, "hvacMode", "cool", ("4/0/5", "03", False)),
    ("knxHvac", HVAC, "hvacMode", "fan", ("4/0/5", "09", False)),
    ("knxHvac", HVAC, "hvacMode", "dry", ("4/0/5", "0E", False)),
    ("knxHvac", HVAC, "fanSpeed", "auto", ("4/0/7", "00", False)),
    ("knxHvac", HVAC, "fanSpeed", "min", ("4/0/7", "01", False)),
    ("knxHvac", HVAC, "fanSpeed", "avg", ("4/0/7", "02", False)),
    ("knxHvac", HVAC, "fanSpeed", "max", ("4/0/7", "03", False)),
    ("knxAnalogValue", {"address": "5/0/1", "minValue": -50.0}, "value", -5.5, ("5/0/1", "85 DA", False)),
    ("knxAnalogValue", {"address": "5/0/1", "dpt": "5.001"}, "value", 25.0, ("5/0/1", "40", False)),
    (
        "knxAnalogValue",
        {"address": "5/0/1", "dpt": "14.056", "maxValue": 5000.0},
        "value",
        1234.5,
        ("5/0/1", "44 9A 50 00", False),
    ),
    ("knxAnalogValue", {"address": "5/0/1", "dpt": "6.010", "minValue": -128.0}, "value", -100, ("5/0/1", "9C", False)),
    (
        "knxAnalogValue",
        {"address": "5/0/1", "dpt": "7.001", "maxValue": 65535.0},
        "value",
        60000.0,
        ("5/0/1", "EA 60", False),
    ),
    ("knxScene", {"address": "6/0/1", "sceneNumber": 5}, "launch", None, ("6/0/1", "04", False)),
    ("knxScene", {"address": "6/0/1", "sceneNumber": 1}, "launch", None, ("6/0/1", "00", False)),
    ("knxScene", {"address": "6/0/1", "sceneNumber": 64}, "launch", None, ("6/0/1", "3F", False)),
    ("knxScene", {"address": "6/0/1", "sceneNumber": 3, "dpt": "18.001"}, "launch", None, ("6/0/1", "02", False)),
    ("knxScene", {"address": "6/0/1", "stopAddress": "6/0/2"}, "stop", None, ("6/0/2", "00", True)),
    ("knxButton", {"address": "7/0/1"}, "trigger", None, ("7/0/1", "01", True)),
    ("knxButton", {"address": "7/0/1", "value": 0}, "trigger", None, ("7/0/1", "00", True)),
]


@pytest.mark.parametrize(
    ("class_name", "params", "action", "value", "expected"),
    ENCODINGS,
    ids=[f"{c}-{a}-{v}" for c, p, a, v, _ in ENCODINGS],
)
async def test_an_action_sends_exactly_this_telegram(
    knx_hub: tuple[Hub, KnxIntegration, FakeBus],
    class_name: str,
    params: dict[str, Any],
    action: str,
    value: Any,
    expected: tuple[str, str, bool],
) -> None:
    """Every class's actions: address, payload bytes and 1-bit vs byte form."""
    hub, _knx, bus = knx_hub
    thing = await add(hub, class_name, **params)
    bus.sent.clear()
    result = await run(hub, thing, action, value)
    assert result.ok, (result.error, result.message)
    assert bus.writes() == [expected]


async def test_a_scene_without_stop_address_stops_doing_nothing(knx_hub: tuple[Hub, KnxIntegration, FakeBus]) -> None:
    """KNX scenes are instantaneous: stop succeeds and sends nothing."""
    hub, _knx, bus = knx_hub
    scene = await add(hub, "knxScene", address="6/0/1", sceneNumber=2)
    bus.sent.clear()
    assert (await run(hub, scene, "stop")).ok
    assert bus.sent == []


async def test_an_action_without_its_address_is_unsupported(knx_hub: tuple[Hub, KnxIntegration, FakeBus]) -> None:
    """A blind without a step address cannot step; nothing is sent."""
    hub, _knx, bus = knx_hub
    blind = await add(hub, "knxBlind", upDownAddress="2/0/1")
    bus.sent.clear()
    result = await run(hub, blind, "stepUp")
    assert result.error is ThingError.UNSUPPORTED_FEATURE and "stepAddress" in result.message
    assert (await run(hub, blind, "percentage", 40)).error is ThingError.UNSUPPORTED_FEATURE
    assert bus.sent == []


# ------------------------------------------------------------------------------------------------
# Decoding: telegrams -> states
# ------------------------------------------------------------------------------------------------

DECODINGS: list[tuple[str, dict[str, Any], str, DPTBinary | DPTArray, str, Any]] = [
    ("knxSwitch", {"address": "1/0/1", "stateAddress": "1/0/2"}, "1/0/2", DPTBinary(1), "power", True),
    ("knxSwitch", {"address": "1/0/1", "stateAddress": "1/0/2", "invert": True}, "1/0/2", DPTBinary(1), "power", False),
    ("knxSwitch", {"address": "1/0/1", "stateAddress": "1/0/2"}, "1/0/1", DPTBinary(1), "power", True),
    ("knxLight", {"address": "1/0/1"}, "1/0/1", DPTBinary(1), "power", True),
    ("knxDimmer", DIMMER, "1/1/2", DPTBinary(1), "power", True),
    ("knxDimmer", DIMMER, "1/1/4", DPTArray((0x80,)), "brightness", 50),
    ("knxDimmer", DIMMER, "1/1/4", DPTArray((0xFF,)), "brightness", 100),
    ("knxDimmer", DIMMER, "1/1/3", DPTArray((0xBF,)), "brightness", 75),
    ("knxBlind", BLIND, "2/0/5", DPTArray((0x80,)), "percentage", 50),
    ("knxBlind", BLIND, "2/0/7", DPTArray((0x40,)), "angle", 25),
    ("knxBlind", BLIND, "2/0/6", DPTArray((0xFF,)), "angle", 100),
    ("knxThermostat", THERMOSTAT, "3/0/1", DPTArray((0x0C, 0x33)), "temperature", 21.5),
    ("knxThermostat", THERMOSTAT, "3/0/3", DPTArray((0x0C, 0x4C)), "targetTemperature", 22.0),
    ("knxThermostat", THERMOSTAT, "3/0/2", DPTArray((0x07, 0x6C)), "targetTemperature", 19.0),
    ("knxThermostat", THERMOSTAT, "3/0/5", DPTArray((0x01,)), "operatingMode", "comfort"),
    ("knxThermostat", THERMOSTAT, "3/0/5", DPTArray((0x02,)), "operatingMode", "standby"),
    ("knxThermostat", THERMOSTAT, "3/0/5", DPTArray((0x03,)), "operatingMode", "night"),
    ("knxThermostat", THERMOSTAT, "3/0/5", DPTArray((0x04,)), "operatingMode", "frost"),
    ("knxThermostat", THERMOSTAT, "3/0/7", DPTBinary(1), "chronoEnabled", True),
    ("knxHvac", HVAC, "4/0/2", DPTBinary(1), "power", True),
    ("knxHvac", HVAC, "4/0/4", DPTArray((0x0C, 0x33)), "targetTemperature", 21.5),
    ("knxHvac", HVAC, "4/0/6", DPTArray((0x03,)), "hvacMode", "cool"),
    ("knxHvac", HVAC, "4/0/6", DPTArray((0x01,)), "hvacMode", "heat"),
    ("knxHvac", HVAC, "4/0/6", DPTArray((0x0E,)), "hvacMode", "dry"),
    ("knxHvac", HVAC, "4/0/6", DPTArray((0x09,)), "hvacMode", "fan"),
    ("knxHvac", HVAC, "4/0/8", DPTArray((0x01,)), "fanSpeed", "min"),
    ("knxHvac", HVAC, "4/0/8", DPTArray((0x02,)), "fanSpeed", "avg"),
    ("knxHvac", HVAC, "4/0/8", DPTArray((0x03,)), "fanSpeed", "max"),
    ("knxHvac", HVAC, "4/0/8", DPTArray((0x05,)), "fanSpeed", "max"),
    ("knxHvac", HVAC, "4/0/9", DPTArray((0x85, 0xDA)), "temperature", -5.5),
    ("knxAnalogValue", {"stateAddress": "5/0/2", "minValue": -50.0}, "5/0/2", DPTArray((0x0C, 0x33)), "value", 21.5),
    (
        "knxAnalogValue",
        {"address": "5/0/1", "dpt": "14.056", "maxValue": 5000.0},
        "5/0/1",
        DPTArray((0x44, 0x9A, 0x50, 0x00)),
        "value",
        1234.5,
    ),
]


@pytest.mark.parametrize(
    ("class_name", "params", "address", "payload", "state_name", "expected"),
    DECODINGS,
    ids=[f"{c}-{a}-{s}-{e}" for c, p, a, _, s, e in DECODINGS],
)
@pytest.mark.parametrize("response", [False, True], ids=["write", "response"])
async def test_a_telegram_from_the_bus_sets_this_state(
    knx_hub: tuple[Hub, KnxIntegration, FakeBus],
    class_name: str,
    params: dict[str, Any],
    address: str,
    payload: DPTBinary | DPTArray,
    state_name: str,
    expected: Any,
    response: bool,
) -> None:
    """Every class's status (and write) addresses, as GroupValueWrite and as GroupValueResponse."""
    hub, _knx, bus = knx_hub
    thing = await add(hub, class_name, **params)
    subscription = hub.bus.subscribe("test")
    await bus.incoming(address, payload, response=response)
    assert state(thing, state_name) == expected
    if expected != thing.thing_class.state_type_named(state_name).default_value:  # type: ignore[union-attr]
        changed = await next_event(subscription, StateChanged, lambda e: e.thing_id == thing.id, within=2)
        assert changed.state_type_id == type_id(thing, state_name) and changed.value == expected


async def test_auto_from_the_bus_is_comfort_and_unknown_modes_are_ignored(
    knx_hub: tuple[Hub, KnxIntegration, FakeBus],
) -> None:
    """20.102 AUTO shows as comfort; a mode byte without a name, or a wrong-sized payload, changes nothing."""
    hub, _knx, bus = knx_hub
    thermostat = await add(hub, "knxThermostat", **THERMOSTAT)
    await bus.incoming("3/0/5", DPTArray((0x03,)))
    assert state(thermostat, "operatingMode") == "night"
    await bus.incoming("3/0/5", DPTArray((0x00,)))
    assert state(thermostat, "operatingMode") == "comfort"
    await bus.incoming("3/0/5", DPTArray((0x03,)))
    await bus.incoming("3/0/5", DPTArray((0x09,)))
    await bus.incoming("3/0/5", DPTBinary(1))
    await bus.incoming("3/0/1", DPTArray((0x01,)))
    assert state(thermostat, "operatingMode") == "night"
    assert state(thermostat, "temperature") == 0.0


async def test_every_report_reaches_watchers_changed_or_not(knx_hub: tuple[Hub, KnxIntegration, FakeBus]) -> None:
    """The same status three times is three reports (watch_state), one StateChanged."""
    hub, _knx, bus = knx_hub
    switch = await add(hub, "knxSwitch", address="1/0/1", stateAddress="1/0/2")
    reports: list[Any] = []
    unwatch = hub.watch_state(switch.id, type_id(switch, "power"), reports.append)
    subscription = hub.bus.subscribe("test")
    for _ in range(3):
        await bus.incoming("1/0/2", DPTBinary(1))
    unwatch()
    assert reports == [True, True, True]
    changes = []
    while not subscription.queue.empty():
        event = subscription.queue.get_nowait()
        if isinstance(event, StateChanged) and event.thing_id == switch.id:
            changes.append(event.value)
    assert changes == [True]


# ------------------------------------------------------------------------------------------------
# Optimistic states and status addresses
# ------------------------------------------------------------------------------------------------


async def test_without_status_address_the_state_follows_the_command(
    knx_hub: tuple[Hub, KnxIntegration, FakeBus],
) -> None:
    """No status address: the state is set once the send succeeded."""
    hub, _knx, _bus = knx_hub
    switch = await add(hub, "knxSwitch", address="1/0/1")
    assert (await run(hub, switch, "power", True)).ok
    assert state(switch, "power") is True
    dimmer = await add(hub, "knxDimmer", switchAddress="1/1/1", brightnessAddress="1/1/3")
    assert (await run(hub, dimmer, "brightness", 40)).ok
    assert state(dimmer, "brightness") == 40
    assert state(dimmer, "power") is True  # no switch status: a brightness above 0 means on


async def test_with_status_address_the_state_waits_for_the_actuator(
    knx_hub: tuple[Hub, KnxIntegration, FakeBus],
) -> None:
    """A status address: the command leaves the state alone until the actuator reports."""
    hub, _knx, bus = knx_hub
    switch = await add(hub, "knxSwitch", address="1/0/1", stateAddress="1/0/2")
    assert (await run(hub, switch, "power", True)).ok
    assert bus.writes()[-1] == ("1/0/1", "01", True)
    assert state(switch, "power") is False
    await bus.incoming("1/0/2", DPTBinary(1))
    assert state(switch, "power") is True


async def test_a_failed_send_sets_no_state(knx_hub: tuple[Hub, KnxIntegration, FakeBus]) -> None:
    """ConfirmationError and CommunicationError answer HARDWARE_NOT_AVAILABLE naming the address."""
    hub, _knx, bus = knx_hub
    switch = await add(hub, "knxSwitch", address="1/0/1")
    bus.failure = ConfirmationError("no L_DATA_CON")
    result = await run(hub, switch, "power", True)
    assert result.error is ThingError.HARDWARE_NOT_AVAILABLE and "1/0/1" in result.message
    assert state(switch, "power") is False
    bus.failure = CommunicationError("tunnel gone")
    result = await run(hub, switch, "power", True)
    assert result.error is ThingError.HARDWARE_NOT_AVAILABLE and "1/0/1" in result.message


async def test_an_unconfirmed_send_times_out_as_hardware_not_available(
    knx_hub: tuple[Hub, KnxIntegration, FakeBus],
) -> None:
    """No confirmation within the send timeout: HARDWARE_NOT_AVAILABLE, and the caller is not cancelled.

    The hub runs actions eagerly (core.eager): a timeout entered before the action's first
    suspension would belong to the caller's task and cancel the caller instead.
    """
    hub, _knx, bus = knx_hub
    switch = await add(hub, "knxSwitch", address="1/0/1")
    bus.hang = True
    with patch("thinggate.integrations.knx.connection.SEND_TIMEOUT", 0.2):
        result = await run(hub, switch, "power", True)
        await asyncio.sleep(0.3)  # a stray cancellation would hit this sleep
    assert result.error is ThingError.HARDWARE_NOT_AVAILABLE and "1/0/1" in result.message
    assert state(switch, "power") is False


async def test_commands_reach_other_things_on_the_same_address(knx_hub: tuple[Hub, KnxIntegration, FakeBus]) -> None:
    """A command on 1/0/1 is seen by a thing whose status address is 1/0/1 (the bus carries it to both)."""
    hub, _knx, _bus = knx_hub
    switch = await add(hub, "knxSwitch", address="1/0/1", stateAddress="1/0/2")
    mirror = await add(hub, "knxLight", address="1/0/3", stateAddress="1/0/1")
    assert (await run(hub, switch, "power", True)).ok
    assert state(mirror, "power") is True
    assert state(switch, "power") is False


# ------------------------------------------------------------------------------------------------
# Blind moving
# ------------------------------------------------------------------------------------------------


async def test_blind_moving_follows_travel_commands_and_position_reports(
    knx_hub: tuple[Hub, KnxIntegration, FakeBus],
) -> None:
    """Moving after close/position, still moving on the way, not once the target is reported or on stop."""
    hub, _knx, bus = knx_hub
    blind = await add(hub, "knxBlind", **BLIND)
    assert (await run(hub, blind, "close")).ok
    assert state(blind, "moving") is True
    await bus.incoming("2/0/5", DPTArray((0x80,)))  # 50 % on the way down
    assert (state(blind, "percentage"), state(blind, "moving")) == (50, True)
    await bus.incoming("2/0/5", DPTArray((0xFF,)))
    assert (state(blind, "percentage"), state(blind, "moving")) == (100, False)
    assert (await run(hub, blind, "percentage", 30)).ok
    assert (state(blind, "percentage"), state(blind, "moving")) == (100, True)  # follows the bus only
    assert (await run(hub, blind, "stop")).ok
    assert state(blind, "moving") is False
    await bus.incoming("2/0/1", DPTBinary(0))  # a wall switch sends up
    assert state(blind, "moving") is True
    await bus.incoming("2/0/2", DPTBinary(1))  # a step stops it
    assert state(blind, "moving") is False


async def test_blind_without_position_status_takes_the_target(knx_hub: tuple[Hub, KnxIntegration, FakeBus]) -> None:
    """No position feedback: the position is the target at once and nothing is left 'moving'."""
    hub, _knx, _bus = knx_hub
    blind = await add(hub, "knxBlind", upDownAddress="2/0/1", positionAddress="2/0/4", angleAddress="2/0/6")
    assert (await run(hub, blind, "close")).ok
    assert (state(blind, "percentage"), state(blind, "moving")) == (100, False)
    assert (await run(hub, blind, "percentage", 40)).ok
    assert state(blind, "percentage") == 40
    assert (await run(hub, blind, "angle", 60)).ok
    assert state(blind, "angle") == 60


# ------------------------------------------------------------------------------------------------
# Events
# ------------------------------------------------------------------------------------------------


async def test_scene_launched_when_its_number_is_seen(knx_hub: tuple[Hub, KnxIntegration, FakeBus]) -> None:
    """Its own number raises `launched`; another number or a learn telegram does not."""
    hub, _knx, bus = knx_hub
    scene = await add(hub, "knxScene", address="6/0/1", sceneNumber=3)
    learnt = await add(hub, "knxScene", address="6/0/2", sceneNumber=3, dpt="18.001")
    subscription = hub.bus.subscribe("test")
    await bus.incoming("6/0/1", DPTArray((0x04,)))  # scene 5
    await bus.incoming("6/0/2", DPTArray((0x82,)))  # learn scene 3
    await bus.incoming("6/0/1", DPTArray((0x02,)))  # scene 3
    event = await next_event(subscription, EventTriggered, within=2)
    assert (event.event.thing_id, event.event.event_type_id) == (scene.id, type_id(scene, "launched"))
    await bus.incoming("6/0/2", DPTArray((0x02,)))  # recall scene 3 (18.001)
    event = await next_event(subscription, EventTriggered, within=2)
    assert event.event.thing_id == learnt.id
    assert not [e for e in drain(subscription) if isinstance(e, EventTriggered)]


async def test_button_pressed_only_for_its_value(knx_hub: tuple[Hub, KnxIntegration, FakeBus]) -> None:
    """A telegram with the button's value raises `pressed`; the other value does not."""
    hub, _knx, bus = knx_hub
    button = await add(hub, "knxButton", address="7/0/1", value=1)
    events: list[Any] = []
    hub.bus.listen(lambda e: events.append(e) if isinstance(e, EventTriggered) else None)
    await bus.incoming("7/0/1", DPTBinary(0))
    assert events == []
    await bus.incoming("7/0/1", DPTBinary(1))
    assert [e.event.event_type_id for e in events] == [type_id(button, "pressed")]


async def test_own_launch_and_trigger_raise_their_events(knx_hub: tuple[Hub, KnxIntegration, FakeBus]) -> None:
    """The hub's own scene launch and button press are on the bus too: `launched` and `pressed` follow."""
    hub, _knx, _bus = knx_hub
    scene = await add(hub, "knxScene", address="6/0/1", sceneNumber=4)
    button = await add(hub, "knxButton", address="7/0/1")
    events: list[Any] = []
    hub.bus.listen(lambda e: events.append(e.event) if isinstance(e, EventTriggered) else None)
    assert (await run(hub, scene, "launch")).ok
    assert (await run(hub, button, "trigger")).ok
    assert [(e.thing_id, e.event_type_id) for e in events] == [
        (scene.id, type_id(scene, "launched")),
        (button.id, type_id(button, "pressed")),
    ]


# ------------------------------------------------------------------------------------------------
# Connection
# ------------------------------------------------------------------------------------------------


def test_connection_config_follows_the_settings() -> None:
    """Tunnelling, routing and automatic map onto xknx's config; xknx's own reconnect is always off."""
    from xknx.io import ConnectionType

    from thinggate.integrations.knx.connection import connection_config

    tunnel = connection_config(KnxSettings(gateway_ip="10.0.0.5", gateway_port=3700, local_ip="10.0.0.2"))
    assert tunnel.connection_type is ConnectionType.TUNNELING
    assert (tunnel.gateway_ip, tunnel.gateway_port) == ("10.0.0.5", 3700)
    assert (tunnel.local_ip, tunnel.auto_reconnect) == ("10.0.0.2", False)
    routing = connection_config(
        KnxSettings(
            connection_type="routing",
            individual_address="1.1.250",
            multicast_group="224.0.23.13",
            multicast_port=3700,
        )
    )
    assert routing.connection_type is ConnectionType.ROUTING
    assert (str(routing.individual_address), routing.multicast_group, routing.multicast_port) == (
        "1.1.250",
        "224.0.23.13",
        3700,
    )
    assert not routing.auto_reconnect
    automatic = connection_config(KnxSettings(connection_type="automatic"))
    assert (automatic.connection_type, automatic.auto_reconnect) == (ConnectionType.AUTOMATIC, False)


async def test_rate_limit_paces_the_sends(fake_bus: FakeBus) -> None:
    """rate_limit = 10: consecutive telegrams leave at least 0.1 s apart."""
    times: list[float] = []
    loop = asyncio.get_running_loop()
    async with started_hub(fake_bus, KnxSettings(reconnect_seconds=0.05, rate_limit=10)) as (_hub, knx, bus):
        await asyncio.sleep(0.2)
        for number in range(4):
            await knx.write_group_value(f"9/0/{number + 1}", "bit", 1)
            times.append(loop.time())
        assert len(bus.writes()) == 4
    gaps = [later - earlier for earlier, later in itertools.pairwise(times)]
    assert min(gaps) >= 0.095, gaps


async def test_connected_state_follows_the_link(knx_hub: tuple[Hub, KnxIntegration, FakeBus]) -> None:
    """Losing the link makes every thing unconnected and actions answer HARDWARE_NOT_AVAILABLE; it comes back."""
    hub, knx, bus = knx_hub
    switch = await add(hub, "knxSwitch", address="1/0/1")
    scene = await add(hub, "knxScene", address="6/0/1")
    assert state(switch, "connected") is True and knx.connected
    bus.down = True
    bus.lose_link()
    assert not knx.connected
    assert (state(switch, "connected"), state(scene, "connected")) == (False, False)
    bus.sent.clear()
    result = await run(hub, switch, "power", True)
    assert result.error is ThingError.HARDWARE_NOT_AVAILABLE
    assert (await run(hub, scene, "stop")).error is ThingError.HARDWARE_NOT_AVAILABLE
    assert bus.sent == []
    bus.down = False
    assert await knx.wait_until_connected(2)
    assert state(switch, "connected") is True
    assert (await run(hub, switch, "power", True)).ok


async def test_hub_starts_while_the_gateway_is_away(fake_bus: FakeBus) -> None:
    """start() does not wait for the gateway; things are set up unconnected and connect later."""
    fake_bus.down = True
    async with started_hub(fake_bus, FAST, wait=False) as (hub, knx, bus):
        switch = await add(hub, "knxSwitch", address="1/0/1", stateAddress="1/0/2")
        assert not knx.connected and state(switch, "connected") is False
        await asyncio.sleep(0.2)  # a few failed attempts
        bus.down = False
        assert await knx.wait_until_connected(2)
        assert state(switch, "connected") is True
        await asyncio.sleep(0.2)
        assert "1/0/2" in bus.reads()


async def test_status_addresses_are_read_on_connect(knx_hub: tuple[Hub, KnxIntegration, FakeBus]) -> None:
    """GroupValueRead for every status address (once each), none for write-only addresses."""
    hub, _knx, bus = knx_hub
    await add(hub, "knxBlind", **BLIND)
    await add(hub, "knxSwitch", address="1/0/1", stateAddress="2/0/5")
    await add(hub, "knxButton", address="7/0/1")
    await asyncio.sleep(0.5)
    bus.sent.clear()
    bus.lose_link()
    assert await bus.knx.wait_until_connected(2)  # type: ignore[union-attr]
    for _ in range(40):
        if len(bus.reads()) >= 2:
            break
        await asyncio.sleep(0.05)
    await asyncio.sleep(0.2)
    assert sorted(bus.reads()) == ["2/0/5", "2/0/7"]


# ------------------------------------------------------------------------------------------------
# address_of
# ------------------------------------------------------------------------------------------------


async def test_address_of_names_status_then_write_addresses(knx_hub: tuple[Hub, KnxIntegration, FakeBus]) -> None:
    """States answer their status address (else the write address), actions what they write."""
    hub, knx, _bus = knx_hub
    blind = await add(hub, "knxBlind", **{**BLIND, "angleStateAddress": ""})
    assert knx.address_of(blind, type_id(blind, "percentage")) == "2/0/5"
    assert knx.address_of(blind, type_id(blind, "angle")) == "2/0/6"
    assert knx.address_of(blind, type_id(blind, "open")) == "2/0/1"
    assert knx.address_of(blind, type_id(blind, "close")) == "2/0/1"
    assert knx.address_of(blind, type_id(blind, "stop")) == "2/0/3"
    assert knx.address_of(blind, type_id(blind, "stepUp")) == "2/0/2"
    assert knx.address_of(blind, type_id(blind, "stepDown")) == "2/0/2"
    assert knx.address_of(blind, type_id(blind, "moving")) is None
    assert knx.address_of(blind, type_id(blind, "connected")) is None
    switch = await add(hub, "knxSwitch", address="1/1")
    assert knx.address_of(switch, type_id(switch, "power")) == "1/0/1"
    scene = await add(hub, "knxScene", address="6/0/1")
    assert knx.address_of(scene, type_id(scene, "launch")) == "6/0/1"
    assert knx.address_of(scene, type_id(scene, "stop")) is None
    button = await add(hub, "knxButton", address="7/0/1")
    assert knx.address_of(button, type_id(button, "trigger")) == "7/0/1"
    thermostat = await add(hub, "knxThermostat", **THERMOSTAT)
    assert knx.address_of(thermostat, type_id(thermostat, "temperature")) == "3/0/1"
    assert knx.address_of(thermostat, type_id(thermostat, "operatingMode")) == "3/0/5"


# ------------------------------------------------------------------------------------------------
# Raw writes
# ------------------------------------------------------------------------------------------------

RAW: list[tuple[str, float, str, bool]] = [
    ("bit", 0, "00", True),
    ("bit", 1, "01", True),
    ("bit", 1.0, "01", True),
    ("4bits", 0, "00", True),
    ("4bits", 9, "09", True),
    ("4bits", 31, "1F", True),
    ("byte", 0, "00", False),
    ("byte", 200, "C8", False),
    ("byte", 255, "FF", False),
    ("byte_signed", -128, "80", False),
    ("byte_signed", -1, "FF", False),
    ("byte_signed", 0, "00", False),
    ("byte_signed", 127, "7F", False),
    ("float2", 21.5, "0C 33", False),
    ("float2", 0, "00 00", False),
    ("float2", -671088.64, "F8 00", False),
    ("float2", 670433.28, "7F FE", False),
    ("float4", 1234.5, "44 9A 50 00", False),
    ("float4", -1.0, "BF 80 00 00", False),
    ("float4", 3.4028234663852886e38, "7F 7F FF FF", False),
]


@pytest.mark.parametrize(("kind", "value", "expected", "is_small"), RAW, ids=[f"{k}-{v}" for k, v, _, _ in RAW])
async def test_raw_writes_are_byte_exact(
    knx_hub: tuple[Hub, KnxIntegration, FakeBus], kind: str, value: float, expected: str, is_small: bool
) -> None:
    """Every kind at its edges: the payload bytes and whether they travel in the APCI byte."""
    _hub, knx, bus = knx_hub
    await knx.write_group_value("9/1/1", kind, value)
    assert bus.writes() == [("9/1/1", expected, is_small)]


RAW_REFUSED: list[tuple[str, Any, str]] = [
    ("bit", 2, "2"),
    ("bit", -1, "-1"),
    ("bit", 0.5, "0.5"),
    ("4bits", 32, "32"),
    ("4bits", -1, "-1"),
    ("byte", 256, "256"),
    ("byte", -1, "-1"),
    ("byte", 1.5, "1.5"),
    ("byte_signed", 128, "128"),
    ("byte_signed", -129, "-129"),
    ("byte_signed", 0.25, "0.25"),
    ("float2", 670760.97, "670760.97"),
    ("float2", -671088.65, "-671088.65"),
    ("float2", float("nan"), "nan"),
    ("float4", float("inf"), "inf"),
    ("float4", 1e39, "1e+39"),
    ("byte", "12", "'12'"),
    ("word", 1, "'word'"),
]


@pytest.mark.parametrize(("kind", "value", "named"), RAW_REFUSED, ids=[f"{k}-{v}" for k, v, _ in RAW_REFUSED])
async def test_raw_writes_refuse_what_the_kind_cannot_carry(
    knx_hub: tuple[Hub, KnxIntegration, FakeBus], kind: str, value: Any, named: str
) -> None:
    """Out of range, not whole for an integer kind, not a number, unknown kind: ValueError naming it."""
    _hub, knx, bus = knx_hub
    with pytest.raises(ValueError, match=named.replace("+", r"\+").replace(".", r"\.")):
        await knx.write_group_value("9/1/1", kind, value)
    assert bus.sent == []


async def test_raw_writes_need_a_group_address_and_a_bus(knx_hub: tuple[Hub, KnxIntegration, FakeBus]) -> None:
    """A malformed address is a ValueError; no bus or a failed send is HARDWARE_NOT_AVAILABLE."""
    from thinggate.core.errors import ThingFailure

    _hub, knx, bus = knx_hub
    with pytest.raises(ValueError, match="x/y/z"):
        await knx.write_group_value("x/y/z", "bit", 1)
    bus.failure = ConfirmationError("no confirmation")
    with pytest.raises(ThingFailure) as failed:
        await knx.write_group_value("9/1/1", "bit", 1)
    assert failed.value.error is ThingError.HARDWARE_NOT_AVAILABLE and "9/1/1" in failed.value.message
    bus.failure = None
    bus.down = True
    bus.lose_link()
    with pytest.raises(ThingFailure) as unconnected:
        await knx.write_group_value("9/1/1", "bit", 1)
    assert unconnected.value.error is ThingError.HARDWARE_NOT_AVAILABLE
    assert bus.sent == []


async def test_raw_writes_update_listening_things(knx_hub: tuple[Hub, KnxIntegration, FakeBus]) -> None:
    """A raw write counts as if the bus echoed it: on a write address too, status address or not."""
    hub, knx, _bus = knx_hub
    switch = await add(hub, "knxSwitch", address="1/0/1", stateAddress="1/0/2")
    thermostat = await add(hub, "knxThermostat", **THERMOSTAT)
    button = await add(hub, "knxButton", address="7/0/1")
    events: list[Any] = []
    hub.bus.listen(lambda e: events.append(e) if isinstance(e, EventTriggered) else None)
    await knx.write_group_value("1/0/1", "bit", 1)
    assert state(switch, "power") is True
    await knx.write_group_value("3/0/3", "float2", 23.5)
    assert state(thermostat, "targetTemperature") == 23.5
    await knx.write_group_value("7/0/1", "bit", 1)
    assert [e.event.thing_id for e in events] == [button.id]


# ------------------------------------------------------------------------------------------------
# Settings
# ------------------------------------------------------------------------------------------------

GUID = "1lzPszHWAeuvzxtXBMkzWQ"


def test_settings_defaults_and_a_full_section() -> None:
    """Defaults as documented; every key of the section lands in the settings, params converted."""
    assert parse_knx_section({}) == KnxSettings()
    assert KnxSettings().connection_type == "tunneling" and KnxSettings().gateway_port == 3671
    settings = parse_knx_section(
        {
            "connection_type": "routing",
            "gateway_ip": "192.168.1.10",
            "gateway_port": 3672,
            "local_ip": "192.168.1.2",
            "individual_address": "1.1.250",
            "multicast_group": "224.0.23.13",
            "multicast_port": 3673,
            "reconnect_seconds": 1.5,
            "rate_limit": 20,
            "things": [
                {"class": "knxSwitch", "name": "Pump", "room": "Garden", "address": "1/1", "invert": True},
                {"class": "knxBlind", "name": "Blind", "guid": GUID, "upDownAddress": "2/0/1"},
            ],
        }
    )
    assert (settings.connection_type, settings.gateway_ip, settings.gateway_port) == ("routing", "192.168.1.10", 3672)
    assert (settings.local_ip, settings.individual_address) == ("192.168.1.2", "1.1.250")
    assert (settings.multicast_group, settings.multicast_port) == ("224.0.23.13", 3673)
    assert (settings.reconnect_seconds, settings.rate_limit) == (1.5, 20)
    pump, blind = settings.things
    assert (pump.thing_class, pump.name, pump.room, pump.guid) == ("knxSwitch", "Pump", "Garden", None)
    assert pump.param_dict() == {"address": "1/0/1", "invert": True}
    assert pump.thing_id == uuid.uuid5(NAMESPACE, "configured/Pump")
    assert blind.thing_id == guid_to_uuid(GUID) and uuid_to_guid(blind.thing_id) == GUID


BAD_SECTIONS: list[tuple[dict[str, Any], str]] = [
    ({"connection_type": "tcp"}, "connection_type = 'tcp'"),
    ({"gateway_port": 70000}, "gateway_port = 70000"),
    ({"gateway_port": "3671"}, "gateway_port = '3671'"),
    ({"reconnect_seconds": 0}, "reconnect_seconds = 0"),
    ({"rate_limit": -1}, "rate_limit = -1"),
    ({"multicast_group": "10.0.0.1"}, "multicast_group = '10.0.0.1'"),
    ({"individual_address": "1/1/1"}, "individual_address = '1/1/1'"),
    ({"gatway_ip": "1.2.3.4"}, "gatway_ip = '1.2.3.4'"),
    ({"things": [{"class": "knxToaster", "name": "T"}]}, "things[0].class = 'knxToaster'"),
    ({"things": [{"class": "knxSwitch", "address": "1/0/1"}]}, "things[0].name = None"),
    ({"things": [{"class": "knxSwitch", "name": "S", "address": "x/y/z"}]}, "things[0].address = 'x/y/z'"),
    ({"things": [{"class": "knxSwitch", "name": "S", "adress": "1/0/1"}]}, "things[0].adress = '1/0/1'"),
    ({"things": [{"class": "knxSwitch", "name": "S"}]}, "needs address"),
    ({"things": [{"class": "knxSwitch", "name": "S", "address": "1/0/1", "invert": "maybe"}]}, "invert = 'maybe'"),
    ({"things": [{"class": "knxScene", "name": "S", "address": "1/0/1", "sceneNumber": 65}]}, "sceneNumber = 65"),
    ({"things": [{"class": "knxSwitch", "name": "S", "address": "1/0/1", "guid": "short"}]}, "guid = 'short'"),
    (
        {
            "things": [
                {"class": "knxSwitch", "name": "S", "address": "1/0/1"},
                {"class": "knxLight", "name": "S", "address": "1/0/2"},
            ]
        },
        "things[1]",
    ),
]


@pytest.mark.parametrize(("raw", "named"), BAD_SECTIONS, ids=[n for _, n in BAD_SECTIONS])
def test_a_bad_section_names_the_key_and_value(raw: dict[str, Any], named: str) -> None:
    """ValueError whose message says which key has which bad value."""
    with pytest.raises(ValueError) as refused:
        parse_knx_section(raw)
    assert named in str(refused.value)


def test_guids_are_canonical_22_character_base64() -> None:
    """A GUID is 16 bytes: other lengths, alphabets and non-canonical spellings are refused."""
    assert uuid_to_guid(guid_to_uuid(GUID)) == GUID
    for bad in ("", "1lzPszHWAeuvzxtXBMkzW", "1lzPszHWAeuvzxtXBMkzW+", "1lzPszHWAeuvzxtXBMkzWR"):
        with pytest.raises(ValueError):
            guid_to_uuid(bad)


# ------------------------------------------------------------------------------------------------
# Configured things
# ------------------------------------------------------------------------------------------------


async def test_configured_things_are_added_reconfigured_and_others_left_alone(
    fake_bus: FakeBus, caplog: pytest.LogCaptureFixture
) -> None:
    """The file's things appear with their ids; a changed param reconfigures; API things stay."""
    section = {
        "things": [
            {"class": "knxSwitch", "name": "Pump", "room": "Garden", "address": "1/0/1"},
            {
                "class": "knxBlind",
                "name": "Blind",
                "guid": GUID,
                "upDownAddress": "2/0/1",
                "positionStateAddress": "2/0/5",
            },
        ]
    }
    settings = parse_knx_section({**section, "reconnect_seconds": 0.05})
    store = MemoryStore()
    hub = Hub(store=store)
    knx = KnxIntegration(settings=settings)
    fake_bus.knx = knx
    hub.register(knx)
    await hub.start()
    try:
        await hub.wait_until_set_up()
        other = await add(hub, "knxLight", "API light", address="1/0/9")
        await sync_configured_things(hub, knx)
        pump = hub.things[uuid.uuid5(NAMESPACE, "configured/Pump")]
        blind = hub.things[guid_to_uuid(GUID)]
        assert (pump.name, pump.room, pump.param("address")) == ("Pump", "Garden", "1/0/1")
        assert (blind.thing_class.name, blind.param("positionStateAddress")) == ("knxBlind", "2/0/5")
        assert len(hub.things) == 3
        await sync_configured_things(hub, knx)  # nothing changed: nothing happens
        assert len(hub.things) == 3
    finally:
        await hub.stop()

    # Restart with a changed address and a broken entry (a guid already used by another class).
    changed = {
        "things": [
            {"class": "knxSwitch", "name": "Pump", "room": "Garden", "address": "1/0/2"},
            {"class": "knxSwitch", "name": "Impostor", "guid": GUID, "address": "1/0/3"},
        ]
    }
    hub = Hub(store=store)
    knx = KnxIntegration(settings=parse_knx_section({**changed, "reconnect_seconds": 0.05}))
    fake_bus.knx = knx
    hub.register(knx)
    await hub.start()
    try:
        await hub.wait_until_set_up()
        with caplog.at_level(logging.ERROR):
            await sync_configured_things(hub, knx)
        assert hub.things[uuid.uuid5(NAMESPACE, "configured/Pump")].param("address") == "1/0/2"
        assert hub.things[guid_to_uuid(GUID)].thing_class.name == "knxBlind"  # left alone
        assert other.id in hub.things
        assert "Impostor" in caplog.text
    finally:
        await hub.stop()


# ------------------------------------------------------------------------------------------------
# ETS import
# ------------------------------------------------------------------------------------------------


def _project(path: Path) -> Path:
    return write_knxproj(
        path,
        name="Test house",
        mains=[
            Main(
                "Lights",
                [
                    Middle(
                        "Living",
                        [
                            Ga("1/0/1", "Living dimmer switch", "1.001"),
                            Ga("1/0/2", "Living dimmer switch status", "1.001"),
                            Ga("1/0/3", "Living dimmer brightness", "5.001"),
                            Ga("1/0/4", "Living dimmer brightness status", "5.001"),
                            Ga("1/0/5", "Ceiling light", "1.001"),
                            Ga("1/0/6", "Ceiling light Rückmeldung", "1.001"),
                            Ga("1/0/7", "Fountain pump", "1.001"),
                        ],
                    )
                ],
            ),
            Main(
                "Blinds",
                [
                    Middle(
                        "Kitchen",
                        [
                            Ga("2/1/1", "Kitchen blind up/down", "1.008"),
                            Ga("2/1/2", "Kitchen blind step", "1.007"),
                            Ga("2/1/3", "Kitchen blind stop", "1.010"),
                            Ga("2/1/4", "Kitchen blind position", "5.001"),
                            Ga("2/1/5", "Kitchen blind position status", "5.001"),
                            Ga("2/1/6", "Kitchen blind lamella", "5.001"),
                            Ga("2/1/7", "Kitchen blind lamella status", "5.001"),
                        ],
                    )
                ],
            ),
            Main(
                "Heating",
                [
                    Middle(
                        "Bath",
                        [
                            Ga("3/2/1", "Bath temperature", "9.001"),
                            Ga("3/2/2", "Bath setpoint", "9.001"),
                            Ga("3/2/3", "Bath setpoint status", "9.001"),
                            Ga("3/2/4", "Bath mode", "20.102"),
                            Ga("3/2/5", "Bath mode status", "20.102"),
                            Ga("3/2/6", "Outdoor temperature", "9.001"),
                        ],
                    )
                ],
            ),
            Main(
                "Central",
                [
                    Middle(
                        "Scenes",
                        [
                            Ga("4/0/1", "Evening scene 3", "17.001"),
                            Ga("4/0/2", "Clock", "10.001"),
                            Ga("4/0/3", "Mystery", None),
                        ],
                    )
                ],
            ),
        ],
        rooms=(Room("Living room", {"Dimmer": ["1/0/1", "1/0/3"]}),),
    )


def test_import_plan_classifies_the_project(tmp_path: Path) -> None:
    """Dimmer, blind, thermostat, light, switch, analog value and scene; time and no-DPT skipped."""
    plan = plan_import(_project(tmp_path / "house.knxproj"))
    assert plan.project_name == "Test house"
    by_class = {(t.thing_class, t.name): t for t in plan.things}
    assert sorted(by_class) == sorted(
        [
            ("knxDimmer", "Living dimmer"),
            ("knxLight", "Ceiling light"),
            ("knxSwitch", "Fountain pump"),
            ("knxBlind", "Kitchen blind"),
            ("knxThermostat", "Bath"),
            ("knxAnalogValue", "Outdoor temperature"),
            ("knxScene", "Evening scene 3"),
        ]
    )
    dimmer = by_class[("knxDimmer", "Living dimmer")]
    assert dimmer.room == "Living room"  # from the building structure
    assert dimmer.params == {
        "switchAddress": "1/0/1",
        "switchStateAddress": "1/0/2",
        "brightnessAddress": "1/0/3",
        "brightnessStateAddress": "1/0/4",
    }
    light = by_class[("knxLight", "Ceiling light")]
    assert light.params == {"address": "1/0/5", "stateAddress": "1/0/6", "invert": False}
    assert by_class[("knxSwitch", "Fountain pump")].params == {"address": "1/0/7", "invert": False}
    blind = by_class[("knxBlind", "Kitchen blind")]
    assert blind.room == "Kitchen"  # from the middle group
    assert blind.params == {
        "upDownAddress": "2/1/1",
        "stepAddress": "2/1/2",
        "stopAddress": "2/1/3",
        "positionAddress": "2/1/4",
        "positionStateAddress": "2/1/5",
        "angleAddress": "2/1/6",
        "angleStateAddress": "2/1/7",
    }
    assert by_class[("knxThermostat", "Bath")].params == {
        "temperatureAddress": "3/2/1",
        "targetTemperatureAddress": "3/2/2",
        "targetTemperatureStateAddress": "3/2/3",
        "operatingModeAddress": "3/2/4",
        "operatingModeStateAddress": "3/2/5",
    }
    assert by_class[("knxAnalogValue", "Outdoor temperature")].params["dpt"] == "9.001"
    assert by_class[("knxScene", "Evening scene 3")].params == {"address": "4/0/1", "sceneNumber": 3, "dpt": "17.001"}
    assert sorted(plan.skipped) == [
        ("4/0/2", "Clock", "no thing class for DPT 10.001 here"),
        ("4/0/3", "Mystery", "no DPT in the project"),
    ]


def test_import_of_a_file_that_is_no_project(tmp_path: Path) -> None:
    """Not a zip, or a zip without a project: ValueError naming the file."""
    junk = tmp_path / "junk.knxproj"
    junk.write_bytes(b"not a zip")
    with pytest.raises(ValueError, match=r"junk\.knxproj"):
        plan_import(junk)


async def test_apply_import_adds_once(fake_bus: FakeBus, tmp_path: Path) -> None:
    """The planned things are added with their params and rooms; a second import adds nothing."""
    plan = plan_import(_project(tmp_path / "house.knxproj"))
    async with started_hub(fake_bus, FAST) as (hub, _knx, bus):
        seen: list[tuple[int, int]] = []
        summary = await apply_import(hub, plan, progress=lambda done, total: seen.append((done, total)))
        assert summary.failed == [] and summary.existing == []
        assert len(summary.added) == len(plan.things) == 7
        assert seen == [(n, 7) for n in range(1, 8)]
        blind = next(t for t in hub.things.values() if t.thing_class.name == "knxBlind")
        assert (blind.name, blind.room, blind.param("positionStateAddress")) == ("Kitchen blind", "Kitchen", "2/1/5")
        assert blind.id == plan.things[[t.name for t in plan.things].index("Kitchen blind")].thing_id
        again = await apply_import(hub, plan_import(tmp_path / "house.knxproj"))
        assert again.added == [] and sorted(again.existing) == sorted(summary.added)
        assert len(hub.things) == 7
        # The imported things work: the dimmer's brightness status arrives.
        dimmer = next(t for t in hub.things.values() if t.thing_class.name == "knxDimmer")
        await bus.incoming("1/0/4", DPTArray((0x80,)))
        assert state(dimmer, "brightness") == 50
