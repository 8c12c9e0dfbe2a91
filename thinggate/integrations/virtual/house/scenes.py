"""A scene of the simulated house: launching raises an event."""

from __future__ import annotations

from thinggate.core.model import Action, BasicType, Thing, ThingClass
from thinggate.integrations.virtual import builder
from thinggate.integrations.virtual.house.base import HouseBehaviour

_SCENE = "scene"
_SCENE_LAUNCH = builder.action(_SCENE, "launch", display_name="Launch")
_SCENE_STOP = builder.action(_SCENE, "stop", display_name="Stop")


class SceneBehaviour(HouseBehaviour):
    """A scene: launching makes it active and raises `launched`, stopping makes it inactive."""

    thing_class: ThingClass = builder.thing_class(
        _SCENE,
        "Scene",
        interfaces=("scene",),
        states=(builder.state(_SCENE, "active", BasicType.BOOL, False, display_name="Active"),),
        events=(builder.event(_SCENE, "launched", display_name="Launched"),),
        actions=(_SCENE_LAUNCH, _SCENE_STOP),
    )

    async def execute(self, thing: Thing, action: Action) -> None:
        """Launch or stop the scene."""
        if action.action_type_id == _SCENE_LAUNCH.id:
            self.set_state(thing, "active", True)
            self.emit(thing, "launched")
        elif action.action_type_id == _SCENE_STOP.id:
            self.set_state(thing, "active", False)
        else:
            await super().execute(thing, action)
