"""The generic integration's manifest: its plugin, its vendor and the namespace its ids derive from."""

from __future__ import annotations

import uuid

from thinggate.core.declare import Declarations
from thinggate.core.model import PluginInfo, Vendor

NAMESPACE = uuid.UUID("0b6f3c52-2d7e-4c1a-9a55-6f1e2c7d9b31")
"""Every id of the integration derives from this and names: a thing type's class, its state types."""

DECLARATIONS = Declarations(NAMESPACE)

PLUGIN = PluginInfo(id=DECLARATIONS.plugin_id, name="generic", display_name="Generic things (registry thing types)")
VENDOR = Vendor(id=DECLARATIONS.vendor_id, name="generic", display_name="Generic")


def class_id(thing_type_id: str) -> uuid.UUID:
    """The class id of a thing type: stable across restarts, derived from the type's id."""
    return DECLARATIONS.id("thingtype", thing_type_id)


def state_type_id(thing_type_id: str, resource_name: str) -> uuid.UUID:
    """The state type id of a resource of a thing type (virtual ones share the resources' names)."""
    return DECLARATIONS.id("thingtype", thing_type_id, "state", resource_name)
