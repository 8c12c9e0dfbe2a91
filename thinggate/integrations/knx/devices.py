"""The KNX thing classes and how each turns actions into telegrams and telegrams into states.

A thing's params name group addresses. A *write* address is where the hub sends commands (and
where wall switches send theirs); a *status* address is where the actuator reports what it did.
Every telegram seen on either updates the state it carries, changed or not. A command the hub
sends itself updates the state at once only when no status address exists for it; otherwise
the state waits for the actuator's report.
"""

from __future__ import annotations

import enum
import functools
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar, Protocol

from xknx.dpt import DPTBinary
from xknx.telegram import GroupAddress

from thinggate.core.errors import ThingError, ThingFailure
from thinggate.core.model import Action, BasicType, Thing, ThingClass, Unit
from thinggate.integrations.knx import builder
from thinggate.integrations.knx.addresses import optional_address
from thinggate.integrations.knx.codecs import (
    DECODE_ERRORS,
    HVAC_MODE_CODEC,
    PERCENT,
    SWITCH,
    TEMPERATURE,
    THERMOSTAT_MODE_CODEC,
    BoolCodec,
    Codec,
    FanSpeedCodec,
    NumericCodec,
    Payload,
    SceneCodec,
)

_LOG = logging.getLogger(__name__)


class Origin(enum.Enum):
    """Where a telegram a thing sees comes from."""

    BUS = "bus"
    """From the bus (a wall switch, an actuator's report), or a raw write the hub made for a door."""
    OWN = "own"
    """A command the hub sent for a thing's action."""


class Bus(Protocol):
    """What a device needs from the integration: send telegrams, report states and events."""

    async def bus_write(self, thing: Thing, address: GroupAddress, payload: Payload) -> None:
        """Send a GroupValueWrite for a thing (ThingFailure HARDWARE_NOT_AVAILABLE if impossible)."""

    def report_state(self, thing: Thing, name: str, value: Any) -> None:
        """Set a state of the thing by name."""

    def report_event(self, thing: Thing, name: str) -> None:
        """Raise an event of the thing by name."""

    def report_limits(self, thing: Thing, name: str, min_value: float, max_value: float) -> None:
        """Set the dynamic range of a state of the thing by name."""


@dataclass(frozen=True, slots=True)
class Datapoint:
    """A state carried by a write address and/or a status address, with its codec."""

    state: str
    write: str | None
    status: str | None
    codec: Callable[[Thing], Codec]


def _fixed(codec: Codec) -> Callable[[Thing], Codec]:
    return lambda _thing: codec


def _unsupported(thing: Thing, param: str) -> ThingFailure:
    return ThingFailure(ThingError.UNSUPPORTED_FEATURE, f"{thing.name} has no {param} configured")


def _encoded(codec: Codec, value: Any) -> Payload:
    try:
        return codec.encode(value)
    except ValueError as exc:
        raise ThingFailure(ThingError.INVALID_PARAMETER, str(exc)) from None


