"""The sensor-data door's wire structs: request bodies are decoded into these before a handler runs.

Field names are the API's own (camelCase). Unknown fields are ignored, as the API's clients send
more than the door reads; `props` stay free-form objects (every prop is kept, the door checks the
ones it reads).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec

# -- process integration ---------------------------------------------------------------------


class SensorChange(msgspec.Struct):
    """A sensor of a device in an integrate request: new, update or remove."""

    changeState: str | msgspec.UnsetType = msgspec.UNSET
    refId: str | msgspec.UnsetType | None = msgspec.UNSET
    props: dict[str, Any] = msgspec.field(default_factory=dict)


class DeviceChange(msgspec.Struct):
    """A device of a node in an integrate request: new, update or remove, with its sensors."""

    changeState: str | msgspec.UnsetType = msgspec.UNSET
    refId: str | msgspec.UnsetType | None = msgspec.UNSET
    props: dict[str, Any] = msgspec.field(default_factory=dict)
    sensors: list[SensorChange] = msgspec.field(default_factory=list)


class Integration(msgspec.Struct):
    """`integration`: the node (made with changeState new, named by nodeId otherwise) and its device changes."""

    nodeId: str | msgspec.UnsetType = msgspec.UNSET
    changeState: str | msgspec.UnsetType = msgspec.UNSET
    props: dict[str, Any] = msgspec.field(default_factory=dict)
    devices: list[DeviceChange] = msgspec.field(default_factory=list)


class IntegrationRequest(msgspec.Struct):
    """The body of `POST /sensor-data/integrations/integrate`."""

    integration: Integration


class Entity(msgspec.Struct, kw_only=True, omit_defaults=True):
    """A node, device or sensor as the API answers it, in the seed's field order (a sensor's extras only on sensors)."""

    props: dict[str, Any]
    id: str
    observationType: str | None = None
    type: str
    device: str | None = None
    refId: str | None = None


class DeviceAnswer(msgspec.Struct):
    """A device with its sensors."""

    device: Entity
    sensors: list[Entity]


class IntegrationAnswer(msgspec.Struct):
    """`integration` of the answer: the node and the devices the request named (all of them when it named none)."""

    node: Entity
    devices: list[DeviceAnswer]


class IntegrationResponse(msgspec.Struct):
    """The answer of `POST /sensor-data/integrations/integrate`."""

    integration: IntegrationAnswer


class NodesResponse(msgspec.Struct):
    """The answer of `GET /sensor-data/integrations/nodes`."""

    nodes: list[Entity]


# -- readings --------------------------------------------------------------------------------

Value = bool | int | float
"""A reading's value: a number (a boolean for presence)."""


class Observation(msgspec.Struct):
    """One sensor's readings at one time."""

    sensorId: str
    timestamp: datetime
    values: dict[str, Value]


class UploadRequest(msgspec.Struct):
    """The body of `POST /sensor-data/data/upload`."""

    observations: list[Observation]


class ObservationsQuery(msgspec.Struct):
    """The body of `POST /sensor-data/data/observations`: one sensor's readings in [startDate, endDate)."""

    sensorId: str
    startDate: datetime
    endDate: datetime
    units: dict[str, str] | None = None
    metrics: list[str] | dict[str, str] | None = None


class ObservationsDelete(msgspec.Struct):
    """The body of `DELETE /sensor-data/data/observations`: a range, or listed times, of one sensor's readings."""

    sensorId: str
    startDate: datetime | None = None
    endDate: datetime | None = None
    timestamps: list[datetime] | None = None


class Accepted(msgspec.Struct):
    """202 `{"status": "ACCEPTED"}`."""

    status: str = "ACCEPTED"


class ObservationsResponse(msgspec.Struct, omit_defaults=True):
    """`{"data": {"<UTC time>": {"<metric>": value}}}`; without `data` when the range holds none."""

    data: dict[str, dict[str, Any]] | None = None
