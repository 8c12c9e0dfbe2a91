"""Sensors of the simulated house: wireless ones (wandering readings, draining batteries) and an energy meter."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from thinggate.core.model import StateType, Thing, ThingClass
from thinggate.integrations.virtual import builder
from thinggate.integrations.virtual.house.base import HouseBehaviour, wander

if TYPE_CHECKING:
    from thinggate.integrations.virtual import VirtualIntegration

SENSOR_INTERVAL = 30.0
"""Simulated seconds between two readings of a battery sensor."""
BATTERY_DRAIN_PER_HOUR = 1.0
"""Battery percent a wireless sensor uses per simulated hour."""
BATTERY_CRITICAL_BELOW = 10
"""batteryCritical is true below this battery level."""


def _wireless_states(owner: str) -> tuple[StateType, ...]:
    """The battery and radio states every wireless sensor has."""
    return (
        builder.interface_state(owner, "batterylevel", "batteryLevel", 100),
        builder.interface_state(owner, "battery", "batteryCritical", False),
        builder.interface_state(owner, "wirelessconnectable", "signalStrength", 80),
        builder.interface_state(owner, "connectable", "connected", True, cached=False),
    )


class WirelessSensorBehaviour(HouseBehaviour):
    """A battery-powered radio sensor whose reading wanders, battery drains and signal varies."""

    reading: str = ""
    """Name of the state the sensor measures."""
    walk: tuple[float, float, float, int] = (0.0, 0.0, 0.0, 0)
    """Random walk of the reading: (largest step, lowest, highest, decimals)."""

    def __init__(self, integration: VirtualIntegration) -> None:
        super().__init__(integration)
        # batteryLevel is an Int: keep the drained fraction until it adds up to a whole percent.
        self._drained: dict[uuid.UUID, float] = {}

    async def setup(self, thing: Thing) -> None:
        """Start the readings."""
        self.start_timer(thing, "readings", self._readings)

    async def removed(self, thing: Thing) -> None:
        """Stop the readings and forget the battery bookkeeping."""
        await super().removed(thing)
        self._drained.pop(thing.id, None)

    async def _readings(self, thing_id: uuid.UUID) -> None:
        def tick(thing: Thing) -> bool:
            step, low, high, digits = self.walk
            value = float(thing.state_value(self.reading))
            self.set_state(thing, self.reading, wander(self.random, value, step, low, high, digits))
            signal = int(thing.state_value("signalStrength"))
            self.set_state(thing, "signalStrength", int(wander(self.random, signal, 3, 30, 100, 0)))
            drained = self._drained.get(thing_id, 0.0) + BATTERY_DRAIN_PER_HOUR * SENSOR_INTERVAL / 3600.0
            level = int(thing.state_value("batteryLevel"))
            if drained >= 1.0 and level > 0:
                level -= int(drained)
                drained -= int(drained)
                self.set_state(thing, "batteryLevel", max(level, 0))
            self._drained[thing_id] = drained
            self.set_state(thing, "batteryCritical", level < BATTERY_CRITICAL_BELOW)
            return True

        await self.every(thing_id, lambda _thing: SENSOR_INTERVAL, tick)


_SENSOR_EXTRAS = ("batterylevel", "wirelessconnectable")

_TEMPERATURE_SENSOR = "temperatureSensor"


class TemperatureSensorBehaviour(WirelessSensorBehaviour):
    """A wireless room temperature sensor."""

    reading = "temperature"
    walk = (0.2, 15.0, 28.0, 1)
    thing_class: ThingClass = builder.thing_class(
        _TEMPERATURE_SENSOR,
        "Temperature sensor",
        interfaces=("temperaturesensor", *_SENSOR_EXTRAS),
        states=(
            builder.interface_state(
                _TEMPERATURE_SENSOR, "temperaturesensor", "temperature", 21.0, suggest_logging=True
            ),
            *_wireless_states(_TEMPERATURE_SENSOR),
        ),
    )


_HUMIDITY_SENSOR = "humiditySensor"


class HumiditySensorBehaviour(WirelessSensorBehaviour):
    """A wireless relative humidity sensor."""

    reading = "humidity"
    walk = (1.0, 30.0, 70.0, 1)
    thing_class: ThingClass = builder.thing_class(
        _HUMIDITY_SENSOR,
        "Humidity sensor",
        interfaces=("humiditysensor", *_SENSOR_EXTRAS),
        states=(
            builder.interface_state(_HUMIDITY_SENSOR, "humiditysensor", "humidity", 45.0, suggest_logging=True),
            *_wireless_states(_HUMIDITY_SENSOR),
        ),
    )


_MOISTURE_SENSOR = "moistureSensor"


class MoistureSensorBehaviour(WirelessSensorBehaviour):
    """A wireless soil moisture sensor (a plant pot)."""

    reading = "moisture"
    walk = (0.5, 10.0, 60.0, 1)
    thing_class: ThingClass = builder.thing_class(
        _MOISTURE_SENSOR,
        "Moisture sensor",
        interfaces=("moisturesensor", *_SENSOR_EXTRAS),
        states=(
            builder.interface_state(_MOISTURE_SENSOR, "moisturesensor", "moisture", 35.0, suggest_logging=True),
            *_wireless_states(_MOISTURE_SENSOR),
        ),
    )


_LIGHT_SENSOR = "lightSensor"


class LightSensorBehaviour(WirelessSensorBehaviour):
    """A wireless light intensity sensor."""

    reading = "lightIntensity"
    walk = (25.0, 0.0, 1000.0, 0)
    thing_class: ThingClass = builder.thing_class(
        _LIGHT_SENSOR,
        "Light sensor",
        interfaces=("lightsensor", *_SENSOR_EXTRAS),
        states=(
            builder.interface_state(_LIGHT_SENSOR, "lightsensor", "lightIntensity", 300.0, suggest_logging=True),
            *_wireless_states(_LIGHT_SENSOR),
        ),
    )


ENERGY_INTERVAL = 10.0
"""Simulated seconds between two energy meter readings."""

_ENERGY_METER = "energyMeter"


class EnergyMeterBehaviour(HouseBehaviour):
    """A mains energy meter: the load wanders and the counter adds up what it draws."""

    thing_class: ThingClass = builder.thing_class(
        _ENERGY_METER,
        "Energy meter",
        interfaces=("energymeter",),
        states=(
            builder.interface_state(_ENERGY_METER, "energymeter", "currentPower", 150.0, suggest_logging=True),
            builder.interface_state(_ENERGY_METER, "energymeter", "totalEnergyConsumed", 0.0),
        ),
    )

    async def setup(self, thing: Thing) -> None:
        """Start metering."""
        self.start_timer(thing, "meter", self._meter)

    async def _meter(self, thing_id: uuid.UUID) -> None:
        def tick(thing: Thing) -> bool:
            power = float(thing.state_value("currentPower"))
            total = float(thing.state_value("totalEnergyConsumed"))
            # Energy over the interval at the power drawn during it, W * s -> kWh.
            self.set_state(thing, "totalEnergyConsumed", round(total + power * ENERGY_INTERVAL / 3_600_000.0, 6))
            self.set_state(thing, "currentPower", wander(self.random, power, 50.0, 20.0, 3000.0, 1))
            return True

        await self.every(thing_id, lambda _thing: ENERGY_INTERVAL, tick)