class KnxDevice:
    """One thing class: its params, the datapoints they carry, its commands and events."""

    thing_class: ClassVar[ThingClass]
    datapoints: ClassVar[tuple[Datapoint, ...]] = ()
    commands: ClassVar[dict[str, str]] = {}
    """Declared action name -> the address param it writes."""
    event_addresses: ClassVar[dict[str, str]] = {}
    """Event name -> the address param whose telegrams raise it."""

    @classmethod
    def address_params(cls) -> tuple[str, ...]:
        """Names of the params that hold group addresses."""
        return tuple(
            pt.name
            for pt in cls.thing_class.param_types
            if pt.type is BasicType.STRING and pt.name.endswith(("address", "Address"))
        )

    def addresses(self, thing: Thing) -> dict[str, GroupAddress]:
        """The group addresses a thing uses, by param name (INVALID_PARAMETER for a malformed one)."""
        found: dict[str, GroupAddress] = {}
        for name in self.address_params():
            address = optional_address(name, thing.param(name))
            if address is not None:
                found[name] = address
        return found

    def validate(self, thing: Thing) -> dict[str, GroupAddress]:
        """Check a thing's params at setup; answers its addresses."""
        found = self.addresses(thing)
        if not found:
            raise ThingFailure(
                ThingError.INVALID_PARAMETER, f"{thing.thing_class.name} needs at least one group address"
            )
        for datapoint in self.datapoints:
            datapoint.codec(thing)  # a codec that cannot be built (a bad DPT param) fails here
        return found

    async def setup(self, bus: Bus, thing: Thing) -> None:
        """Class-specific setup after validation (limits, ...)."""

    def removed(self, thing_id: uuid.UUID) -> None:
        """Forget what the device remembered about a thing."""

    def status_params(self) -> tuple[str, ...]:
        """Params whose addresses are read (GroupValueRead) once connected."""
        return tuple(dp.status for dp in self.datapoints if dp.status is not None)

    def datapoint(self, state: str) -> Datapoint | None:
        """The datapoint that carries a state."""
        return next((dp for dp in self.datapoints if dp.state == state), None)

    # -- from the bus -----------------------------------------------------------------------

    def on_telegram(self, bus: Bus, thing: Thing, param: str, payload: Payload, origin: Origin) -> None:
        """A GroupValueWrite or GroupValueResponse on one of the thing's addresses."""
        for datapoint in self.datapoints:
            if param not in (datapoint.write, datapoint.status):
                continue
            if origin is Origin.OWN and param != datapoint.status and self._has(thing, datapoint.status):
                continue  # the actuator will report on the status address
            try:
                value = datapoint.codec(thing).decode(payload)
            except DECODE_ERRORS as exc:
                _LOG.debug("%s: %s on %s does not decode: %s", thing.name, payload, param, exc)
                continue
            bus.report_state(thing, datapoint.state, value)
            self.value_reported(bus, thing, datapoint.state, value)

    def value_reported(self, bus: Bus, thing: Thing, state: str, value: Any) -> None:
        """A state was just set from a telegram (for states that follow others)."""

    @staticmethod
    def _has(thing: Thing, param: str | None) -> bool:
        return param is not None and bool(thing.param(param))

    # -- to the bus -------------------------------------------------------------------------

    def _address(self, thing: Thing, param: str) -> GroupAddress:
        address = optional_address(param, thing.param(param))
        if address is None:
            raise _unsupported(thing, param)
        return address

    async def execute(self, bus: Bus, thing: Thing, action: Action) -> None:
        """Run an action: a writable state's action writes its datapoint's write address."""
        state_type = thing.thing_class.state_type(action.action_type_id)
        datapoint = self.datapoint(state_type.name) if state_type is not None and state_type.writable else None
        if state_type is None or datapoint is None or datapoint.write is None:
            raise ThingFailure(ThingError.ACTION_TYPE_NOT_FOUND, f"{thing.thing_class.name} cannot run this action")
        payload = _encoded(datapoint.codec(thing), action.params[state_type.id])
        await bus.bus_write(thing, self._address(thing, datapoint.write), payload)

    # -- addresses for doors ----------------------------------------------------------------

    def address_of(self, thing: Thing, type_id: uuid.UUID) -> str | None:
        """The group address behind a state (status, else write), an action or an event."""
        thing_class = thing.thing_class
        candidates: tuple[str | None, ...] = ()
        state_type = thing_class.state_type(type_id)
        if state_type is not None:
            datapoint = self.datapoint(state_type.name)
            if datapoint is not None:
                candidates = (datapoint.status, datapoint.write)
        else:
            action_type = thing_class.action_type(type_id)
            event_type = thing_class.event_type(type_id)
            if action_type is not None:
                candidates = (self.command_param(thing, action_type.name),)
            elif event_type is not None:
                candidates = (self.event_addresses.get(event_type.name),)
        for param in candidates:
            if param is not None and thing.param(param):
                address = optional_address(param, thing.param(param))
                return str(address) if address is not None else None
        return None

    def command_param(self, thing: Thing, action_name: str) -> str | None:
        """The address param a declared action writes for this thing."""
        return self.commands.get(action_name)


