"""The sensor-data integration: iTwin IoT nodes, devices and sensors as things, fed by readings through the API.

There is no device behind these things: the sensor-data door declares them (process integration)
and uploads their readings, which the hub records and, where newer than the current value, turns
into state changes every door sees. The integration only declares the classes (`kinds.py`) and
answers the discovery the door uses to make a device below its node and a sensor below its device.
"""

from __future__ import annotations

import uuid

from thinggate.core.errors import ThingError, ThingFailure
from thinggate.core.integration import Integration
from thinggate.core.model import ParamValues, ThingClass, ThingDescriptor
from thinggate.integrations.sensordata.kinds import DEVICE_CLASS, NODE_CLASS, PARENT_PARAM, SENSOR_CLASSES
from thinggate.integrations.sensordata.manifest import PLUGIN, VENDOR

_SENSOR_CLASS_IDS = frozenset(thing_class.id for thing_class in SENSOR_CLASSES)


class SensorDataIntegration(Integration):
    """Nodes, devices and sensors of the sensor-data API: things whose values come from uploaded readings."""

    plugin = PLUGIN
    vendors = (VENDOR,)
    thing_classes = (NODE_CLASS, DEVICE_CLASS, *SENSOR_CLASSES)

    async def discover_things(self, thing_class: ThingClass, params: ParamValues) -> list[ThingDescriptor]:
        """One descriptor below the parent named by `parentId`: a device below a node, a sensor below a device."""
        parent_id = params.get(PARENT_PARAM.id)
        parent = self.host.thing(uuid.UUID(str(parent_id))) if parent_id else None
        wanted = NODE_CLASS.id if thing_class.id == DEVICE_CLASS.id else DEVICE_CLASS.id
        if thing_class.id != DEVICE_CLASS.id and thing_class.id not in _SENSOR_CLASS_IDS:
            raise ThingFailure(ThingError.CREATION_METHOD_NOT_SUPPORTED, f"{thing_class.name} is not discoverable")
        if parent is None or parent.thing_class.id != wanted:
            kind = "node" if wanted == NODE_CLASS.id else "device"
            raise ThingFailure(ThingError.THING_NOT_FOUND, f"parentId must name a sensor-data {kind}")
        return [
            ThingDescriptor(
                id=uuid.uuid4(), thing_class_id=thing_class.id, title=thing_class.display_name, parent_id=parent.id
            )
        ]
