"""The kinds table: each iTwin sensor template (INTEGRATION_ID) as a thing class, its interface and its metrics.

A node (an iTwin "connection"), its devices and their sensors are things of the classes here, the
devices children of their node and the sensors children of their device. Every class has the same
params, which keep what the sensor-data door hands out and must read back exactly after a restart:
the entity id (`/api/<hex>/node/...`), the client's `refId`, the template id, the creation date,
the iTwin's project id and the other props as given (`NOTES`, `LOCATION`, `UNKNOWN_METRICS`, ...).

A sensor kind's metrics are the keys of an upload's `values`: each one is a state of the kind's
interface (catalogue names), so a reading is that state's value on every door. A generic sensor
(`GENERIC_SENSOR_SDE`, and any template not in the table) has no states of its own: its metrics
and units are the ones its props declare (`UNKNOWN_METRICS` / `UNKNOWN_UNITS`, keyed "0", "1", ...).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from thinggate.core.model import BasicType, CreateMethod, ParamType, StateType, ThingClass
from thinggate.integrations.sensordata.manifest import DECLARATIONS

ENTITY_ID = "entityId"
REF_ID = "refId"
INTEGRATION_ID = "integrationId"
CREATION_DATE = "creationDate"
PROJECT_ID = "projectId"
PROPS = "props"
PARENT_ID = "parentId"

_OWNER = "entity"

ENTITY_PARAMS: tuple[ParamType, ...] = (
    DECLARATIONS.param(_OWNER, ENTITY_ID, BasicType.STRING, "", display_name="Entity id", read_only=True),
    DECLARATIONS.param(_OWNER, REF_ID, BasicType.STRING, "", display_name="Client reference (refId)"),
    DECLARATIONS.param(_OWNER, INTEGRATION_ID, BasicType.STRING, "", display_name="Template (INTEGRATION_ID)"),
    DECLARATIONS.param(_OWNER, CREATION_DATE, BasicType.STRING, "", display_name="Created", read_only=True),
    DECLARATIONS.param(_OWNER, PROJECT_ID, BasicType.STRING, "", display_name="Project id", read_only=True),
    DECLARATIONS.param(_OWNER, PROPS, BasicType.OBJECT, {}, display_name="Other props"),
)
"""The params of every class here (a node's, a device's and a sensor's alike)."""

PARENT_PARAM = DECLARATIONS.param(_OWNER, PARENT_ID, BasicType.UUID, display_name="Parent thing")
"""The discovery param that names the parent: a device's node, a sensor's device."""

# Devices and sensors are children: the hub gives a new thing a parent only through a discovery
# descriptor, so they are made by discovering one below the parent (the door does it) and adding it.
_CHILD_CREATE = (CreateMethod.DISCOVERY,)

NODE_INTEGRATION_ID = "NODE_API_SDE"
"""The template id of a node made through the API (iTwin's)."""

NODE_CLASS = DECLARATIONS.thing_class("sensorDataNode", "Sensor data node (iTwin IoT connection)", params=ENTITY_PARAMS)
DEVICE_CLASS = DECLARATIONS.thing_class(
    "sensorDataDevice",
    "Sensor data device",
    params=ENTITY_PARAMS,
    create_methods=_CHILD_CREATE,
    discovery_params=(PARENT_PARAM,),
)


@dataclass(frozen=True, slots=True)
class Metric:
    """A metric of a sensor kind: its id in uploads and observations, the state it sets and its unit."""

    id: str
    state: str
    unit: str


@dataclass(frozen=True, slots=True)
class SensorKind:
    """An iTwin sensor template: its INTEGRATION_ID, the interface and class of its things, its metrics."""

    integration_id: str
    interface: str
    thing_class: ThingClass
    metrics: tuple[Metric, ...]

    def metric(self, metric_id: str) -> Metric | None:
        """The kind's metric with this id, or None."""
        return next((metric for metric in self.metrics if metric.id == metric_id), None)


def _sensor(
    integration_id: str,
    name: str,
    display_name: str,
    interfaces: tuple[str, ...],
    states: tuple[StateType, ...],
    metrics: tuple[Metric, ...],
) -> SensorKind:
    thing_class = DECLARATIONS.thing_class(
        name,
        display_name,
        interfaces=interfaces,
        params=ENTITY_PARAMS,
        states=states,
        create_methods=_CHILD_CREATE,
        discovery_params=(PARENT_PARAM,),
    )
    return SensorKind(integration_id, interfaces[0], thing_class, metrics)


def _state(owner: str, interface: str, name: str, default: Any) -> StateType:
    # Not logged: an uploaded reading is kept in history with its own time already (the hub records
    # it); logging the state change it makes would keep it a second time, stamped when it arrived.
    return DECLARATIONS.interface_state(owner, interface, name, default)


GENERIC_INTEGRATION_ID = "GENERIC_SENSOR_SDE"

KINDS: tuple[SensorKind, ...] = (
    _sensor(
        "TEMPERATURE_SDE",
        "sensorDataTemperature",
        "Temperature sensor (sensor data)",
        ("temperaturesensor",),
        (_state("sensorDataTemperature", "temperaturesensor", "temperature", 0.0),),
        (Metric("T", "temperature", "C"),),
    ),
    _sensor(
        "HUMIDITY_SDE",
        "sensorDataHumidity",
        "Humidity sensor (sensor data)",
        ("humiditysensor",),
        (_state("sensorDataHumidity", "humiditysensor", "humidity", 0.0),),
        (Metric("RH", "humidity", "%"),),
    ),
    _sensor(
        "MOISTURE_SDE",
        "sensorDataMoisture",
        "Moisture sensor (sensor data)",
        ("moisturesensor",),
        (_state("sensorDataMoisture", "moisturesensor", "moisture", 0.0),),
        (Metric("moisture", "moisture", "%"),),
    ),
    _sensor(
        "LIGHT_SDE",
        "sensorDataLight",
        "Light sensor (sensor data)",
        ("lightsensor",),
        (_state("sensorDataLight", "lightsensor", "lightIntensity", 0.0),),
        (Metric("lux", "lightIntensity", "lx"),),
    ),
    _sensor(
        "ELECTRICITY_USAGE_SDE",
        "sensorDataElectricity",
        "Electricity usage sensor (sensor data)",
        ("energymeter",),
        (
            _state("sensorDataElectricity", "energymeter", "currentPower", 0.0),
            _state("sensorDataElectricity", "energymeter", "totalEnergyConsumed", 0.0),
        ),
        (Metric("P", "currentPower", "W"), Metric("E", "totalEnergyConsumed", "kWh")),
    ),
    _sensor(
        "BATTERY_CHARGE_SDE",
        "sensorDataBattery",
        "Battery charge sensor (sensor data)",
        ("batterylevel",),
        (
            _state("sensorDataBattery", "batterylevel", "batteryLevel", 0),
            DECLARATIONS.interface_state("sensorDataBattery", "battery", "batteryCritical", False),
        ),
        (Metric("battery", "batteryLevel", "%"),),
    ),
    _sensor(
        "SENSOR_SIGNAL_STRENGTH_SDE",
        "sensorDataSignal",
        "Signal strength sensor (sensor data)",
        ("wirelessconnectable",),
        (
            _state("sensorDataSignal", "wirelessconnectable", "signalStrength", 0),
            DECLARATIONS.interface_state("sensorDataSignal", "connectable", "connected", True, cached=False),
        ),
        (Metric("signal", "signalStrength", "%"),),
    ),
    _sensor(
        "ACTIVITY_SDE",
        "sensorDataActivity",
        "Activity sensor (sensor data)",
        ("presencesensor",),
        (_state("sensorDataActivity", "presencesensor", "isPresent", False),),
        (Metric("activity", "isPresent", ""),),
    ),
    _sensor(GENERIC_INTEGRATION_ID, "sensorDataGeneric", "Generic sensor (sensor data)", ("sensor",), (), ()),
)
"""Every sensor kind; a template not named here is a generic sensor that keeps its own INTEGRATION_ID."""

KINDS_BY_ID: Mapping[str, SensorKind] = {kind.integration_id: kind for kind in KINDS}
GENERIC = KINDS_BY_ID[GENERIC_INTEGRATION_ID]

SENSOR_CLASSES: tuple[ThingClass, ...] = tuple(kind.thing_class for kind in KINDS)
KINDS_BY_CLASS: Mapping[Any, SensorKind] = {kind.thing_class.id: kind for kind in KINDS}


def kind_of(integration_id: str) -> SensorKind:
    """The kind a template id names (the generic sensor for one the table does not know)."""
    return KINDS_BY_ID.get(integration_id, GENERIC)


MAX_FREE_METRICS = 32
"""How many metrics a generic sensor may declare (UNKNOWN_METRICS and KNOWN_METRICS together)."""


def free_metrics(props: Mapping[str, Any]) -> dict[str, str]:
    """A generic sensor's metrics and their units from its props: metric id -> unit ("" when none is named).

    `UNKNOWN_METRICS` and `KNOWN_METRICS` are objects keyed "0", "1", ...; the same key in
    `UNKNOWN_UNITS` / `KNOWN_UNITS` names the metric's unit. Anything else is left out.
    """
    metrics: dict[str, str] = {}
    for names_key, units_key in (("UNKNOWN_METRICS", "UNKNOWN_UNITS"), ("KNOWN_METRICS", "KNOWN_UNITS")):
        names, units = props.get(names_key), props.get(units_key)
        if not isinstance(names, Mapping):
            continue
        units = units if isinstance(units, Mapping) else {}
        for position, name in names.items():
            if isinstance(name, str) and name and name not in metrics:
                unit = units.get(position)
                metrics[name] = unit if isinstance(unit, str) else ""
    return metrics