# ----------------------------------------------------------------------------------------------
# Switches, lights, dimmers
# ----------------------------------------------------------------------------------------------


def _switch_class(name: str, display_name: str, interface: str) -> ThingClass:
    return builder.thing_class(
        name,
        display_name,
        interfaces=(interface, "connectable"),
        params=(
            builder.address_param(name, "address", "Switch group address", required=True),
            builder.address_param(name, "stateAddress", "Switch status group address"),
            builder.param(name, "invert", BasicType.BOOL, False, display_name="Invert (1 = off)"),
        ),
        states=(
            builder.state(name, "power", BasicType.BOOL, False, writable=True, display_name="Power"),
            builder.connected_state(name),
        ),
    )


def _switch_codec(thing: Thing) -> Codec:
    return BoolCodec(invert=bool(thing.param("invert")))


class KnxSwitch(KnxDevice):
    """A switching actuator channel (DPT 1.001), optionally inverted."""

    thing_class = _switch_class("knxSwitch", "KNX switch", "power")
    datapoints = (Datapoint("power", "address", "stateAddress", _switch_codec),)


class KnxLight(KnxDevice):
    """A switched light (DPT 1.001), optionally inverted."""

    thing_class = _switch_class("knxLight", "KNX light", "light")
    datapoints = (Datapoint("power", "address", "stateAddress", _switch_codec),)


_DIMMER = "knxDimmer"


class KnxDimmer(KnxDevice):
    """A dimming actuator channel: on/off (DPT 1.001) and brightness (DPT 5.001 percent)."""

    thing_class = builder.thing_class(
        _DIMMER,
        "KNX dimmer",
        interfaces=("dimmablelight", "connectable"),
        params=(
            builder.address_param(_DIMMER, "switchAddress", "Switch group address"),
            builder.address_param(_DIMMER, "switchStateAddress", "Switch status group address"),
            builder.address_param(_DIMMER, "brightnessAddress", "Brightness group address"),
            builder.address_param(_DIMMER, "brightnessStateAddress", "Brightness status group address"),
        ),
        states=(
            builder.state(_DIMMER, "power", BasicType.BOOL, False, writable=True, display_name="Power"),
            builder.state(
                _DIMMER,
                "brightness",
                BasicType.INT,
                0,
                writable=True,
                display_name="Brightness",
                unit=Unit.PERCENTAGE,
                min_value=0,
                max_value=100,
            ),
            builder.connected_state(_DIMMER),
        ),
    )
    datapoints = (
        Datapoint("power", "switchAddress", "switchStateAddress", _fixed(SWITCH)),
        Datapoint("brightness", "brightnessAddress", "brightnessStateAddress", _fixed(PERCENT)),
    )

    def value_reported(self, bus: Bus, thing: Thing, state: str, value: Any) -> None:
        """Without a switch status, a brightness report tells whether the light is on."""
        # Dimming actuators switch on with any brightness above 0 and off at 0.
        if state == "brightness" and not self._has(thing, "switchStateAddress"):
            bus.report_state(thing, "power", int(value) > 0)


# ----------------------------------------------------------------------------------------------
# Venetian blind
# ----------------------------------------------------------------------------------------------

_BLIND = "knxBlind"
_BLIND_OPEN = builder.action(_BLIND, "open", "Open")
_BLIND_CLOSE = builder.action(_BLIND, "close", "Close")
_BLIND_STOP = builder.action(_BLIND, "stop", "Stop")
_BLIND_STEP_UP = builder.action(_BLIND, "stepUp", "Step lamellas up")
_BLIND_STEP_DOWN = builder.action(_BLIND, "stepDown", "Step lamellas down")

UP = DPTBinary(0)
"""DPT 1.008 up (open) and DPT 1.007 step up."""
DOWN = DPTBinary(1)
"""DPT 1.008 down (close) and DPT 1.007 step down."""


