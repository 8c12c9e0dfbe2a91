"""The project tree as the Thinknx server page "Integration Kit" shows it: rooms, devices, GUIDs, URLs."""

from __future__ import annotations

from dataclasses import dataclass

from thinggate.api.thinknx.controllers import Controller, Kind, controllers_for
from thinggate.core.guids import guid_of
from thinggate.core.model import Thing

_VALUES: dict[str, str] = {
    "power": "[0 or 1]",
    "powerlevel": "[0 to 100]",
    "updown": "[0=up or 1=down]",
    "stop": "1",
    "heightlevel": "[0 to 100]",
    "blindstep": "[0 or 1]",
    "blindangle": "[0 to 100]",
    "setvalue": "[new_value]",
    "setpoint": "[new_setpoint]",
    "tempmode": "[0=standby 1=comfort 2=night 3=frost]",
    "chronoen": "[0 or 1]",
    "hvacpower": "[0 or 1]",
    "hvacsetpoint": "[new_setpoint]",
    "hvacmode": "[0=cool 1=heat 2=dry 3=fan 4=auto]",
    "hvacfan": "[0=auto 1=min 2=avg 3=max]",
    "scenelaunch": "[0=stop or 1=launch]",
    "trigger": "1",
}


@dataclass(frozen=True, slots=True)
class TreeDevice:
    """One device of the tree with the URLs it supports."""

    room: str
    name: str
    kind: str
    guid: str
    urls: tuple[str, ...]


def url_for(controller: Controller, guid: str) -> str:
    """The example URL of a controller for a device, as the server page lets one copy it."""
    url = f"/api/V1/{controller.name}?guid={guid}"
    if controller.kind is Kind.STATUS:
        return url
    url += f"&{controller.param}={_VALUES.get(controller.name, '[value]')}"
    return url + "&fb" if controller.kind is Kind.SET else url


def project_tree(things: list[Thing]) -> list[TreeDevice]:
    """Every thing that some controller can reach, by room and name."""
    devices = []
    for thing in things:
        controllers = controllers_for(thing.thing_class.interfaces)
        if not controllers:
            continue
        guid = guid_of(thing.id)
        devices.append(
            TreeDevice(
                room=thing.room or "(no room)",
                name=thing.name,
                kind=thing.thing_class.display_name,
                guid=guid,
                urls=tuple(url_for(controller, guid) for controller in controllers),
            )
        )
    return sorted(devices, key=lambda device: (device.room, device.name))
