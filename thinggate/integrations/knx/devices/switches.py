"""KNX switches, lights and dimmers: switching actuator channels (DPT 1.001, 5.001)."""

from __future__ import annotations

from typing import Any

from thinggate.core.model import BasicType, Thing, ThingClass
from thinggate.integrations.knx import builder
from thinggate.integrations.knx.codecs import PERCENT, SWITCH, BoolCodec, Codec
from thinggate.integrations.knx.devices.base import Bus, Datapoint, KnxDevice, fixed


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
            builder.interface_state(name, "power", "power", False),
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
            builder.interface_state(_DIMMER, "power", "power", False),
            builder.interface_state(_DIMMER, "dimmablelight", "brightness", 0),
            builder.connected_state(_DIMMER),
        ),
    )
    datapoints = (
        Datapoint("power", "switchAddress", "switchStateAddress", fixed(SWITCH)),
        Datapoint("brightness", "brightnessAddress", "brightnessStateAddress", fixed(PERCENT)),
    )

    def value_reported(self, bus: Bus, thing: Thing, state: str, value: Any) -> None:
        """Without a switch status, a brightness report tells whether the light is on."""
        # Dimming actuators switch on with any brightness above 0 and off at 0.
        if state == "brightness" and not self._has(thing, "switchStateAddress"):
            bus.report_state(thing, "power", int(value) > 0)