class KnxBlind(KnxDevice):
    """A venetian blind actuator: up/down, step, stop, position and lamella angle (0 % = open)."""

    thing_class = builder.thing_class(
        _BLIND,
        "KNX venetian blind",
        interfaces=("venetianblindstep", "connectable"),
        params=(
            builder.address_param(_BLIND, "upDownAddress", "Up/down group address (DPT 1.008)"),
            builder.address_param(_BLIND, "stepAddress", "Step/stop group address (DPT 1.007)"),
            builder.address_param(_BLIND, "stopAddress", "Stop group address"),
            builder.address_param(_BLIND, "positionAddress", "Position group address (DPT 5.001)"),
            builder.address_param(_BLIND, "positionStateAddress", "Position status group address"),
            builder.address_param(_BLIND, "angleAddress", "Lamella angle group address (DPT 5.001)"),
            builder.address_param(_BLIND, "angleStateAddress", "Lamella angle status group address"),
        ),
        states=(
            builder.state(
                _BLIND,
                "percentage",
                BasicType.INT,
                0,
                writable=True,
                display_name="Position",
                unit=Unit.PERCENTAGE,
                min_value=0,
                max_value=100,
            ),
            # Not cached: after a restart nothing is known to be moving.
            builder.state(_BLIND, "moving", BasicType.BOOL, False, display_name="Moving", cached=False),
            # KNX lamella objects are DPT 5.001 percent, so the angle is one too.
            builder.state(
                _BLIND,
                "angle",
                BasicType.INT,
                0,
                writable=True,
                display_name="Lamella angle",
                unit=Unit.PERCENTAGE,
                min_value=0,
                max_value=100,
            ),
            builder.connected_state(_BLIND),
        ),
        actions=(_BLIND_OPEN, _BLIND_CLOSE, _BLIND_STOP, _BLIND_STEP_UP, _BLIND_STEP_DOWN),
    )
    datapoints = (
        Datapoint("percentage", "positionAddress", "positionStateAddress", _fixed(PERCENT)),
        Datapoint("angle", "angleAddress", "angleStateAddress", _fixed(PERCENT)),
    )
    commands = {"open": "upDownAddress", "close": "upDownAddress", "stepUp": "stepAddress", "stepDown": "stepAddress"}

    def __init__(self) -> None:
        # The position a travelling blind is heading for, until its status reports it.
        self._targets: dict[uuid.UUID, int] = {}

    def removed(self, thing_id: uuid.UUID) -> None:
        """Forget the thing's travel target."""
        self._targets.pop(thing_id, None)

    def command_param(self, thing: Thing, action_name: str) -> str | None:
        """Stop writes the stop address, or a step when there is none (a step stops a travelling blind)."""
        if action_name == "stop":
            return "stopAddress" if self._has(thing, "stopAddress") else "stepAddress"
        return super().command_param(thing, action_name)

    def _travel(self, bus: Bus, thing: Thing, target: int) -> None:
        if not self._has(thing, "positionStateAddress"):
            # No position feedback: nothing would ever end a travel, so take the target as reached.
            bus.report_state(thing, "percentage", target)
            return
        self._targets[thing.id] = target
        bus.report_state(thing, "moving", int(thing.state_value("percentage")) != target)

    def _halt(self, bus: Bus, thing: Thing) -> None:
        self._targets.pop(thing.id, None)
        bus.report_state(thing, "moving", False)

    def on_telegram(self, bus: Bus, thing: Thing, param: str, payload: Payload, origin: Origin) -> None:
        """Up/down, position and stop telegrams drive `moving`; position and angle reports set states."""
        try:
            if param == "upDownAddress":
                self._travel(bus, thing, 100 if SWITCH.decode(payload) else 0)
            elif param in ("stepAddress", "stopAddress"):
                SWITCH.decode(payload)
                self._halt(bus, thing)
            elif param == "positionAddress":
                self._travel(bus, thing, int(PERCENT.decode(payload)))
            else:
                super().on_telegram(bus, thing, param, payload, origin)
        except DECODE_ERRORS as exc:
            _LOG.debug("%s: %s on %s does not decode: %s", thing.name, payload, param, exc)

    def value_reported(self, bus: Bus, thing: Thing, state: str, value: Any) -> None:
        """A position report equal to the travel target ends the travel."""
        if state == "percentage" and self._targets.get(thing.id) == int(value):
            self._halt(bus, thing)

    async def execute(self, bus: Bus, thing: Thing, action: Action) -> None:
        """Open, close, stop, step, or go to a position or lamella angle."""
        kind = action.action_type_id
        if kind in (_BLIND_OPEN.id, _BLIND_CLOSE.id):
            await bus.bus_write(thing, self._address(thing, "upDownAddress"), UP if kind == _BLIND_OPEN.id else DOWN)
        elif kind == _BLIND_STOP.id:
            if self._has(thing, "stopAddress"):
                await bus.bus_write(thing, self._address(thing, "stopAddress"), DPTBinary(1))
            elif self._has(thing, "stepAddress"):
                # KNX blind actuators stop a travel on a step telegram.
                await bus.bus_write(thing, self._address(thing, "stepAddress"), UP)
            else:
                raise _unsupported(thing, "stopAddress")
        elif kind in (_BLIND_STEP_UP.id, _BLIND_STEP_DOWN.id):
            await bus.bus_write(thing, self._address(thing, "stepAddress"), UP if kind == _BLIND_STEP_UP.id else DOWN)
        else:
            state_type = thing.thing_class.state_type(kind)
            if (
                state_type is not None
                and state_type.name == "percentage"
                and not self._has(thing, "positionAddress")
                and self._has(thing, "upDownAddress")
                and action.params[kind] in (0, 100)
            ):
                # Fully open or closed needs no position object: up/down gets there.
                payload = UP if action.params[kind] == 0 else DOWN
                await bus.bus_write(thing, self._address(thing, "upDownAddress"), payload)
                return
            await super().execute(bus, thing, action)


