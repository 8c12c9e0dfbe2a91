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


_EXAMPLES: dict[str, str] = {
    "power": "1",
    "powerlevel": "50",
    "updown": "1",
    "stop": "1",
    "heightlevel": "50",
    "blindstep": "1",
    "blindangle": "50",
    "setvalue": "0",
    "setpoint": "21",
    "tempmode": "1",
    "chronoen": "1",
    "hvacpower": "1",
    "hvacsetpoint": "21",
    "hvacmode": "4",
    "hvacfan": "0",
    "scenelaunch": "1",
    "trigger": "1",
}
"""A value each controller takes, for a URL that works as it is copied (the tree's show the range)."""


@dataclass(frozen=True, slots=True)
class TreeDevice:
    """One device of the tree with the URLs it supports."""

    room: str
    name: str
    kind: str
    guid: str
    urls: tuple[str, ...]


def url_for(controller: Controller, guid: str, *, example: bool = False) -> str:
    """The URL of a controller for a device, as the server page shows it (the values' range), or,
    with `example`, with one value filled in: a URL that works as it is copied."""
    url = f"/api/V1/{controller.name}?guid={guid}"
    if controller.kind is Kind.STATUS:
        return url
    values = _EXAMPLES if example else _VALUES
    url += f"&{controller.param}={values.get(controller.name, '1' if example else '[value]')}"
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
