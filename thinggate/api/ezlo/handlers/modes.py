"""hub.modes.get and hub.modes.switch: the core's house modes."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from thinggate.api.ezlo import errors
from thinggate.api.ezlo.errors import EzloError
from thinggate.api.ezlo.params import ModesSwitchParams, NoParams
from thinggate.core.errors import PermissionDenied
from thinggate.core.modes import UnknownHouseMode

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
    try:
        mode = door.modes.find(mode_id=params.mode_id, name=params.name)
    except UnknownHouseMode as exc:
        raise EzloError(
            errors.APPLICATION_ERROR, "ezlo.house_mode.not.exist", "House mode does not exist", str(exc)
        ) from None
    try:
        await door.modes.switch(session.require_principal(), mode)
    except PermissionDenied as exc:
        raise errors.no_permission(str(exc)) from None
    return {"switchToDelay": 0}