# ----------------------------------------------------------------------------------------------
# Climate
# ----------------------------------------------------------------------------------------------


def _target_temperature(owner: str) -> Any:
    return builder.state(
        owner,
        "targetTemperature",
        BasicType.DOUBLE,
        21.0,
        writable=True,
        display_name="Target temperature",
        unit=Unit.DEGREE_CELSIUS,
        min_value=5.0,
        max_value=35.0,
    )


def _room_temperature(owner: str) -> Any:
    return builder.state(
        owner, "temperature", BasicType.DOUBLE, 0.0, display_name="Room temperature", unit=Unit.DEGREE_CELSIUS
    )


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
            builder.interface_state(
                _THERMOSTAT, "thermostatmode", "operatingMode", "comfort", display_name="Operating mode"
            ),
            builder.state(
                _THERMOSTAT, "chronoEnabled", BasicType.BOOL, False, writable=True, display_name="Week schedule enabled"
            ),
            builder.connected_state(_THERMOSTAT),
        ),
    )
    datapoints = (
        Datapoint("temperature", None, "temperatureAddress", _fixed(TEMPERATURE)),
        Datapoint(
            "targetTemperature", "targetTemperatureAddress", "targetTemperatureStateAddress", _fixed(TEMPERATURE)
        ),
        Datapoint("operatingMode", "operatingModeAddress", "operatingModeStateAddress", _fixed(THERMOSTAT_MODE_CODEC)),
        Datapoint("chronoEnabled", "chronoAddress", "chronoStateAddress", _fixed(SWITCH)),
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
            builder.state(_HVAC, "power", BasicType.BOOL, False, writable=True, display_name="Power"),
            _target_temperature(_HVAC),
            builder.interface_state(_HVAC, "hvac", "hvacMode", "auto", display_name="Mode"),
            builder.interface_state(_HVAC, "hvac", "fanSpeed", "auto", display_name="Fan speed"),
            _room_temperature(_HVAC),
            builder.connected_state(_HVAC),
        ),
    )
    datapoints = (
        Datapoint("power", "powerAddress", "powerStateAddress", _fixed(SWITCH)),
        Datapoint(
            "targetTemperature", "targetTemperatureAddress", "targetTemperatureStateAddress", _fixed(TEMPERATURE)
        ),
        Datapoint("hvacMode", "modeAddress", "modeStateAddress", _fixed(HVAC_MODE_CODEC)),
        Datapoint("fanSpeed", "fanSpeedAddress", "fanSpeedStateAddress", _fixed(_FAN_SPEED)),
        Datapoint("temperature", None, "temperatureAddress", _fixed(TEMPERATURE)),
    )


