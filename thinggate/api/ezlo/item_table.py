"""How things look to Ezlo clients: capability states -> items, interfaces -> device categories.

One table row per (interface, state) pair names the Ezlo item, its value type, scale and tokens;
rows for actions give the command items (a blind's `dimmer_up`); a thing class without a row for
a state still shows that state as a generic item. Nothing here knows a thing class id: the
interfaces of DESIGN.md's catalogue are the only key.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from thinggate.core.interfaces import FAN_SPEEDS, HVAC_MODES, expand
from thinggate.core.model import BasicType, StateType, ThingClass, Unit


@dataclass(frozen=True, slots=True)
class TokenCodec:
    """thinggate values <-> Ezlo tokens where the two vocabularies differ."""

    pairs: tuple[tuple[Any, str], ...]

    @property
    def tokens(self) -> tuple[str, ...]:
        """The Ezlo tokens, in order."""
        return tuple(token for _, token in self.pairs)

    def to_ezlo(self, value: Any) -> Any:
        """The token for a thinggate value (the value itself when it has none)."""
        return next((token for known, token in self.pairs if known == value), value)

    def from_ezlo(self, token: Any) -> Any:
        """The thinggate value for a token; KeyError for a token outside the enum."""
        for value, known in self.pairs:
            if known == token:
                return value
        raise KeyError(token)


@dataclass(frozen=True, slots=True)
class DictionarySpec:
    """A dictionary item whose elements are added, set and removed through actions of the thing."""

    element_type: str
    set_action: str  # params: slot, and one param per element field
    remove_action: str  # params: slot
    key_param: str
    max_elements: int
    code_restriction: str
    code_modes: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ItemSpec:
    """How one state (or action) of a thing appears as an Ezlo item."""

    name: str
    value_type: str
    scale: str | None = None
    codec: TokenCodec | None = None
    action: str | None = None  # a command item: setting it runs this action
    dictionary: DictionarySpec | None = None
    show: bool = True


@dataclass(frozen=True, slots=True)
class DeviceKind:
    """Ezlo's category, subcategory and device type for things with an interface."""

    category: str
    subcategory: str
    device_type: str


_LOCK_STATES = TokenCodec(((True, "secured"), (False, "unsecured")))
_HVAC_MODES = TokenCodec(tuple(zip(HVAC_MODES, ("cool", "heat", "dry_air", "fan_only", "auto"), strict=True)))
_FAN_SPEEDS = TokenCodec(tuple(zip(FAN_SPEEDS, ("auto_low", "on_low", "on_medium", "on_high"), strict=True)))
USER_CODES = DictionarySpec(
    element_type="userCode",
    set_action="setUserCode",
    remove_action="removeUserCode",
    key_param="slot",
    max_elements=250,
    code_restriction=r"^\d{4,8}$",
    code_modes=("enabled",),
)

STATE_ITEMS: dict[tuple[str, str], ItemSpec] = {
    ("power", "power"): ItemSpec("switch", "bool"),
    ("dimmablelight", "brightness"): ItemSpec("dimmer", "int"),
    ("extendedclosable", "percentage"): ItemSpec("dimmer", "int"),
    ("venetianblind", "angle"): ItemSpec("shutter_tilt", "int"),
    ("temperaturesensor", "temperature"): ItemSpec("temp", "temperature", "celsius"),
    ("thermostat", "targetTemperature"): ItemSpec("thermostat_setpoint", "temperature", "celsius"),
    ("thermostatmode", "operatingMode"): ItemSpec("thermostat_operating_mode", "token"),
    ("chronothermostat", "chronoEnabled"): ItemSpec("thermostat_schedule_enabled", "bool"),
    ("hvac", "hvacMode"): ItemSpec("thermostat_mode", "token", codec=_HVAC_MODES),
    ("hvac", "fanSpeed"): ItemSpec("thermostat_fan_mode", "token", codec=_FAN_SPEEDS),
    ("humiditysensor", "humidity"): ItemSpec("humidity", "humidity", "percent"),
    ("moisturesensor", "moisture"): ItemSpec("moisture", "moisture", "percent"),
    ("lightsensor", "lightIntensity"): ItemSpec("lux", "illuminance", "lux"),
    ("energymeter", "currentPower"): ItemSpec("electric_meter_watt", "power", "watt"),
    ("energymeter", "totalEnergyConsumed"): ItemSpec("electric_meter_kwh", "energy", "kilo_watt_hour"),
    ("batterylevel", "batteryLevel"): ItemSpec("battery", "int"),
    ("battery", "batteryCritical"): ItemSpec("battery_low", "bool"),
    ("wirelessconnectable", "signalStrength"): ItemSpec("signal_strength", "int"),
    ("doorlock", "locked"): ItemSpec("door_lock", "token", codec=_LOCK_STATES),
    ("doorlock", "userCodes"): ItemSpec("user_codes", "dictionary", dictionary=USER_CODES),
    ("analogvalue", "value"): ItemSpec("value", "float"),
}
"""Items of capability states, by (interface, state name)."""

