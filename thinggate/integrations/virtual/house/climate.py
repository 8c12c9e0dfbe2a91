"""Climate of the simulated house: thermostats and HVAC units, rooms drifting toward the set point."""

from __future__ import annotations

import uuid

from thinggate.core.model import Action, Thing, ThingClass
from thinggate.integrations.virtual import builder
from thinggate.integrations.virtual.house.base import HouseBehaviour, drift, written_value

DRIFT_STEP = 0.1
"""°C the room temperature moves toward the set point per DRIFT_INTERVAL."""
DRIFT_INTERVAL = 10.0
"""Simulated seconds between two temperature drift steps."""

MODE_TARGETS: dict[str, float] = {"comfort": 21.0, "night": 18.0, "standby": 16.0, "frost": 7.0}
"""The set point each thermostat operating mode selects."""

_THERMOSTAT = "thermostat"
_THERMOSTAT_TARGET = builder.interface_state(
    _THERMOSTAT, "thermostat", "targetTemperature", 21.0, min_value=5.0, max_value=35.0, step_size=0.5
)
_THERMOSTAT_MODE = builder.interface_state(_THERMOSTAT, "thermostatmode", "operatingMode", "comfort")


class ThermostatBehaviour(HouseBehaviour):
    """A room thermostat with operating modes and a week schedule switch; the room follows the set point."""

    thing_class: ThingClass = builder.thing_class(
        _THERMOSTAT,
        "Thermostat",
        interfaces=("thermostatmode", "chronothermostat", "temperaturesensor"),
        states=(
            _THERMOSTAT_TARGET,
            _THERMOSTAT_MODE,
            builder.interface_state(_THERMOSTAT, "chronothermostat", "chronoEnabled", False),
            builder.interface_state(
                _THERMOSTAT, "temperaturesensor", "temperature", 20.0, display_name="Room temperature"
            ),
        ),
    )

    async def setup(self, thing: Thing) -> None:
        """Start the room temperature drifting toward the set point."""
        self.start_timer(thing, "drift", self._drift)

    async def execute(self, thing: Thing, action: Action) -> None:
        """Choosing an operating mode also selects its set point."""
        is_mode, mode = written_value(action, _THERMOSTAT_MODE)
        if is_mode:
            self.set_state(thing, "operatingMode", mode)
            self.set_state(thing, "targetTemperature", MODE_TARGETS[mode])
            return
        await super().execute(thing, action)

    async def _drift(self, thing_id: uuid.UUID) -> None:
        def tick(thing: Thing) -> bool:
            current = float(thing.state_value("temperature"))
            target = float(thing.state_value("targetTemperature"))
            if current != target:
                self.set_state(thing, "temperature", drift(current, target, DRIFT_STEP))
            return True

        await self.every(thing_id, lambda _thing: DRIFT_INTERVAL, tick)


_HVAC = "hvacUnit"


class HvacBehaviour(HouseBehaviour):
    """An air conditioning unit: while on, the room moves toward the set point as its mode allows."""

    thing_class: ThingClass = builder.thing_class(
        _HVAC,
        "HVAC unit",
        interfaces=("hvac", "temperaturesensor"),
        states=(
            builder.interface_state(_HVAC, "power", "power", False),
            builder.interface_state(
                _HVAC, "thermostat", "targetTemperature", 22.0, min_value=16.0, max_value=30.0, step_size=0.5
            ),
            builder.interface_state(_HVAC, "hvac", "hvacMode", "auto"),
            builder.interface_state(_HVAC, "hvac", "fanSpeed", "auto"),
            builder.interface_state(_HVAC, "temperaturesensor", "temperature", 25.0, display_name="Room temperature"),
        ),
    )

    async def setup(self, thing: Thing) -> None:
        """Start the climate timer (it does nothing while the unit is off)."""
        self.start_timer(thing, "drift", self._drift)

    async def _drift(self, thing_id: uuid.UUID) -> None:
        def tick(thing: Thing) -> bool:
            if not thing.state_value("power"):
                return True
            current = float(thing.state_value("temperature"))
            target = float(thing.state_value("targetTemperature"))
            mode = thing.state_value("hvacMode")
            # Cooling cannot warm the room nor heating cool it; fan and dry only move air.
            if mode == "auto" or (mode == "cool" and current > target) or (mode == "heat" and current < target):
                self.set_state(thing, "temperature", drift(current, target, DRIFT_STEP))
            return True

        await self.every(thing_id, lambda _thing: DRIFT_INTERVAL, tick)
