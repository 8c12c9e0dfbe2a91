"""The sensor-data integration's manifest: its plugin, its vendor and the namespace its ids derive from."""

from __future__ import annotations

import uuid

from thinggate.core.declare import Declarations
from thinggate.core.model import PluginInfo, Vendor

NAMESPACE = uuid.UUID("5d1c7a2e-8b3f-4e61-a0d4-2f9b6c8e1a57")
"""Every id of the integration derives from this and names: its classes, their params and states."""

DECLARATIONS = Declarations(NAMESPACE)

PLUGIN = PluginInfo(
    id=DECLARATIONS.plugin_id, name="sensordata", display_name="Sensor data (iTwin IoT nodes, devices and sensors)"
)
VENDOR = Vendor(id=DECLARATIONS.vendor_id, name="sensordata", display_name="iTwin IoT sensor data")
