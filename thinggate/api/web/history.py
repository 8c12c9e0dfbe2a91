"""The history page's API rows: charts of logged states and of sensor-data sensors, their readings, logging on/off.

    GET  /web/api/history/series                         the charts the user may see
    GET  /web/api/history/readings?thingId&typeId&start&end   one chart's points in [start, end)
    GET  /web/api/history/logging/{thingId}               a thing's states, each logged or not
    POST /web/api/history/logging/{thingId}/{stateTypeId} {"enabled": true}: turn logging on or off

A chart is one series of a thing: a state the hub logs (the thing's logging flags), or a metric of a
sensor of the sensor-data door (its kind's states, or a generic sensor's own metrics), read from the
one history the door's observations query reads (`Hub.readings_between`). Only numbers and
switches are charted (a switch as 0/1). What the user sees is the core's `visible_things`; readings
and logging are asked of the core with the session's principal (a thing the user may not see is 404
ThingNotFound, logging without ConfigureThings 403 PermissionDenied). Times are ISO 8601 with an
offset (`Z` for UTC); a range is at most MAX_SPAN long and answers at most MAX_POINTS points, the
oldest first (`truncated` says more follow: the page asks for a shorter range).
"""

from __future__ import annotations

import msgspec

from thinggate.api.web.api import Route
from thinggate.api.web.door import WebDoor
from thinggate.api.web.lazy import LazyHandlers


class LoggingBody(msgspec.Struct, forbid_unknown_fields=True):
    """Whether a state is to be logged."""

    enabled: bool


def routes(door: WebDoor) -> list[Route]:
    """The history page's rows of the API table."""
    history = LazyHandlers(door, "thinggate.api.web.history_handlers", "HistoryApi")
    return [
        Route("GET", "history/series", history("series")),
        Route("GET", "history/readings", history("readings")),
        Route("GET", "history/logging/{thingId}", history("logging")),
        Route("POST", "history/logging/{thingId}/{stateTypeId}", history("set_logging"), LoggingBody),
    ]
