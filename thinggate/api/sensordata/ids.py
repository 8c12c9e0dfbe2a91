"""The door's entity ids: iTwin's path-like ids built from short hex codes, and the form for the hub's own things.

    /api/<N>/node                                   a node (N: 6 upper-case hex digits)
    /api/<N>/node/dynamic/<D>/device                a device of node N
    /api/<N>/node/dynamic/<D>/device/<S>/sensor     a sensor of device D
    /thinggate/<thing uuid>/sensor                  any thing of the hub, read as a sensor (its logged states)

The hex codes are drawn at random when an entity is made and kept in its thing's params, so an id
never changes; input is read case-insensitively (and answered upper-case).
"""

from __future__ import annotations

import re
import secrets
import uuid
from dataclasses import dataclass

ENVIRONMENT = "api"
"""The first segment of every id the door makes (iTwin's production environment)."""

_HEX = r"([0-9A-Fa-f]{6})"
_NODE = re.compile(rf"/{ENVIRONMENT}/{_HEX}/node")
_DEVICE = re.compile(rf"/{ENVIRONMENT}/{_HEX}/node/dynamic/{_HEX}/device")
_SENSOR = re.compile(rf"/{ENVIRONMENT}/{_HEX}/node/dynamic/{_HEX}/device/{_HEX}/sensor")
_HUB_THING = re.compile(r"/thinggate/([0-9A-Fa-f-]{32,36})/sensor")


def new_code() -> str:
    """A fresh 6-digit hex code (callers retry on the rare clash with one in use)."""
    return secrets.token_hex(3).upper()


def node_id(node: str) -> str:
    """A node's id."""
    return f"/{ENVIRONMENT}/{node}/node"


def device_id(node: str, device: str) -> str:
    """A device's id."""
    return f"{node_id(node)}/dynamic/{device}/device"


def sensor_id(node: str, device: str, sensor: str) -> str:
    """A sensor's id."""
    return f"{device_id(node, device)}/{sensor}/sensor"


def hub_thing_sensor_id(thing_id: uuid.UUID) -> str:
    """The id a thing of the hub is read as a sensor by."""
    return f"/thinggate/{thing_id}/sensor"


def canonical_node_id(text: str) -> str | None:
    """A node id in its canonical (upper-case) form, or None when `text` is not one."""
    match = _NODE.fullmatch(text)
    return node_id(match.group(1).upper()) if match else None


def canonical_entity_id(text: str) -> str | None:
    """A node, device or sensor id in its canonical form, or None when `text` is none of them."""
    if match := _SENSOR.fullmatch(text):
        return sensor_id(*(part.upper() for part in match.groups()))
    if match := _DEVICE.fullmatch(text):
        return device_id(*(part.upper() for part in match.groups()))
    return canonical_node_id(text)


@dataclass(frozen=True, slots=True)
class SensorRef:
    """What a sensor id names: an entity of this door (its canonical id) or a thing of the hub (its uuid)."""

    entity_id: str | None = None
    thing_id: uuid.UUID | None = None


def parse_sensor_id(text: str) -> SensorRef | None:
    """What a sensor id in an upload or a query names, or None when it is no sensor id."""
    if match := _SENSOR.fullmatch(text):
        return SensorRef(entity_id=sensor_id(*(part.upper() for part in match.groups())))
    if match := _HUB_THING.fullmatch(text):
        try:
            return SensorRef(thing_id=uuid.UUID(match.group(1)))
        except ValueError:
            return None
    return None


def code_of(entity_id: str) -> str:
    """The entity's own hex code (a node's is its SERIAL_NO)."""
    parts = entity_id.strip("/").split("/")
    return parts[-2]


def node_of(entity_id: str) -> str:
    """The id of the node an entity belongs to (a node's own id for a node)."""
    return node_id(entity_id.strip("/").split("/")[1])


def parent_of(entity_id: str) -> str | None:
    """The id of an entity's parent: a sensor's device, a device's node (None for a node)."""
    parts = entity_id.strip("/").split("/")
    if len(parts) == 8:  # api N node dynamic D device S sensor
        return "/" + "/".join(parts[:6])
    if len(parts) == 6:  # api N node dynamic D device
        return "/" + "/".join(parts[:3])
    return None
