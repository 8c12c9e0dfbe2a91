"""The capability catalogue: interfaces a thing class can offer, with nymea's names.

Doors that speak in device kinds (Thinknx controllers, Ezlo item names, iTwin sensor kinds)
find their target by interface, never by class id. Where nymea has a name we use it; where it
has none (thermostat operating mode, chrono schedule, HVAC, analog value, scene, door lock,
lamella steps)
the name is ours and is documented on its entry below.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class InterfaceState:
    """A state an interface requires: its name, basic type name, writability and range."""

    name: str
    type: str
    writable: bool = False
    min_value: float | None = None
    max_value: float | None = None
    possible_values: tuple[str, ...] | None = None


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
        _iface("power", states=(S("power", "Bool", writable=True),)),
        _iface("light", parents=("power",)),
        _iface("dimmablelight", parents=("light",), states=(S("brightness", "Int", True, 0, 100),)),
        _iface("colortemperaturelight", parents=("dimmablelight",), states=(S("colorTemperature", "Int", True),)),
        _iface("colorlight", parents=("colortemperaturelight",), states=(S("color", "Color", True),)),
        _iface("simpleclosable", actions=("open", "close")),
        _iface("closable", parents=("simpleclosable",), actions=("stop",)),
        _iface(
            "extendedclosable",
            parents=("closable",),
            states=(S("moving", "Bool"), S("percentage", "Int", True, 0, 100)),
        ),
        _iface("blind", parents=("closable",)),
        _iface("extendedblind", parents=("blind", "extendedclosable")),
        _iface("venetianblind", parents=("extendedblind",), states=(S("angle", "Int", True, -90, 90),)),
        _iface("sensor"),
        _iface("temperaturesensor", parents=("sensor",), states=(S("temperature", "Double"),)),
        _iface("humiditysensor", parents=("sensor",), states=(S("humidity", "Double", False, 0, 100),)),
        _iface("moisturesensor", parents=("sensor",), states=(S("moisture", "Double", False, 0, 100),)),
        _iface("lightsensor", parents=("sensor",), states=(S("lightIntensity", "Double"),)),
        _iface("thermostat", states=(S("targetTemperature", "Double", writable=True),)),
        _iface("battery", states=(S("batteryCritical", "Bool"),)),
        _iface("batterylevel", parents=("battery",), states=(S("batteryLevel", "Int", False, 0, 100),)),
        _iface("connectable", states=(S("connected", "Bool"),)),
        _iface("wirelessconnectable", parents=("connectable",), states=(S("signalStrength", "Uint", False, 0, 100),)),
        _iface("energymeter", states=(S("currentPower", "Double"), S("totalEnergyConsumed", "Double"))),
        _iface("button", events=("pressed",)),
        _iface("multibutton", parents=("button",)),
        _iface(
            "update",
            states=(S("updateStatus", "String"), S("currentVersion", "String"), S("availableVersion", "String")),
            actions=("performUpdate",),
        ),
        _iface("gateway", description="a device that connects others (a KNX/IP interface, a bridge)"),
        # thinggate's own: nymea has no name for these
        _iface(
            "thermostatmode",
            parents=("thermostat",),
            states=(S("operatingMode", "String", True, possible_values=THERMOSTAT_MODES),),
            description="thermostat with operating modes standby/comfort/night/frost (KNX HVAC mode)",
        ),
        _iface(
            "chronothermostat",
            parents=("thermostat",),
            states=(S("chronoEnabled", "Bool", writable=True),),
            description="thermostat whose week schedule (chrono) can be switched on and off",
        ),
        _iface(
            "hvac",
            parents=("power", "thermostat"),
            states=(
                S("hvacMode", "String", True, possible_values=HVAC_MODES),
                S("fanSpeed", "String", True, possible_values=FAN_SPEEDS),
            ),
            description="air conditioning or fan-coil unit: power, set point, mode and fan speed",
        ),
        _iface(
            "analogvalue",
            states=(S("value", "Double", writable=True),),
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
            states=(S("locked", "Bool", writable=True), S("userCodes", "Object")),
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
