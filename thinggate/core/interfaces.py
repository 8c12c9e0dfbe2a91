"""The capability catalogue: interfaces a thing class can offer, with nymea's names.

Doors that speak in device kinds (Thinknx controllers, Ezlo item names, iTwin sensor kinds)
find their target by interface, never by class id. Where nymea has a name we use it; where it
has none (thermostat operating mode, chrono schedule, HVAC, analog value, scene, door lock,
lamella steps)
the name is ours and is documented on its entry below.
"""

from __future__ import annotations

import enum
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol


@dataclass(frozen=True, slots=True)
class InterfaceState:
    """A state an interface requires: name, display name, basic type, writability, unit and range."""

    # Type and unit are nymea's wire names (BasicType and Unit values): model.py imports this
    # module, so the enums cannot be imported here.
    name: str
    display_name: str
    type: str
    writable: bool = False
    min_value: float | None = None
    max_value: float | None = None
    possible_values: tuple[str, ...] | None = None
    unit: str | None = None


@dataclass(frozen=True, slots=True)
class Interface:
    """A capability: states, actions and events a class must have to claim it."""

    name: str
    parents: tuple[str, ...] = ()
    states: tuple[InterfaceState, ...] = ()
    actions: tuple[str, ...] = ()
    events: tuple[str, ...] = ()
    description: str = ""


def _iface(
    name: str,
    *,
    parents: tuple[str, ...] = (),
    states: tuple[InterfaceState, ...] = (),
    actions: tuple[str, ...] = (),
    events: tuple[str, ...] = (),
    description: str = "",
) -> Interface:
    return Interface(name, parents, states, actions, events, description)


S = InterfaceState

THERMOSTAT_MODES = ("standby", "comfort", "night", "frost")
HVAC_MODES = ("cool", "heat", "dry", "fan", "auto")
FAN_SPEEDS = ("auto", "min", "avg", "max")

CATALOGUE: dict[str, Interface] = {
    i.name: i
    for i in (
        # nymea's own interfaces
        _iface("system", description="the thing is the hub itself or a part of it"),
        _iface("power", states=(S("power", "Power", "Bool", writable=True),)),
        _iface("light", parents=("power",)),
        _iface(
            "dimmablelight",
            parents=("light",),
            states=(S("brightness", "Brightness", "Int", True, 0, 100, unit="Percentage"),),
        ),
        _iface(
            "colortemperaturelight",
            parents=("dimmablelight",),
            states=(S("colorTemperature", "Color temperature", "Int", True),),
        ),
        _iface("colorlight", parents=("colortemperaturelight",), states=(S("color", "Color", "Color", True),)),
        _iface("simpleclosable", actions=("open", "close")),
        _iface("closable", parents=("simpleclosable",), actions=("stop",)),
        _iface(
            "extendedclosable",
            parents=("closable",),
            states=(S("moving", "Moving", "Bool"), S("percentage", "Position", "Int", True, 0, 100, unit="Percentage")),
        ),
        _iface("blind", parents=("closable",)),
        _iface("extendedblind", parents=("blind", "extendedclosable")),
        _iface(
            "venetianblind",
            parents=("extendedblind",),
            states=(S("angle", "Lamella angle", "Int", True, -90, 90, unit="Degree"),),
        ),
        _iface("sensor"),
        _iface(
            "temperaturesensor",
            parents=("sensor",),
            states=(S("temperature", "Temperature", "Double", unit="DegreeCelsius"),),
        ),
        _iface(
            "humiditysensor",
            parents=("sensor",),
            states=(S("humidity", "Humidity", "Double", False, 0.0, 100.0, unit="Percentage"),),
        ),
        _iface(
            "moisturesensor",
            parents=("sensor",),
            states=(S("moisture", "Soil moisture", "Double", False, 0.0, 100.0, unit="Percentage"),),
        ),
        _iface(
            "lightsensor",
            parents=("sensor",),
            states=(S("lightIntensity", "Light intensity", "Double", min_value=0.0, unit="Lux"),),
        ),
        _iface(
            "presencesensor",
            parents=("sensor",),
            states=(S("isPresent", "Present", "Bool"),),
            description="someone or something is there (motion, presence, activity)",
        ),
        _iface(
            "thermostat", states=(S("targetTemperature", "Target temperature", "Double", True, unit="DegreeCelsius"),)
        ),
        _iface("battery", states=(S("batteryCritical", "Battery critical", "Bool"),)),
        _iface(
            "batterylevel",
            parents=("battery",),
            states=(S("batteryLevel", "Battery level", "Int", False, 0, 100, unit="Percentage"),),
        ),
        _iface("connectable", states=(S("connected", "Connected", "Bool"),)),
        _iface(
            "wirelessconnectable",
            parents=("connectable",),
            states=(S("signalStrength", "Signal strength", "Uint", False, 0, 100, unit="Percentage"),),
        ),
        _iface(
            "energymeter",
            states=(
                S("currentPower", "Current power", "Double", unit="Watt"),
                S("totalEnergyConsumed", "Total energy consumed", "Double", min_value=0.0, unit="KiloWattHour"),
            ),
        ),
        _iface("button", events=("pressed",)),
        _iface("multibutton", parents=("button",)),
        _iface(
            "update",
            states=(
                S("updateStatus", "Update status", "String"),
                S("currentVersion", "Current version", "String"),
                S("availableVersion", "Available version", "String"),
            ),
            actions=("performUpdate",),
        ),
        _iface("gateway", description="a device that connects others (a KNX/IP interface, a bridge)"),
        # thinggate's own: nymea has no name for these
        _iface(
            "thermostatmode",
            parents=("thermostat",),
            states=(S("operatingMode", "Operating mode", "String", True, possible_values=THERMOSTAT_MODES),),
            description="thermostat with operating modes standby/comfort/night/frost (KNX HVAC mode)",
        ),
        _iface(
            "chronothermostat",
            parents=("thermostat",),
            states=(S("chronoEnabled", "Week schedule enabled", "Bool", writable=True),),
            description="thermostat whose week schedule (chrono) can be switched on and off",
        ),
        _iface(
            "hvac",
            parents=("power", "thermostat"),
            states=(
                S("hvacMode", "Mode", "String", True, possible_values=HVAC_MODES),
                S("fanSpeed", "Fan speed", "String", True, possible_values=FAN_SPEEDS),
            ),
            description="air conditioning or fan-coil unit: power, set point, mode and fan speed",
        ),
        _iface(
            "analogvalue",
            states=(S("value", "Value", "Double", writable=True),),
            description="a bare analog value with min/max (a KNX 2-byte float object, a set point)",
        ),
        _iface(
            "venetianblindstep",
            parents=("venetianblind",),
            actions=("stepUp", "stepDown"),
            description="venetian blind whose lamellas turn one step at a time (KNX DPT 1.007 short up/down)",
        ),
        _iface("scene", actions=("launch", "stop"), description="a scene that can be launched and stopped"),
        _iface(
            "doorlock",
            states=(S("locked", "Locked", "Bool", writable=True), S("userCodes", "User codes", "Object")),
            description="a door lock with user codes (a dictionary of slot -> {name, code})",
        ),
    )
}
"""Every interface the hub knows, by name."""


