"""hub.scenes.list and hub.scenes.run: the hub's scene things (interface `scene`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from thinggate.api.ezlo import errors, ids
from thinggate.api.ezlo.errors import EzloError
from thinggate.api.ezlo.params import NoParams, ScenesRunParams
from thinggate.core.interfaces import expand
from thinggate.core.model import Thing

if TYPE_CHECKING:
    from thinggate.api.ezlo.session import Door, EzloSession

Params = dict[str, Any]


def _scene_things(door: Door, session: EzloSession) -> list[Thing]:
    visible = door.hub.visible_things(session.require_principal())
    return [thing for thing in visible if "scene" in expand(thing.thing_class.interfaces)]


def scenes(door: Door, session: EzloSession) -> list[Params]:
    """The scene objects of the scenes the user sees."""
    return [
        {
            "_id": ids.device_id(thing.id),
            "name": thing.name,
            "enabled": thing.setup_complete,
            "is_group": False,
            "group_id": "",
            "parent_id": "",
            "user_notifications": [],
            "house_modes": [mode.id for mode in door.modes.modes],
            "meta": {},
            "when": [],
            "then": [],
        }
        for thing in _scene_things(door, session)
    ]


async def scenes_list(door: Door, session: EzloSession, params: NoParams) -> Params:
    """Every scene."""
    return {"scenes": scenes(door, session)}


async def scenes_run(door: Door, session: EzloSession, params: ScenesRunParams) -> Params:
    """Launch a scene: `hub.scene.run.progress` started, then finished (or failed)."""
    scene_id = params.scene_id
    thing = next((t for t in _scene_things(door, session) if ids.device_id(t.id) == scene_id), None)
    if thing is None:
        raise EzloError(errors.APPLICATION_ERROR, "ezlo.scenes.not.exist", "Scene does not exist", scene_id)
    launch = thing.thing_class.action_type_named("launch")
    if launch is None:
        raise EzloError(errors.APPLICATION_ERROR, "ezlo.scenes.not.exist", "Scene cannot be run", thing.name)

    def progress(status: str) -> None:
        door.broadcast(
            "hub.scene.run.progress",
            {
                "scene_id": scene_id,
                "scene_name": thing.name,
                "status": status,
                "notifications": [],
                "userNotification": False,
            },
            thing=thing,
        )

    progress("started")
    result = await door.hub.execute_action(session.require_principal(), thing.id, launch.id)
    progress("finished" if result.ok else "failed")
    if result.failure is not None:
        raise errors.for_failure(result.failure, failed="Scene failed")
    return {}