ACTION_ITEMS: dict[tuple[str, str], ItemSpec] = {
    ("closable", "open"): ItemSpec("dimmer_up", "int", action="open"),
    ("closable", "close"): ItemSpec("dimmer_down", "int", action="close"),
    ("closable", "stop"): ItemSpec("dimmer_stop", "int", action="stop"),
    ("button", "trigger"): ItemSpec("button_state", "token", action="trigger"),
}
"""Command items of capability actions, by (interface, action name)."""

DEVICE_STATES = frozenset({"connected"})
"""States that are fields of the device (`reachable`), not items."""

DEVICE_KINDS: tuple[tuple[str, DeviceKind], ...] = (
    ("doorlock", DeviceKind("door_lock", "", "doorlock")),
    ("hvac", DeviceKind("hvac", "hvac", "thermostat")),
    ("thermostat", DeviceKind("hvac", "heater", "thermostat")),
    ("venetianblind", DeviceKind("window_cov", "window_cov", "shutter.roller")),
    ("closable", DeviceKind("window_cov", "window_cov", "shutter.roller")),
    ("dimmablelight", DeviceKind("dimmable_light", "dimmable_bulb", "dimmer.outlet")),
    ("light", DeviceKind("switch", "interior_plugin", "switch.inwall")),
    ("power", DeviceKind("switch", "exterior_plugin", "switch.outlet")),
    ("energymeter", DeviceKind("power_meter", "", "meter.power")),
    ("temperaturesensor", DeviceKind("temperature", "", "sensor")),
    ("humiditysensor", DeviceKind("humidity", "", "sensor")),
    ("moisturesensor", DeviceKind("level_sensor", "", "sensor")),
    ("lightsensor", DeviceKind("light_sensor", "", "sensor")),
    ("button", DeviceKind("remote_control", "", "remote")),
    ("scene", DeviceKind("generic_io", "", "scene")),
)
"""Device kinds by interface, most specific first; things with none of them are `generic_io`."""

GENERIC_DEVICE = DeviceKind("generic_io", "", "generic")

_BASIC_VALUE_TYPES = {
    BasicType.BOOL: "bool",
    BasicType.INT: "int",
    BasicType.UINT: "int",
    BasicType.DOUBLE: "float",
    BasicType.STRING: "string",
    BasicType.OBJECT: "dictionary",
}
_SCALED_UNITS = {
    Unit.DEGREE_CELSIUS: ("temperature", "celsius"),
    Unit.WATT: ("power", "watt"),
    Unit.KILO_WATT_HOUR: ("energy", "kilo_watt_hour"),
    Unit.LUX: ("illuminance", "lux"),
}


def snake_case(name: str) -> str:
    """`targetTemperature` -> `target_temperature`."""
    return re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", name).lower()


def generic_item(state_type: StateType) -> ItemSpec:
    """The item of a state no table row names: its type from the state's basic type and unit."""
    name = snake_case(state_type.name)
    if state_type.unit in _SCALED_UNITS and state_type.type in (BasicType.DOUBLE, BasicType.INT, BasicType.UINT):
        value_type, scale = _SCALED_UNITS[state_type.unit]
        return ItemSpec(name, value_type, scale)
    if state_type.type is BasicType.STRING and state_type.possible_values:
        return ItemSpec(name, "token")
    return ItemSpec(name, _BASIC_VALUE_TYPES.get(state_type.type, "string"))


def state_item(thing_class: ThingClass, state_type: StateType) -> ItemSpec | None:
    """The item a state of a class shows as (None for states that are device fields)."""
    if state_type.name in DEVICE_STATES:
        return None
    for interface in expand(thing_class.interfaces):
        spec = STATE_ITEMS.get((interface, state_type.name))
        if spec is not None:
            return spec
    return generic_item(state_type)


def action_items(thing_class: ThingClass) -> list[tuple[str, ItemSpec]]:
    """Command items of a class: (action name, spec) for each capability action it has."""
    interfaces = expand(thing_class.interfaces)
    found: list[tuple[str, ItemSpec]] = []
    for action_type in thing_class.action_types:
        for interface in interfaces:
            spec = ACTION_ITEMS.get((interface, action_type.name))
            if spec is not None:
                found.append((action_type.name, spec))
                break
    return found


def device_kind(thing_class: ThingClass) -> DeviceKind:
    """The Ezlo category of things of a class."""
    interfaces = set(expand(thing_class.interfaces))
    return next((kind for interface, kind in DEVICE_KINDS if interface in interfaces), GENERIC_DEVICE)
