"""The demo house: about twenty virtual things in rooms, added to a fresh hub by `serve --demo`."""

from __future__ import annotations

import logging

from thinggate.core.hub import Hub
from thinggate.core.security import SYSTEM
from thinggate.integrations.virtual import VirtualIntegration

_LOG = logging.getLogger(__name__)

DEMO_HOUSE: tuple[tuple[str, str, str], ...] = (
    # (room, thing name, virtual class name)
    ("Living room", "Ceiling light", "dimmableLight"),
    ("Living room", "Reading lamp", "light"),
    ("Living room", "Blind south", "venetianBlind"),
    ("Living room", "Thermostat", "thermostat"),
    ("Living room", "Temperature", "temperatureSensor"),
    ("Living room", "Evening scene", "scene"),
    ("Kitchen", "Ceiling light", "light"),
    ("Kitchen", "Worktop light", "dimmableLight"),
    ("Kitchen", "Humidity", "humiditySensor"),
    ("Bedroom", "Bedside light", "dimmableLight"),
    ("Bedroom", "Blind east", "venetianBlind"),
    ("Bedroom", "Air conditioning", "hvacUnit"),
    ("Bedroom", "Wall switch", "button"),
    ("Office", "Desk light", "dimmableLight"),
    ("Office", "Thermostat", "thermostat"),
    ("Office", "Brightness", "lightSensor"),
    ("Garden", "Soil moisture", "moistureSensor"),
    ("Garden", "Path light", "light"),
    ("Hall", "Front door", "doorLock"),
    ("Hall", "Heating flow set point", "analogValue"),
    ("Utility room", "Energy meter", "energyMeter"),
)


async def populate(hub: Hub, virtual: VirtualIntegration) -> int:
    """Add the demo house if the hub has no user-made things yet; answers how many were added."""
    if any(not thing.auto_created for thing in hub.things.values()):
        return 0
    added = 0
    for room, name, class_name in DEMO_HOUSE:
        thing_class = virtual.thing_class_named(class_name)
        result = await hub.add_thing(SYSTEM, name=name, thing_class_id=thing_class.id, room=room)
        if result.ok:
            added += 1
        else:
            _LOG.warning("demo thing %s / %s was not added: %s %s", room, name, result.error.value, result.message)
    _LOG.info("demo house: %d things in %d rooms", added, len({room for room, _, _ in DEMO_HOUSE}))
    return added
