"""Readings: `POST /sensor-data/data/upload`, `POST` and `DELETE /sensor-data/data/observations`.

An upload's readings go to the hub's history in one durable transaction (`Hub.record_readings`);
each sensor's newest reading of a metric, if newer than any before, becomes that state's value,
which every door sees at once. A metric is a state of the sensor kind's interface (kinds.py), or
for a generic sensor one of the metrics its props declare. Times are taken with any UTC offset
(none: UTC) and kept to the millisecond, the precision observations are answered in.

An observations query answers one sensor's readings in [startDate, endDate), oldest first,
grouped by time: `{"data": {"<UTC time>": {"<metric>": value}}}`, at most `page_size` times per
answer (a client asks again from the last time + 1 ms), and no `data` member when the range holds
none. A thing of the hub that is not one of this door's sensors is read the same way by
`/thinggate/<thing uuid>/sensor`: its logged states, by state name.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from thinggate.api.sensordata import ids
from thinggate.api.sensordata.door import Call
from thinggate.api.sensordata.errors import SensorDataProblem, not_found, problem_of
from thinggate.api.sensordata.index import EntityIndex
from thinggate.api.sensordata.structs import (
    Accepted,
    ObservationsDelete,
    ObservationsQuery,
    ObservationsResponse,
    UploadRequest,
)
from thinggate.core.hub import Hub
from thinggate.core.model import BasicType, Thing
from thinggate.core.operations import Result
from thinggate.core.readings import metric_type_id
from thinggate.core.security import Principal
from thinggate.core.store import HistoryEntry
from thinggate.core.values import convert
from thinggate.integrations.sensordata import kinds

UPLOAD_INVALID = "InvalidUploadDataRequest"
QUERY_INVALID = "InvalidObservationsRequest"
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(9999, 12, 31, 23, 59, 59, 999000, tzinfo=UTC)
"""Readings are taken from the Unix epoch to the end of year 9999 (UTC)."""
MILLISECOND = timedelta(milliseconds=1)
_NUMBERS = (BasicType.INT, BasicType.UINT, BasicType.DOUBLE)


@dataclass(frozen=True, slots=True)
class MetricType:
    """A metric of a sensor: the history type id it is kept under and its state's type (None: a free metric)."""

    name: str
    type_id: uuid.UUID
    basic: BasicType | None


@dataclass(frozen=True, slots=True)
class Sensor:
    """A sensor as readings see it: its thing, its metrics by name, and whether this door's uploads may feed it."""

    thing: Thing
    metrics: dict[str, MetricType]
    uploads: bool

    def by_type(self) -> dict[uuid.UUID, str]:
        """Metric names by type id."""
        return {metric.type_id: metric.name for metric in self.metrics.values()}


def key_of(moment: datetime) -> str:
    """A time as observations answer it: UTC, milliseconds, `Z`."""
    if moment.tzinfo is not UTC:
        moment = moment.astimezone(UTC)
    # isoformat's "+00:00" cut off: half the time strftime takes (a page is 1,000s of times).
    return moment.isoformat(timespec="milliseconds")[:23] + "Z"


def utc_time(value: datetime, target: str, invalid: str) -> datetime:
    """A request's time in UTC, to the millisecond (no offset: UTC); the envelope for one out of range."""
    try:
        moment = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    except OverflowError:
        moment = None
    if moment is None or not EARLIEST <= moment <= LATEST:
        raise SensorDataProblem(invalid, "times must lie from 1970-01-01 to 9999-12-31 (UTC)", target=target)
    return moment.replace(microsecond=moment.microsecond - moment.microsecond % 1000)


def _settled(result: Result[Any], invalid: str, target: str | None = None) -> Any:
    if result.failure is not None:
        raise problem_of(result.failure, invalid=invalid, target=target)
    return result.value


