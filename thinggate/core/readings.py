"""Readings: timestamped values of a thing's states (or of free metrics), kept in the hub's history.

A reading is a `HistoryEntry` of kind "state". Its `type_id` is the state type's id, or for a
metric no state type declares (a generic sensor's own metric names) the id `metric_type_id` derives
from the metric's name, so that every door asks for the same metric by the same id.
"""

from __future__ import annotations

import uuid

_METRICS = uuid.UUID("5c0f9c1e-7a43-4d8e-b6a1-3e2f4d9a8c70")


def metric_type_id(name: str) -> uuid.UUID:
    """The history type id of a free metric (stable across restarts and hubs)."""
    return uuid.uuid5(_METRICS, name)