# ----------------------------------------------------------------------------------------------
# Analog value, scene, button
# ----------------------------------------------------------------------------------------------

_ANALOG = "knxAnalogValue"
_ANALOG_VALUE = builder.state(_ANALOG, "value", BasicType.DOUBLE, 0.0, writable=True, display_name="Value")


@functools.lru_cache(maxsize=64)
def _numeric_codec(dpt: str) -> NumericCodec:
    # Built once per DPT: a codec is asked for on every telegram of every analog value.
    return NumericCodec(dpt)


def _analog_codec(thing: Thing) -> Codec:
    try:
        return _numeric_codec(str(thing.param("dpt")))
    except ValueError as exc:
        raise ThingFailure(ThingError.INVALID_PARAMETER, f"param 'dpt': {exc}") from None


class KnxAnalogValue(KnxDevice):
    """A bare numeric group object of any numeric DPT, with the range from minValue/maxValue."""

    thing_class = builder.thing_class(
        _ANALOG,
        "KNX analog value",
        interfaces=("analogvalue", "connectable"),
        params=(
            builder.address_param(_ANALOG, "address", "Value group address"),
            builder.address_param(_ANALOG, "stateAddress", "Value status group address"),
            builder.param(_ANALOG, "dpt", BasicType.STRING, "9.001", display_name="Datapoint type"),
            builder.param(_ANALOG, "minValue", BasicType.DOUBLE, 0.0, display_name="Minimum"),
            builder.param(_ANALOG, "maxValue", BasicType.DOUBLE, 100.0, display_name="Maximum"),
        ),
        states=(_ANALOG_VALUE, builder.connected_state(_ANALOG)),
    )
    datapoints = (Datapoint("value", "address", "stateAddress", _analog_codec),)

    async def setup(self, bus: Bus, thing: Thing) -> None:
        """Apply the range from the params (the value is clamped into it)."""
        low, high = float(thing.param("minValue")), float(thing.param("maxValue"))
        if low >= high:
            raise ThingFailure(ThingError.INVALID_PARAMETER, f"minValue {low:g} must be below maxValue {high:g}")
        bus.report_limits(thing, "value", low, high)


_SCENE = "knxScene"
_SCENE_LAUNCH = builder.action(_SCENE, "launch", "Launch")
_SCENE_STOP = builder.action(_SCENE, "stop", "Stop")


