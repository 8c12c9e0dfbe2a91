"""Every device controller of the Integration Kit, as data: which capability, state and action it uses.

A controller finds its target by interface (DESIGN.md's capability catalogue), so it works on
virtual, KNX and generic things alike. Three kinds:
- status: reads a state (`powerstatus`);
- set: writes a state through its own action, optionally waiting for feedback (`power&fb`);
- command: `cmd` picks one of a few actions (`updown`: 0 = open, 1 = close).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

from thinggate.api.thinknx.codecs import NUMBER, ON_OFF, PERCENT, Choice, Codec
from thinggate.core.interfaces import FAN_SPEEDS, HVAC_MODES, THERMOSTAT_MODES


class Kind(enum.Enum):
    """What a controller does."""

    STATUS = "status"
    SET = "set"
    COMMAND = "command"


@dataclass(frozen=True, slots=True)
class Controller:
    """One URL of the API (`api/V1/<name>`)."""

    name: str
    kind: Kind
    interface: str
    state: str = ""
    codec: Codec | None = None
    param: str = "cmd"
    commands: dict[int, str] = field(default_factory=dict)  # cmd value -> action name
    cmd_optional: bool = False


def _status(name: str, interface: str, state: str, codec: Codec) -> Controller:
    return Controller(name, Kind.STATUS, interface, state, codec)


def _set(name: str, interface: str, state: str, codec: Codec, param: str = "cmd") -> Controller:
    return Controller(name, Kind.SET, interface, state, codec, param)


def _command(name: str, interface: str, commands: dict[int, str], *, cmd_optional: bool = False) -> Controller:
    return Controller(name, Kind.COMMAND, interface, commands=commands, cmd_optional=cmd_optional)


_THERMOSTAT_MODES = Choice(THERMOSTAT_MODES)  # 0 standby, 1 comfort, 2 night/economy, 3 frost
_HVAC_MODES = Choice(HVAC_MODES)  # 0 cooling, 1 heating, 2 dry, 3 fan, 4 auto
_FAN_SPEEDS = Choice(FAN_SPEEDS)  # 0 auto, 1 minimum, 2 average, 3 maximum

CONTROLLERS: dict[str, Controller] = {
    c.name.lower(): c
    for c in (
        # lights, switches and bulbs
        _set("power", "power", "power", ON_OFF),
        _status("powerstatus", "power", "power", ON_OFF),
        _set("powerlevel", "dimmablelight", "brightness", PERCENT),
        _status("powerlevelstatus", "dimmablelight", "brightness", PERCENT),
        # blinds, curtains and lamellas (position 0 = open/up, 100 = closed/down, as KNX 5.001)
        _command("updown", "closable", {0: "open", 1: "close"}),
        _command("stop", "closable", {1: "stop"}),
        _set("heightlevel", "extendedclosable", "percentage", PERCENT, param="val"),
        _status("heightlevelstatus", "extendedclosable", "percentage", PERCENT),
        _command("blindstep", "venetianblindstep", {0: "stepUp", 1: "stepDown"}),
        _set("blindangle", "venetianblind", "angle", PERCENT),
        _status("blindanglestatus", "venetianblind", "angle", PERCENT),
        # analog values
        _set("setvalue", "analogvalue", "value", NUMBER),
        _status("getvalue", "analogvalue", "value", NUMBER),
        # thermostats
        _status("actualtemp", "temperaturesensor", "temperature", NUMBER),
        _set("setpoint", "thermostat", "targetTemperature", NUMBER),
        _status("setpointstatus", "thermostat", "targetTemperature", NUMBER),
        _set("tempmode", "thermostatmode", "operatingMode", _THERMOSTAT_MODES),
        _status("tempmodestatus", "thermostatmode", "operatingMode", _THERMOSTAT_MODES),
        _set("chronoen", "chronothermostat", "chronoEnabled", ON_OFF),
        _status("chronoenstatus", "chronothermostat", "chronoEnabled", ON_OFF),
        # HVAC units and fans
        _set("hvacpower", "hvac", "power", ON_OFF),
        _status("hvacpowerstatus", "hvac", "power", ON_OFF),
        _set("hvacsetpoint", "hvac", "targetTemperature", NUMBER),
        _status("hvacsetpointstatus", "hvac", "targetTemperature", NUMBER),
        _set("hvacmode", "hvac", "hvacMode", _HVAC_MODES),
        _status("hvacmodestatus", "hvac", "hvacMode", _HVAC_MODES),
        _set("hvacfan", "hvac", "fanSpeed", _FAN_SPEEDS),
        _status("hvacfanstatus", "hvac", "fanSpeed", _FAN_SPEEDS),
        # scenes and generic buttons
        _command("scenelaunch", "scene", {0: "stop", 1: "launch"}),
        _command("trigger", "button", {1: "trigger"}, cmd_optional=True),
    )
}
"""Device controllers by lower-case name."""


def controllers_for(interfaces: tuple[str, ...]) -> list[Controller]:
    """The controllers a thing with these interfaces supports, in the table's order."""
    return [controller for controller in CONTROLLERS.values() if controller.interface in interfaces]