def expand(declared: tuple[str, ...] | list[str]) -> tuple[str, ...]:
    """Expand interfaces depth-first with each one's parents, each name once (nymea's order)."""
    result: list[str] = []

    def visit(name: str) -> None:
        if name in result:
            return
        result.append(name)
        interface = CATALOGUE.get(name)
        for parent in interface.parents if interface else ():
            visit(parent)

    for name in declared:
        visit(name)
    return tuple(result)


def required_states(interface_name: str) -> tuple[InterfaceState, ...]:
    """All states an interface requires, its parents' included."""
    states: list[InterfaceState] = []
    for name in expand((interface_name,)):
        interface = CATALOGUE.get(name)
        if interface:
            states.extend(interface.states)
    return tuple(states)


def required_state(interface_name: str, state_name: str) -> InterfaceState:
    """The catalogue's entry for one state of an interface (its parents' included); KeyError if it has none."""
    for state in required_states(interface_name):
        if state.name == state_name:
            return state
    raise KeyError(f"interface {interface_name!r} has no state {state_name!r}")


class InterfaceMismatch(ValueError):
    """A thing class claims an interface it does not implement."""


class _Named(Protocol):
    @property
    def name(self) -> str: ...


class _DeclaredState(Protocol):
    @property
    def type(self) -> enum.Enum: ...
    @property
    def writable(self) -> bool: ...
    @property
    def possible_values(self) -> tuple[Any, ...] | None: ...


class ClaimingClass(Protocol):
    """What the interface check reads of a thing class (model.ThingClass, which imports this module)."""

    @property
    def id(self) -> uuid.UUID: ...
    @property
    def name(self) -> str: ...
    @property
    def interfaces(self) -> tuple[str, ...]: ...
    @property
    def action_types(self) -> Sequence[_Named]: ...
    @property
    def event_types(self) -> Sequence[_Named]: ...

    def state_type_named(self, name: str) -> _DeclaredState | None:
        """The state type with this name, or None."""
        ...


def check_interfaces(thing_class: ClaimingClass) -> None:
    """Refuse a class claiming an interface without all its states, actions and events (nymea refuses at load)."""
    # A client that knows the interface reads and writes the state by name, type and values;
    # range and unit are the device's own (a KNX lamella angle is 0..100 %, the catalogue's -90..90 degrees).
    problems: list[str] = []
    action_names = {action_type.name for action_type in thing_class.action_types}
    event_names = {event_type.name for event_type in thing_class.event_types}
    for interface_name in thing_class.interfaces:
        interface = CATALOGUE.get(interface_name)
        if interface is None:
            problems.append(f"unknown interface {interface_name!r}")
            continue
        for required in interface.states:
            state_type = thing_class.state_type_named(required.name)
            if state_type is None:
                problems.append(f"{interface_name!r} needs state {required.name!r}")
                continue
            if state_type.type.value != required.type:
                problems.append(f"{interface_name!r} needs state {required.name!r} of type {required.type}")
            if required.writable and not state_type.writable:
                problems.append(f"{interface_name!r} needs state {required.name!r} writable")
            if required.possible_values is not None and state_type.possible_values != required.possible_values:
                problems.append(
                    f"{interface_name!r} needs state {required.name!r} with values {required.possible_values}"
                )
        problems.extend(
            f"{interface_name!r} needs action {name!r}" for name in interface.actions if name not in action_names
        )
        problems.extend(
            f"{interface_name!r} needs event {name!r}" for name in interface.events if name not in event_names
        )
    if problems:
        raise InterfaceMismatch(f"thing class {thing_class.name!r} ({thing_class.id}): " + "; ".join(problems))
