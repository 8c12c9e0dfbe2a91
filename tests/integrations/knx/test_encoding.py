"""Actions to telegrams: each action writes exactly this payload to this address; address_of names them."""

from __future__ import annotations

from typing import Any

import pytest

from tests.integrations.knx.rig import BLIND, DIMMER, HVAC, THERMOSTAT, FakeBus
from tests.integrations.knx.tools import add, run, type_id
from thinggate.core.errors import ThingError
from thinggate.core.hub import Hub
from thinggate.integrations.knx import KnxIntegration

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
