"""A terse way to declare virtual thing classes: ids come from the class and type names."""

from __future__ import annotations

from thinggate.core.declare import Declarations
from thinggate.integrations.virtual.ids import NAMESPACE

_DECLARATIONS = Declarations(NAMESPACE)

PLUGIN_ID = _DECLARATIONS.plugin_id
VENDOR_ID = _DECLARATIONS.vendor_id

param = _DECLARATIONS.param
state = _DECLARATIONS.state
interface_state = _DECLARATIONS.interface_state
event = _DECLARATIONS.event
action = _DECLARATIONS.action
thing_class = _DECLARATIONS.thing_class
