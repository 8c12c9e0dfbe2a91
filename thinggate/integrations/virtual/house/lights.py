"""Lights of the simulated house: switched and dimmable."""

from __future__ import annotations

from thinggate.core.model import Action, Thing, ThingClass
from thinggate.integrations.virtual import builder
from thinggate.integrations.virtual.house.base import HouseBehaviour, written_value

_LIGHT = "light"


class LightBehaviour(HouseBehaviour):
    """An on/off light: its power state is written directly."""

    thing_class: ThingClass = builder.thing_class(
        _LIGHT,
        "On/off light",
        interfaces=("light",),
        states=(builder.interface_state(_LIGHT, "power", "power", False),),
    )


_DIMMER = "dimmableLight"
_DIMMER_POWER = builder.interface_state(_DIMMER, "power", "power", False)
_DIMMER_BRIGHTNESS = builder.interface_state(_DIMMER, "dimmablelight", "brightness", 100)


class DimmableLightBehaviour(HouseBehaviour):
    """A dimmable light: brightness above 0 switches it on, switching off keeps the brightness."""

    thing_class: ThingClass = builder.thing_class(
        _DIMMER,
        "Dimmable light",
        interfaces=("dimmablelight",),
        states=(_DIMMER_POWER, _DIMMER_BRIGHTNESS),
    )

    async def execute(self, thing: Thing, action: Action) -> None:
        """Set power or brightness, keeping the two consistent as a real dimmer does."""
        is_power, power = written_value(action, _DIMMER_POWER)
        if is_power:
            # Switching on at 0 % would be on yet dark: come on at full brightness instead.
            if power and thing.state_value("brightness") == 0:
                self.set_state(thing, "brightness", 100)
            self.set_state(thing, "power", power)
            return
        is_brightness, brightness = written_value(action, _DIMMER_BRIGHTNESS)
        if is_brightness:
            self.set_state(thing, "brightness", brightness)
            # A dimmer driven to 0 % reports itself off (KNX dimming actuators do).
            self.set_state(thing, "power", brightness > 0)
            return
        await super().execute(thing, action)
