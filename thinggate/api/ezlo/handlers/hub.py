"""Login, hub facts, devices, rooms and hub.data.list."""

from __future__ import annotations

import datetime
import platform
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from msgspec import UNSET

from thinggate.api.ezlo import ids, network
from thinggate.api.ezlo.params import DataListParams, DataSection, LoginParams, NoParams

if TYPE_CHECKING:
    from thinggate.api.ezlo.session import Door, EzloSession

Params = dict[str, Any]


async def offline_login_ui(door: Door, session: EzloSession, params: LoginParams) -> Params:
    """`hub.offline.login.ui {user, token}`: a thinggate user name and one of its tokens."""
    await door.log_in(session, params.user, params.token)
    return {}


async def info_get(door: Door, session: EzloSession, params: NoParams) -> Params:
    """Serial, firmware, model, uuid, access flags, uptime and location of the hub."""
    now = datetime.datetime.now().astimezone()
    settings = door.settings
    return {
        "serial": settings.serial,
        "firmware": settings.firmware,
        "architecture": platform.machine(),
        "model": settings.model,
        "hardware": platform.machine(),
        "kernel": platform.release(),
        "uuid": str(door.server_uuid),
        "offlineAnonymousAccess": settings.anonymous_access,
        "offlineInsecureAccess": settings.insecure_access,
        "uptime": door.uptime(),
        "localtime": now.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "location": {"latitude": 0, "longitude": 0, "timezone": now.tzname() or "UTC", "state": "default"},
        "build": {"time": "", "builder": "thinggate", "branch": "main", "commit": ""},
    }


async def network_get(door: Door, session: EzloSession, params: NoParams) -> Params:
    """The host's network interfaces."""
    return {"interfaces": network.interfaces()}


def _devices(door: Door, session: EzloSession) -> list[Params]:
    return [door.index.device_json(thing) for thing in door.hub.visible_things(session.require_principal())]


async def devices_list(door: Door, session: EzloSession, params: NoParams) -> Params:
    """Every device the user sees."""
    return {"devices": _devices(door, session)}


def rooms(door: Door, session: EzloSession) -> list[Params]:
    """The rooms of the things the user sees, by name."""
    visible = door.hub.visible_things(session.require_principal())
    names = sorted({thing.room for thing in visible if thing.room})
    return [
        {"_id": ids.room_id(name), "name": name, "imageId": "", "pos": position} for position, name in enumerate(names)
    ]


async def room_list(door: Door, session: EzloSession, params: NoParams) -> list[Params]:
    """The rooms, as an array (not an object): clients read the result as the list itself."""
    return rooms(door, session)


async def data_list(door: Door, session: EzloSession, params: DataListParams) -> Params:
    """Devices, items, rooms and scenes in one answer; each section filtered by `ids` and `fields`."""
    from thinggate.api.ezlo.handlers.scenes import scenes

    sections: dict[str, Callable[[], list[Params]]] = {
        "devices": lambda: _devices(door, session),
        "items": lambda: [
            item.json()
            for thing in door.hub.visible_things(session.require_principal())
            for item in door.index.by_thing.get(thing.id, ())
        ],
        "rooms": lambda: rooms(door, session),
        "scenes": lambda: scenes(door, session),
    }
    asked = {name: getattr(params, name) for name in sections}
    wanted = {name: spec for name, spec in asked.items() if spec is not UNSET} or dict.fromkeys(sections)
    result: Params = {}
    for name, spec in wanted.items():
        section = spec if isinstance(spec, DataSection) else DataSection()  # null: the whole section
        objects: list[Params | None] = list(sections[name]())
        if section.ids is not None:
            by_id = {obj["_id"]: obj for obj in objects if obj is not None}
            objects = [by_id.get(object_id) for object_id in section.ids]  # unknown ids answer null
        include = section.fields.include if section.fields is not None else None
        if include is not None:
            keep = {"_id", *include}
            objects = [
                {key: value for key, value in obj.items() if key in keep} if obj is not None else None
                for obj in objects
            ]
        result[name] = objects
    return result
