"""The venetian blind of the simulated house: travels and tilts in simulated time."""

from __future__ import annotations

import uuid

from thinggate.core.model import Action, BasicType, Thing, ThingClass, Unit
from thinggate.integrations.virtual import builder
from thinggate.integrations.virtual.house.base import HouseBehaviour, written_value

_BLIND = "venetianBlind"
_BLIND_PERCENTAGE = builder.interface_state(_BLIND, "extendedclosable", "percentage", 0)
# Not cached: after a restart the blind stands still, whatever was reported last.
_BLIND_MOVING = builder.interface_state(_BLIND, "extendedclosable", "moving", False, cached=False)
_BLIND_ANGLE = builder.interface_state(_BLIND, "venetianblind", "angle", 0)
_BLIND_OPEN = builder.action(_BLIND, "open", display_name="Open")
_BLIND_CLOSE = builder.action(_BLIND, "close", display_name="Close")
_BLIND_STOP = builder.action(_BLIND, "stop", display_name="Stop")
_BLIND_STEP_UP = builder.action(_BLIND, "stepUp", display_name="Step lamellas up")
_BLIND_STEP_DOWN = builder.action(_BLIND, "stepDown", display_name="Step lamellas down")
LAMELLA_STEP = 15
"""Degrees one lamella step turns the virtual blind's lamellas."""


class VenetianBlindBehaviour(HouseBehaviour):
    """A venetian blind that travels 1 % at a time (0 = open, 100 = closed, as nymea)."""

    thing_class: ThingClass = builder.thing_class(
        _BLIND,
        "Venetian blind",
        interfaces=("venetianblindstep",),
        settings=(
            builder.param(
                _BLIND,
                "travelTime",
                BasicType.DOUBLE,
                20.0,
                kind="setting",
                display_name="Full travel time",
                min_value=1.0,
                max_value=600.0,
                unit=Unit.SECONDS,
            ),
        ),
        states=(_BLIND_PERCENTAGE, _BLIND_MOVING, _BLIND_ANGLE),
        actions=(_BLIND_OPEN, _BLIND_CLOSE, _BLIND_STOP, _BLIND_STEP_UP, _BLIND_STEP_DOWN),
    )

    async def execute(self, thing: Thing, action: Action) -> None:
        """Travel to a position, open, close, stop or turn the lamellas."""
        is_position, position = written_value(action, _BLIND_PERCENTAGE)
        if is_position:
            await self._travel_to(thing, int(position))
        elif action.action_type_id == _BLIND_OPEN.id:
            await self._travel_to(thing, 0)
        elif action.action_type_id == _BLIND_CLOSE.id:
            await self._travel_to(thing, 100)
        elif action.action_type_id == _BLIND_STOP.id:
            await self.cancel_timer(thing.id, "travel")
            self.set_state(thing, "moving", False)
            # A stopped actuator reports where it stands, as KNX blind actuators do.
            self.set_state(thing, "percentage", thing.state_value("percentage"))
        elif action.action_type_id in (_BLIND_STEP_UP.id, _BLIND_STEP_DOWN.id):
            step = -LAMELLA_STEP if action.action_type_id == _BLIND_STEP_UP.id else LAMELLA_STEP
            angle = max(-90, min(90, int(thing.state_value("angle")) + step))
            self.set_state(thing, "angle", angle)
        else:
            # The angle (and anything else state-generated) is set directly.
            await super().execute(thing, action)

    async def _travel_to(self, thing: Thing, target: int) -> None:
        # The action answers at once, as a real actuator acknowledges; the travel runs on a timer.
        await self.cancel_timer(thing.id, "travel")
        if thing.state_value("percentage") == target:
            self.set_state(thing, "moving", False)
            self.set_state(thing, "percentage", target)  # confirms the position it already has
            return
        self.set_state(thing, "moving", True)

        def step_interval(current: Thing) -> float:
            return float(current.setting("travelTime")) / 100.0

        def step(current: Thing) -> bool:
            position = int(current.state_value("percentage"))
            if position != target:
                position += 1 if target > position else -1
                self.set_state(current, "percentage", position)
            if position == target:
                self.set_state(current, "moving", False)
                return False
            return True

        async def travel(thing_id: uuid.UUID) -> None:
            await self.every(thing_id, step_interval, step)

        self.start_timer(thing, "travel", travel)
