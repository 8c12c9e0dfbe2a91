"""KNX climate: room temperature controllers and HVAC units."""

from __future__ import annotations

from typing import Any

from thinggate.integrations.knx import builder
from thinggate.integrations.knx.codecs import HVAC_MODE_CODEC, SWITCH, TEMPERATURE, THERMOSTAT_MODE_CODEC, FanSpeedCodec
from thinggate.integrations.knx.devices.base import Datapoint, KnxDevice, fixed


def _target_temperature(owner: str) -> Any:
    return builder.interface_state(owner, "thermostat", "targetTemperature", 21.0, min_value=5.0, max_value=35.0)


def _room_temperature(owner: str) -> Any:
    return builder.interface_state(owner, "temperaturesensor", "temperature", 0.0, display_name="Room temperature")


_THERMOSTAT = "knxThermostat"


class KnxThermostat(KnxDevice):
    """A room temperature controller: set point (9.001), HVAC mode (20.102) and chrono enable (1 bit)."""

    thing_class = builder.thing_class(
        _THERMOSTAT,
        "KNX thermostat",
        interfaces=("thermostatmode", "chronothermostat", "temperaturesensor", "connectable"),
        params=(
            builder.address_param(_THERMOSTAT, "temperatureAddress", "Room temperature group address (DPT 9.001)"),
            builder.address_param(_THERMOSTAT, "targetTemperatureAddress", "Set point group address (DPT 9.001)"),
            builder.address_param(_THERMOSTAT, "targetTemperatureStateAddress", "Set point status group address"),
            builder.address_param(_THERMOSTAT, "operatingModeAddress", "Operating mode group address (DPT 20.102)"),
            builder.address_param(_THERMOSTAT, "operatingModeStateAddress", "Operating mode status group address"),
            builder.address_param(_THERMOSTAT, "chronoAddress", "Week schedule enable group address (1 bit)"),
            builder.address_param(_THERMOSTAT, "chronoStateAddress", "Week schedule status group address"),
        ),
        states=(
            _room_temperature(_THERMOSTAT),
            _target_temperature(_THERMOSTAT),
            builder.interface_state(_THERMOSTAT, "thermostatmode", "operatingMode", "comfort"),
            builder.interface_state(_THERMOSTAT, "chronothermostat", "chronoEnabled", False),
            builder.connected_state(_THERMOSTAT),
        ),
    )
    datapoints = (
        Datapoint("temperature", None, "temperatureAddress", fixed(TEMPERATURE)),
        Datapoint("targetTemperature", "targetTemperatureAddress", "targetTemperatureStateAddress", fixed(TEMPERATURE)),
        Datapoint("operatingMode", "operatingModeAddress", "operatingModeStateAddress", fixed(THERMOSTAT_MODE_CODEC)),
        Datapoint("chronoEnabled", "chronoAddress", "chronoStateAddress", fixed(SWITCH)),
    )


_HVAC = "knxHvac"
_FAN_SPEED = FanSpeedCodec()


class KnxHvac(KnxDevice):
    """An air conditioning or fan-coil unit: power, set point, mode (20.105) and fan stage (5.010)."""

    thing_class = builder.thing_class(
        _HVAC,
        "KNX HVAC unit",
        interfaces=("hvac", "temperaturesensor", "connectable"),
        params=(
            builder.address_param(_HVAC, "powerAddress", "On/off group address"),
            builder.address_param(_HVAC, "powerStateAddress", "On/off status group address"),
            builder.address_param(_HVAC, "targetTemperatureAddress", "Set point group address (DPT 9.001)"),
            builder.address_param(_HVAC, "targetTemperatureStateAddress", "Set point status group address"),
            builder.address_param(_HVAC, "modeAddress", "Mode group address (DPT 20.105)"),
            builder.address_param(_HVAC, "modeStateAddress", "Mode status group address"),
            builder.address_param(_HVAC, "fanSpeedAddress", "Fan stage group address (DPT 5.010)"),
            builder.address_param(_HVAC, "fanSpeedStateAddress", "Fan stage status group address"),
            builder.address_param(_HVAC, "temperatureAddress", "Room temperature group address (DPT 9.001)"),
        ),
        states=(
            builder.interface_state(_HVAC, "power", "power", False),
            _target_temperature(_HVAC),
            builder.interface_state(_HVAC, "hvac", "hvacMode", "auto"),
            builder.interface_state(_HVAC, "hvac", "fanSpeed", "auto"),
            _room_temperature(_HVAC),
            builder.connected_state(_HVAC),
        ),
    )
    datapoints = (
        Datapoint("power", "powerAddress", "powerStateAddress", fixed(SWITCH)),
        Datapoint("targetTemperature", "targetTemperatureAddress", "targetTemperatureStateAddress", fixed(TEMPERATURE)),
        Datapoint("hvacMode", "modeAddress", "modeStateAddress", fixed(HVAC_MODE_CODEC)),
        Datapoint("fanSpeed", "fanSpeedAddress", "fanSpeedStateAddress", fixed(_FAN_SPEED)),
        Datapoint("temperature", None, "temperatureAddress", fixed(TEMPERATURE)),
    )
