"""Telegrams to states: what a telegram from the bus sets, and who is told."""

from __future__ import annotations

from typing import Any

import pytest
from xknx.dpt import DPTArray, DPTBinary

from tests.hubtools import next_event
from tests.integrations.knx.rig import BLIND, DIMMER, HVAC, THERMOSTAT, FakeBus, state
from tests.integrations.knx.tools import add, type_id
from thinggate.core.events import StateChanged
from thinggate.core.hub import Hub
from thinggate.integrations.knx import KnxIntegration

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