class Readings:
    """Uploads, observation queries and deletions for the door's callers."""

    def __init__(self, *, hub: Hub, index: EntityIndex, max_observations: int, page_size: int) -> None:
        self.hub = hub
        self.index = index
        self.max_observations = max_observations
        self.page_size = page_size

    def sensor(self, principal: Principal, text: str, target: str, invalid: str) -> Sensor:
        """The sensor an id names, if the principal may see it (404 otherwise)."""
        ref = ids.parse_sensor_id(text)
        if ref is None:
            raise SensorDataProblem(invalid, "not a sensor id", target=target)
        thing_id = self.index.thing_id(ref.entity_id) if ref.entity_id is not None else ref.thing_id
        thing = self.hub.visible_thing(principal, thing_id)
        if thing is None:
            raise not_found("The sensor", target)
        kind = kinds.KINDS_BY_CLASS.get(thing.thing_class.id)
        if kind is None:  # a thing of the hub: its states by name
            metrics = {
                state_type.name: MetricType(state_type.name, state_type.id, state_type.type)
                for state_type in thing.thing_class.state_types
            }
            return Sensor(thing, metrics, uploads=False)
        if kind.metrics:
            metrics = {}
            for metric in kind.metrics:
                state_type = thing.thing_class.state_type_named(metric.state)
                assert state_type is not None  # the kinds table's own test holds it
                metrics[metric.id] = MetricType(metric.id, state_type.id, state_type.type)
        else:
            props = thing.params.get(_PROPS_PARAM)
            free = kinds.free_metrics(props if isinstance(props, dict) else {})
            metrics = {name: MetricType(name, metric_type_id(name), None) for name in free}
        return Sensor(thing, metrics, uploads=True)

    # -- upload -------------------------------------------------------------------------------

    async def upload(self, call: Call) -> Accepted:
        """`POST /sensor-data/data/upload`: keep the readings (202 ACCEPTED once they are durable)."""
        request: UploadRequest = call.body
        principal = call.caller.principal
        if len(request.observations) > self.max_observations:
            raise SensorDataProblem(
                "RequestTooLarge", f"at most {self.max_observations} observations per upload", target="observations"
            )
        sensors: dict[str, Sensor] = {}
        readings: list[HistoryEntry] = []
        keep = readings.append
        # An upload holds many readings: what is the same for all of them is looked up once, and a
        # reading's target (for the envelope) is only written out when it is refused.
        for position, observation in enumerate(request.observations):
            sensor = sensors.get(observation.sensorId)
            if sensor is None:
                sensor = self._upload_sensor(principal, observation.sensorId, f"observations[{position}].sensorId")
                sensors[observation.sensorId] = sensor
            moment = observation.timestamp
            # The usual time (UTC, to the millisecond, in range) is kept as decoded.
            if moment.tzinfo is not UTC or moment.microsecond % 1000 or not EARLIEST <= moment <= LATEST:
                moment = utc_time(moment, f"observations[{position}].timestamp", UPLOAD_INVALID)
            thing_id, metrics = sensor.thing.id, sensor.metrics
            for name, value in observation.values.items():
                metric = metrics.get(name)
                if metric is None:
                    known = ", ".join(sensor.metrics) or "none: declare them in UNKNOWN_METRICS"
                    raise SensorDataProblem(
                        UPLOAD_INVALID,
                        f"the sensor has no metric {name!r} (its metrics: {known})",
                        target=f"observations[{position}].values",
                    )
                # A number for a double is kept as decoded: JSON has neither infinity nor NaN, and msgspec
                # refuses a number beyond a double's range.
                if value.__class__ is not float or metric.basic is not BasicType.DOUBLE:
                    value = _reading_value(value, metric, f"observations[{position}].values.{name}")
                keep(HistoryEntry(moment, thing_id, "state", metric.type_id, value))
        if readings:
            _settled(await self.hub.record_readings(principal, readings), UPLOAD_INVALID)
        return Accepted()

    def _upload_sensor(self, principal: Principal, text: str, target: str) -> Sensor:
        """The sensor an upload names: one of this door's that the principal may see."""
        sensor = self.sensor(principal, text, target, UPLOAD_INVALID)
        if not sensor.uploads:
            raise SensorDataProblem(UPLOAD_INVALID, "readings are uploaded to this door's sensors only", target=target)
        return sensor

    # -- query --------------------------------------------------------------------------------

    async def query(self, call: Call) -> ObservationsResponse:
        """`POST /sensor-data/data/observations`: one page of a sensor's readings in [startDate, endDate)."""
        request: ObservationsQuery = call.body
        sensor = self.sensor(call.caller.principal, request.sensorId, "sensorId", QUERY_INVALID)
        start = utc_time(request.startDate, "startDate", QUERY_INVALID)
        end = utc_time(request.endDate, "endDate", QUERY_INVALID)
        wanted = _wanted(request.metrics)
        metrics = [metric for name, metric in sensor.metrics.items() if wanted is None or name in wanted]
        if start >= end or not metrics:
            return ObservationsResponse()  # nothing asked for that exists: no data (unknown metrics are ignored)
        names = {metric.type_id: metric.name for metric in metrics}
        # Each time holds at most one reading per metric (more only when one was uploaded twice): that many
        # readings hold `page_size` whole times. One more tells whether the range goes on past them.
        limit = self.page_size * len(metrics)
        entries: list[HistoryEntry] = _settled(
            await self.hub.readings_between(
                call.caller.principal, sensor.thing.id, start, end, type_ids=list(names), limit=limit + 1
            ),
            QUERY_INVALID,
            "sensorId",
        )
        data: dict[str, dict[str, Any]] = {}
        for entry in entries:
            name = names.get(entry.type_id)
            if entry.kind == "state" and name is not None:
                # By arrival within a time: a reading uploaded again for the same time corrects the first.
                data.setdefault(key_of(entry.timestamp), {})[name] = entry.value
        if len(entries) > limit and len(data) > 1:
            data.popitem()  # the last time read may go on past what was read: the next page starts with it
        while len(data) > self.page_size:
            data.popitem()
        return ObservationsResponse(data=data) if data else ObservationsResponse()

    # -- delete -------------------------------------------------------------------------------

    async def delete(self, call: Call) -> Accepted:
        """`DELETE /sensor-data/data/observations`: a sensor's readings in [startDate, endDate) or at `timestamps`."""
        request: ObservationsDelete = call.body
        principal = call.caller.principal
        sensor = self.sensor(principal, request.sensorId, "sensorId", QUERY_INVALID)
        if request.startDate is None and request.endDate is None and request.timestamps is None:
            raise SensorDataProblem(QUERY_INVALID, "give startDate and/or endDate, or timestamps", target="startDate")
        start = utc_time(request.startDate, "startDate", QUERY_INVALID) if request.startDate else None
        end = utc_time(request.endDate, "endDate", QUERY_INVALID) if request.endDate else None
        timestamps = None
        if request.timestamps is not None:
            if len(request.timestamps) > self.max_observations:
                raise SensorDataProblem(
                    "RequestTooLarge", f"at most {self.max_observations} timestamps", target="timestamps"
                )
            timestamps = [
                utc_time(moment, f"timestamps[{position}]", QUERY_INVALID)
                for position, moment in enumerate(request.timestamps)
            ]
        _settled(
            await self.hub.delete_readings(principal, sensor.thing.id, start=start, end=end, timestamps=timestamps),
            QUERY_INVALID,
            "sensorId",
        )
        return Accepted()


_PROPS_PARAM = next(param.id for param in kinds.ENTITY_PARAMS if param.name == kinds.PROPS)


def _wanted(metrics: list[str] | dict[str, str] | None) -> set[str] | None:
    """The metric names a query asks for (None: all)."""
    if metrics is None:
        return None
    return set(metrics.values()) if isinstance(metrics, dict) else set(metrics)


def _reading_value(value: bool | int | float, metric: MetricType, target: str) -> Any:
    """A reading's value as its state keeps it (a free metric's as sent); the envelope for one that is not."""
    # Never infinite or NaN: JSON has neither, and msgspec refuses a number beyond a double's range.
    if metric.basic is None:
        return value
    if metric.basic is BasicType.BOOL:
        return bool(value)  # presence: 0 is nobody there, anything else someone
    if isinstance(value, bool) and metric.basic in _NUMBERS:
        raise SensorDataProblem(UPLOAD_INVALID, f"{metric.name} takes a number", target=target)
    try:
        return convert(metric.basic, value)
    except ValueError as exc:
        raise SensorDataProblem(UPLOAD_INVALID, f"{metric.name}: {exc}", target=target) from None
