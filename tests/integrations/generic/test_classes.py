"""Thing types as classes: resources become states (settable ones actions), catalogue names interfaces."""

from __future__ import annotations

from typing import Any

import pytest

from thinggate.core.model import BasicType, Unit
from thinggate.core.store import ThingTypeRecord
from thinggate.integrations.generic import GenericIntegration
from thinggate.integrations.generic.classes import thing_class_for
from thinggate.integrations.generic.manifest import PLUGIN, class_id


def record(resources: list[dict[str, Any]], virtual: list[dict[str, Any]] | None = None) -> ThingTypeRecord:
    return ThingTypeRecord(
        id="lights", domain="root", label="Lights", resources=resources, virtual_resources=virtual or []
    )


def test_resources_are_states_and_settable_ones_actions() -> None:
    made = thing_class_for(
        record(
            [
                {"name": "pm25", "type": "double", "label": "PM 2.5"},
                {"name": "setpoint", "type": "long", "isSettable": True},
            ],
            [{"name": "note", "type": "string", "isSettable": True}],
        )
    )
    assert made.id == class_id("lights") and made.plugin_id == PLUGIN.id and made.display_name == "Lights"
    assert [(s.name, s.type, s.writable, s.display_name) for s in made.state_types] == [
        ("pm25", BasicType.DOUBLE, False, "PM 2.5"),
        ("setpoint", BasicType.INT, True, "setpoint"),
        ("note", BasicType.STRING, True, "note"),
        ("connected", BasicType.BOOL, False, "Connected"),  # every generic thing's (the MQTT connection)
    ]
    assert sorted(a.name for a in made.action_types) == ["note", "setpoint"]
    assert made.interfaces == ("connectable",)
    assert [p.name for p in made.param_types] == ["thingName"] and made.param_types[0].read_only
    assert [p.name for p in made.settings_types] == ["description", "externalId"]
    # Ids derive from the type's id and the names: the same after a restart.
    assert thing_class_for(record([{"name": "pm25", "type": "double"}])).state_types[0].id == made.state_types[0].id


@pytest.mark.parametrize(
    ("resources", "interfaces"),
    [
        ([{"name": "power", "type": "boolean", "isSettable": True}], ("power",)),
        (
            [
                {"name": "power", "type": "boolean", "isSettable": True},
                {"name": "brightness", "type": "long", "isSettable": True},
            ],
            ("dimmablelight", "light", "power"),
        ),
        ([{"name": "temperature", "type": "double"}], ("temperaturesensor", "sensor")),
        ([{"name": "humidity", "type": "float"}], ("humiditysensor", "sensor")),
        (
            [{"name": "temperature", "type": "double"}, {"name": "humidity", "type": "double"}],
            ("temperaturesensor", "sensor", "humiditysensor"),
        ),
        ([{"name": "power", "type": "boolean"}], ()),  # power is written by clients: a read-only one is not it
        ([{"name": "temperature", "type": "string"}], ()),  # a name alone is not enough: the kind must match
        ([{"name": "brightness", "type": "long", "isSettable": True}], ()),  # dimmablelight needs power too
    ],
)
def test_catalogue_names_give_interfaces(resources: list[dict[str, Any]], interfaces: tuple[str, ...]) -> None:
    # Matched interfaces first, then `connectable`, which every generic class has.
    assert thing_class_for(record(resources)).interfaces == (*interfaces, "connectable")


def test_connected_is_a_reserved_resource_name() -> None:
    with pytest.raises(ValueError, match="reserved"):
        thing_class_for(record([{"name": "connected", "type": "boolean"}]))


def test_an_interface_state_takes_the_catalogues_unit_and_range() -> None:
    made = thing_class_for(
        record(
            [
                {"name": "power", "type": "boolean", "isSettable": True},
                {"name": "brightness", "type": "integer", "isSettable": True},
                {"name": "temperature", "type": "double", "label": "Room"},
            ]
        )
    )
    brightness = made.state_type_named("brightness")
    temperature = made.state_type_named("temperature")
    assert brightness is not None and temperature is not None
    assert (brightness.min_value, brightness.max_value, brightness.unit) == (0, 100, Unit.PERCENTAGE)
    assert (temperature.unit, temperature.display_name) == (Unit.DEGREE_CELSIUS, "Room")  # the type's label wins


@pytest.mark.parametrize(
    ("resources", "virtual", "named"),
    [
        ([{"name": "1st", "type": "double"}], [], "1st"),
        ([{"name": "a", "type": "varchar"}], [], "varchar"),
        ([{"name": "a", "type": "long"}, {"name": "a", "type": "long"}], [], "twice"),
        ([{"name": "a", "type": "long"}], [{"name": "a", "type": "long"}], "twice"),
    ],
)
def test_a_resource_that_cannot_be_a_state_is_refused_by_name(
    resources: list[dict[str, Any]], virtual: list[dict[str, Any]], named: str
) -> None:
    with pytest.raises(ValueError, match=named):
        thing_class_for(record(resources, virtual))


def test_the_integration_makes_classes_of_thing_types() -> None:
    generic = GenericIntegration()
    assert generic.plugin_id == PLUGIN.id
    assert generic.thing_class(record([])).id == class_id("lights")
