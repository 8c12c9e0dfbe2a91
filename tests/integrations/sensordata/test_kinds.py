"""The sensor-data integration: its kinds table, its classes (on the catalogue's interfaces) and child discovery."""

from __future__ import annotations

import pytest

from thinggate.core.hub import Hub
from thinggate.core.interfaces import CATALOGUE, required_state
from thinggate.core.model import BasicType
from thinggate.core.security import SYSTEM
from thinggate.integrations.sensordata import SensorDataIntegration
from thinggate.integrations.sensordata.kinds import (
    DEVICE_CLASS,
    GENERIC,
    KINDS,
    NODE_CLASS,
    PARENT_PARAM,
    free_metrics,
    kind_of,
)
from thinggate.storage.memory import MemoryStore


def test_every_class_registers_and_implements_its_interface() -> None:
    hub = Hub(store=MemoryStore())
    integration = SensorDataIntegration()
    hub.register(integration)  # the interface check: a class short of its interface's states is refused here
    assert set(hub.thing_classes) == {thing_class.id for thing_class in integration.thing_classes}
    assert len(KINDS) == 9


def test_activity_is_presence_from_the_catalogue() -> None:
    # nymea's presencesensor: a sensor whose isPresent says someone (or something) is there.
    assert CATALOGUE["presencesensor"].parents == ("sensor",)
    assert required_state("presencesensor", "isPresent").type == "Bool"
    activity = kind_of("ACTIVITY_SDE")
    assert activity.thing_class.has_interface("presencesensor")
    assert activity.thing_class.state_type_named("isPresent").type is BasicType.BOOL


@pytest.mark.parametrize("kind", [kind for kind in KINDS if kind.metrics], ids=lambda kind: kind.integration_id)
def test_each_metric_is_a_state_of_the_kinds_interface(kind) -> None:  # type: ignore[no-untyped-def]
    assert kind.thing_class.has_interface(kind.interface)
    for metric in kind.metrics:
        state_type = kind.thing_class.state_type_named(metric.state)
        # Not logged: a reading is in history with its own time; a logged change would keep it twice.
        assert state_type is not None and not state_type.suggest_logging
        assert kind.metric(metric.id) is metric
    assert len({metric.id for metric in kind.metrics}) == len(kind.metrics)


def test_an_unknown_template_is_a_generic_sensor_and_free_metrics_pair_with_units() -> None:
    assert kind_of("VIBROMETER_SDE") is GENERIC and kind_of("GENERIC_SENSOR_SDE") is GENERIC
    assert kind_of("TEMPERATURE_SDE").metric("T") is not None
    props = {
        "UNKNOWN_METRICS": {"0": "vib", "1": "f", "2": 5},
        "UNKNOWN_UNITS": {"0": "mm/s"},
        "KNOWN_METRICS": {"0": "f", "1": "T"},
        "KNOWN_UNITS": {"1": "C"},
    }
    assert free_metrics(props) == {"vib": "mm/s", "f": "", "T": "C"}
    assert free_metrics({"UNKNOWN_METRICS": ["vib"]}) == {}


async def test_a_device_is_found_below_a_node_and_a_sensor_below_a_device_only() -> None:
    hub = Hub(store=MemoryStore())
    hub.register(SensorDataIntegration())
    await hub.start()
    try:
        node = await hub.add_thing(SYSTEM, name="node", thing_class_id=NODE_CLASS.id)
        assert node.ok
        found = await hub.discover_things(SYSTEM, DEVICE_CLASS.id, [(PARENT_PARAM.id, str(node.value))])
        assert found.ok and found.value is not None
        device = await hub.add_thing(SYSTEM, name="device", descriptor_id=found.value[0].id)
        assert device.ok and hub.things[device.value].parent_id == node.value  # type: ignore[index]
        moisture = kind_of("MOISTURE_SDE").thing_class
        # A sensor below a node, or a device below a device, is refused.
        assert not (await hub.discover_things(SYSTEM, moisture.id, [(PARENT_PARAM.id, str(node.value))])).ok
        assert not (await hub.discover_things(SYSTEM, DEVICE_CLASS.id, [(PARENT_PARAM.id, str(device.value))])).ok
        below = await hub.discover_things(SYSTEM, moisture.id, [(PARENT_PARAM.id, str(device.value))])
        assert below.ok and below.value is not None and below.value[0].parent_id == device.value
        # Removing the node removes its device and the sensors below (the hub's cascade).
        sensor = await hub.add_thing(SYSTEM, name="moisture", descriptor_id=below.value[0].id)
        assert sensor.ok
        removed = await hub.remove_thing(SYSTEM, node.value)
        assert removed.ok and set(removed.value or ()) == {node.value, device.value, sensor.value}
    finally:
        await hub.stop()
