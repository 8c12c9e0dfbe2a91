"""hub.modes.get and hub.modes.switch: the core's house modes."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from thinggate.api.ezlo import errors
from thinggate.api.ezlo.params import ModesSwitchParams, NoParams

if TYPE_CHECKING:
    from thinggate.api.ezlo.session import Door, EzloSession

Params = dict[str, Any]


async def modes_get(door: Door, session: EzloSession, params: NoParams) -> Params:
    """The modes, the current one and the delays (thinggate switches at once: 0 s)."""
    modes = door.modes
    return {
        "current": modes.current.id,
        "switchTo": "",
        "timeIsLeftToSwitch": 0,
        "switchToDelay": 0,
        "alarmDelay": 0,
        "modes": [
            {
                "_id": mode.id,
                "name": mode.name,
                "description": "",
                "notifications": [],
                "disarmedDefault": True,
                "disarmedDevices": [],
                "alarmsOffDevices": [],
                "cameraOffDevices": [],
                "protect": [],
                "bypass": [],
            }
            for mode in modes.modes
        ],
    }


async def modes_switch(door: Door, session: EzloSession, params: ModesSwitchParams) -> Params:
    """Switch to the mode given by `modeId` (or `name`)."""
    if params.mode_id is None and params.name is None:
        raise errors.missing("modeId")
    # UnknownHouseMode and PermissionDenied are answered by the door from errors.for_failure.
    mode = door.modes.find(mode_id=params.mode_id, name=params.name)
    await door.modes.switch(session.require_principal(), mode)
    return {"switchToDelay": 0}
