"""The KNX thing classes (the names other doors use, ids from names, units) and their params."""

from __future__ import annotations

import uuid

import pytest

from tests.integrations.knx.rig import FakeBus
from tests.integrations.knx.tools import add, add_result, run, type_id
from thinggate.core.errors import ThingError
from thinggate.core.hub import Hub
from thinggate.core.model import BasicType, ThingClass, Unit
from thinggate.integrations.knx import KnxIntegration
from thinggate.integrations.knx.devices import CLASSES_BY_NAME, THING_CLASSES
from thinggate.integrations.knx.ids import NAMESPACE, kid

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
