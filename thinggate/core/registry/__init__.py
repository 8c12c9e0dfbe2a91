"""The registry's rules in core: domains and users as a principal may see and change them, and thing types.

Every door that manages domains, users or thing types asks here, so one rule decides for all:
`errors` (what can go wrong, with the property at fault), `directory` (domains and users by
principal), `thingtypes` (thing types: the generic integration's classes, and every
integration's classes shown read-only), `things` (things of registry thing types), `events` (the
lifecycle events each change is stored with, found and acknowledged by principal).
"""

from __future__ import annotations

from thinggate.core.registry.directory import Directory
from thinggate.core.registry.errors import RegistryError, RegistryFailure
from thinggate.core.registry.events import EventFilter, LifecycleEvents
from thinggate.core.registry.things import RegistryThing, ThingChanges, Things, ThingShadows
from thinggate.core.registry.thingtypes import ThingType, ThingTypeMaker, ThingTypes

__all__ = [
    "Directory",
    "EventFilter",
    "LifecycleEvents",
    "RegistryError",
    "RegistryFailure",
    "RegistryThing",
    "ThingChanges",
    "ThingShadows",
    "ThingType",
    "ThingTypeMaker",
    "ThingTypes",
    "Things",
]
