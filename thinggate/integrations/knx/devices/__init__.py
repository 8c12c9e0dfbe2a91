"""The KNX thing classes, one module per device family, and the table of them.

`base` holds what every device shares; `switches`, `blinds`, `climate`, `analog`, `scenes` and
`buttons` one family each. A new device class is a `KnxDevice` subclass in its family's module
and one line in DEVICE_TYPES below.
"""

from __future__ import annotations

from thinggate.core.model import ThingClass
from thinggate.integrations.knx.devices.analog import KnxAnalogValue
from thinggate.integrations.knx.devices.base import Bus, Datapoint, KnxDevice, Origin
from thinggate.integrations.knx.devices.blinds import DOWN, UP, KnxBlind
from thinggate.integrations.knx.devices.buttons import KnxButton
from thinggate.integrations.knx.devices.climate import KnxHvac, KnxThermostat
from thinggate.integrations.knx.devices.scenes import KnxScene
from thinggate.integrations.knx.devices.switches import KnxDimmer, KnxLight, KnxSwitch

DEVICE_TYPES: tuple[type[KnxDevice], ...] = (
    KnxSwitch,
    KnxLight,
    KnxDimmer,
    KnxBlind,
    KnxThermostat,
    KnxHvac,
    KnxAnalogValue,
    KnxScene,
    KnxButton,
)
"""Every KNX thing class, one device type each."""

THING_CLASSES: tuple[ThingClass, ...] = tuple(device.thing_class for device in DEVICE_TYPES)
"""The KNX thing classes in declaration order."""

CLASSES_BY_NAME: dict[str, ThingClass] = {thing_class.name: thing_class for thing_class in THING_CLASSES}
"""The KNX thing classes by name (knxSwitch, knxBlind, ...)."""

__all__ = [
    "CLASSES_BY_NAME",
    "DEVICE_TYPES",
    "DOWN",
    "THING_CLASSES",
    "UP",
    "Bus",
    "Datapoint",
    "KnxAnalogValue",
    "KnxBlind",
    "KnxButton",
    "KnxDevice",
    "KnxDimmer",
    "KnxHvac",
    "KnxLight",
    "KnxScene",
    "KnxSwitch",
    "KnxThermostat",
    "Origin",
]
