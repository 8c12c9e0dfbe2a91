"""A push button of the simulated house."""

from __future__ import annotations

from thinggate.core.model import Action, Thing, ThingClass
from thinggate.integrations.virtual import builder
from thinggate.integrations.virtual.house.base import HouseBehaviour

_BUTTON = "button"
_BUTTON_TRIGGER = builder.action(_BUTTON, "trigger", display_name="Press")


class ButtonBehaviour(HouseBehaviour):
    """A generic push button: the `trigger` action presses it once."""

    thing_class: ThingClass = builder.thing_class(
        _BUTTON,
        "Button",
        interfaces=("button",),
        events=(builder.event(_BUTTON, "pressed", display_name="Pressed"),),
        actions=(_BUTTON_TRIGGER,),
    )

    async def execute(self, thing: Thing, action: Action) -> None:
        """Press the button."""
        if action.action_type_id == _BUTTON_TRIGGER.id:
            self.emit(thing, "pressed")
            return
        await super().execute(thing, action)
