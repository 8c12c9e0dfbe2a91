"""The generic integration: things whose type was defined through the registry API and whose states the API feeds.

Its classes are made at run time from thing types (`classes.thing_class_for`); the core's
`ThingTypes` stores the types and declares the classes to the hub. A generic thing has no device
behind it in this part: a settable resource set through any door takes the value at once (MQTT
devices, which report and receive desired values, come with issue 13 part 2).
"""

from __future__ import annotations

import uuid

from thinggate.core.integration import Integration
from thinggate.core.model import Action, Thing, ThingClass
from thinggate.core.store import ThingTypeRecord
from thinggate.integrations.generic.classes import thing_class_for
from thinggate.integrations.generic.manifest import PLUGIN, VENDOR


class GenericIntegration(Integration):
    """Registry thing types as classes; their things hold what the API feeds them."""

    plugin = PLUGIN
    vendors = (VENDOR,)
    thing_classes: tuple[ThingClass, ...] = ()

    @property
    def plugin_id(self) -> uuid.UUID:
        """The integration's id (the classes of thing types carry it)."""
        return PLUGIN.id

    def thing_class(self, record: ThingTypeRecord) -> ThingClass:
        """The class of a thing type (ValueError for a resource that cannot be a state)."""
        return thing_class_for(record)

    async def execute_action(self, thing: Thing, action: Action) -> None:
        """Set a settable resource: the state takes the (verified) value."""
        # Every action of a generic class is a writable state's: same id, one param with the state's id.
        self.host.set_state(thing.id, action.action_type_id, action.params.get(action.action_type_id))


__all__ = ["PLUGIN", "VENDOR", "GenericIntegration"]
