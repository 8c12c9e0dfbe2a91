"""The simulated house: lights, blinds, climate, sensors, a scene, a button and a door lock.

Each device is a DeviceBehaviour with its ThingClass. Devices that change by themselves (a blind
travelling, a room warming up, sensors wandering) run asyncio timers in *simulated* time: one
simulated second lasts 1 / integration.time_scale real seconds, so tests can run a 20 s blind
travel in a fraction of a second.
"""

from __future__ import annotations

from thinggate.integrations.virtual.behaviour import DeviceBehaviour
from thinggate.integrations.virtual.house.analog import AnalogValueBehaviour
from thinggate.integrations.virtual.house.base import ADD_GRACE_SECONDS, ADD_POLL_SECONDS, HouseBehaviour, TimerBody
from thinggate.integrations.virtual.house.blinds import LAMELLA_STEP, VenetianBlindBehaviour
from thinggate.integrations.virtual.house.buttons import ButtonBehaviour
from thinggate.integrations.virtual.house.climate import (
    DRIFT_INTERVAL,
    DRIFT_STEP,
    MODE_TARGETS,
    HvacBehaviour,
    ThermostatBehaviour,
)
from thinggate.integrations.virtual.house.lights import DimmableLightBehaviour, LightBehaviour
from thinggate.integrations.virtual.house.locks import DoorLockBehaviour
from thinggate.integrations.virtual.house.scenes import SceneBehaviour
from thinggate.integrations.virtual.house.sensors import (
    BATTERY_CRITICAL_BELOW,
    BATTERY_DRAIN_PER_HOUR,
    ENERGY_INTERVAL,
    SENSOR_INTERVAL,
    EnergyMeterBehaviour,
    HumiditySensorBehaviour,
    LightSensorBehaviour,
    MoistureSensorBehaviour,
    TemperatureSensorBehaviour,
    WirelessSensorBehaviour,
)

HOUSE_BEHAVIOURS: tuple[type[DeviceBehaviour], ...] = (
    LightBehaviour,
    DimmableLightBehaviour,
    VenetianBlindBehaviour,
    ThermostatBehaviour,
    HvacBehaviour,
    AnalogValueBehaviour,
    SceneBehaviour,
    ButtonBehaviour,
    TemperatureSensorBehaviour,
    HumiditySensorBehaviour,
    MoistureSensorBehaviour,
    LightSensorBehaviour,
    EnergyMeterBehaviour,
    DoorLockBehaviour,
)
"""Every device of the simulated house, one behaviour per thing class."""

__all__ = [
    "ADD_GRACE_SECONDS",
    "ADD_POLL_SECONDS",
    "BATTERY_CRITICAL_BELOW",
    "BATTERY_DRAIN_PER_HOUR",
    "DRIFT_INTERVAL",
    "DRIFT_STEP",
    "ENERGY_INTERVAL",
    "HOUSE_BEHAVIOURS",
    "LAMELLA_STEP",
    "MODE_TARGETS",
    "SENSOR_INTERVAL",
    "AnalogValueBehaviour",
    "ButtonBehaviour",
    "DimmableLightBehaviour",
    "DoorLockBehaviour",
    "EnergyMeterBehaviour",
    "HouseBehaviour",
    "HumiditySensorBehaviour",
    "HvacBehaviour",
    "LightBehaviour",
    "LightSensorBehaviour",
    "MoistureSensorBehaviour",
    "SceneBehaviour",
    "TemperatureSensorBehaviour",
    "ThermostatBehaviour",
    "TimerBody",
    "VenetianBlindBehaviour",
    "WirelessSensorBehaviour",
]