class KnxScene(KnxDevice):
    """A KNX scene: launching writes its number (DPT 17.001 or 18.001) to the scene address."""

    thing_class = builder.thing_class(
        _SCENE,
        "KNX scene",
        interfaces=("scene", "connectable"),
        params=(
            builder.address_param(_SCENE, "address", "Scene group address", required=True),
            builder.param(
                _SCENE, "sceneNumber", BasicType.INT, 1, display_name="Scene number", min_value=1, max_value=64
            ),
            builder.param(
                _SCENE,
                "dpt",
                BasicType.STRING,
                "17.001",
                display_name="Datapoint type",
                allowed_values=("17.001", "18.001"),
            ),
            builder.address_param(_SCENE, "stopAddress", "Stop group address (1 bit, optional)"),
        ),
        states=(builder.connected_state(_SCENE),),
        events=(builder.event(_SCENE, "launched", "Launched"),),
        actions=(_SCENE_LAUNCH, _SCENE_STOP),
    )
    commands = {"launch": "address", "stop": "stopAddress"}
    event_addresses = {"launched": "address"}

    @staticmethod
    def codec(thing: Thing) -> SceneCodec:
        """The scene number codec for the thing's DPT."""
        try:
            return SceneCodec(str(thing.param("dpt")))
        except ValueError as exc:
            raise ThingFailure(ThingError.INVALID_PARAMETER, f"param 'dpt': {exc}") from None

    def validate(self, thing: Thing) -> dict[str, GroupAddress]:
        """The DPT must be a scene DPT."""
        self.codec(thing)
        return super().validate(thing)

    def on_telegram(self, bus: Bus, thing: Thing, param: str, payload: Payload, origin: Origin) -> None:
        """The scene's number on its address (recalled, not learnt) raises `launched`."""
        if param != "address":
            return
        try:
            number = self.codec(thing).decode(payload)
        except DECODE_ERRORS:
            return
        if number is not None and number == int(thing.param("sceneNumber")):
            bus.report_event(thing, "launched")

    async def execute(self, bus: Bus, thing: Thing, action: Action) -> None:
        """Launch writes the scene number; stop writes 0 to the stop address if there is one."""
        if action.action_type_id == _SCENE_LAUNCH.id:
            payload = _encoded(self.codec(thing), thing.param("sceneNumber"))
            await bus.bus_write(thing, self._address(thing, "address"), payload)
        elif action.action_type_id == _SCENE_STOP.id:
            # KNX scenes are instantaneous: a recall sets values and is over. Only installations
            # with a dedicated stop object (e.g. for a running light sequence) have anything to stop.
            if self._has(thing, "stopAddress"):
                await bus.bus_write(thing, self._address(thing, "stopAddress"), DPTBinary(0))
        else:
            raise ThingFailure(ThingError.ACTION_TYPE_NOT_FOUND, f"{thing.thing_class.name} cannot run this action")


_BUTTON = "knxButton"
_BUTTON_TRIGGER = builder.action(_BUTTON, "trigger", "Press")


class KnxButton(KnxDevice):
    """A push button on a 1-bit group address: `trigger` sends its value, the bus sending it is `pressed`."""

    thing_class = builder.thing_class(
        _BUTTON,
        "KNX button",
        interfaces=("button", "connectable"),
        params=(
            builder.address_param(_BUTTON, "address", "Button group address", required=True),
            builder.param(_BUTTON, "value", BasicType.INT, 1, display_name="Value sent", allowed_values=(0, 1)),
        ),
        states=(builder.connected_state(_BUTTON),),
        events=(builder.event(_BUTTON, "pressed", "Pressed"),),
        actions=(_BUTTON_TRIGGER,),
    )
    commands = {"trigger": "address"}
    event_addresses = {"pressed": "address"}

    def on_telegram(self, bus: Bus, thing: Thing, param: str, payload: Payload, origin: Origin) -> None:
        """A telegram carrying the button's value is a press."""
        if param == "address" and isinstance(payload, DPTBinary) and payload.value == int(thing.param("value")):
            bus.report_event(thing, "pressed")

    async def execute(self, bus: Bus, thing: Thing, action: Action) -> None:
        """Press the button: send its value."""
        if action.action_type_id != _BUTTON_TRIGGER.id:
            raise ThingFailure(ThingError.ACTION_TYPE_NOT_FOUND, f"{thing.thing_class.name} cannot run this action")
        await bus.bus_write(thing, self._address(thing, "address"), DPTBinary(int(thing.param("value"))))


DEVICE_TYPES: tuple[type[KnxDevice], ...] = (
    KnxSwitch,
    KnxLight,
    KnxDimmer,
    KnxBlind,
    KnxThermostat,
    KnxHvac,
    KnxAnalogValue,
    KnxScene,
    KnxButton,
)
"""Every KNX thing class, one device type each."""

THING_CLASSES: tuple[ThingClass, ...] = tuple(device.thing_class for device in DEVICE_TYPES)
"""The KNX thing classes in declaration order."""

CLASSES_BY_NAME: dict[str, ThingClass] = {thing_class.name: thing_class for thing_class in THING_CLASSES}
"""The KNX thing classes by name (knxSwitch, knxBlind, ...)."""
