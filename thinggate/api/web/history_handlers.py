"""The history page's handlers (api/web/history.py lists its rows): loaded by the page's first request."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from thinggate.api.web.api import Call
from thinggate.api.web.calls import may, seen_thing, settled
from thinggate.api.web.door import WebDoor
from thinggate.api.web.errors import WebProblem
from thinggate.api.web.history import LoggingBody
from thinggate.core.model import BasicType, StateType, Thing
from thinggate.core.values import parse_uuid

MAX_POINTS = 5000
"""Most points one chart is answered (a week of a reading a minute is 10,080: the page says to narrow it)."""
MAX_SPAN = timedelta(days=366)
"""Longest range one request reads."""
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(9999, 12, 31, tzinfo=UTC)

CHARTED = (BasicType.INT, BasicType.UINT, BasicType.DOUBLE, BasicType.BOOL)
"""The state types a chart draws (a switch as 0 and 1); text, colours and lists are not charted."""


def _unit(state_type: StateType) -> str:
    return state_type.unit.value if state_type.unit is not None else ""


def _series(thing: Thing, type_id: uuid.UUID, name: str, unit: str, kind: str, source: str) -> dict[str, Any]:
    return {
        "thingId": str(thing.id),
        "thingName": thing.name,
        "room": thing.room,
        "typeId": str(type_id),
        "name": name,
        "unit": unit,
        "type": kind,
        "source": source,
    }


class HistoryApi:
    """The handlers of the history page's rows."""

    def __init__(self, door: WebDoor) -> None:
        self.door = door

    def _may_configure(self, call: Call) -> bool:
        # The core's word: the scope its logging operation requires.
        return may(call, self.door.hub.set_state_logging)

    async def series(self, call: Call) -> dict[str, Any]:
        """Every chart of the things the user sees: sensor-data sensors' metrics, then logged states."""
        # The sensor-data kinds on first use: a hub without that door never loads them for the page.
        from thinggate.core.readings import metric_type_id
        from thinggate.integrations.sensordata import kinds

        found: list[dict[str, Any]] = []
        things = sorted(
            self.door.hub.visible_things(call.session.principal),
            key=lambda thing: (thing.room, thing.name.lower(), str(thing.id)),
        )
        props_param = next(param.id for param in kinds.ENTITY_PARAMS if param.name == kinds.PROPS)
        for thing in things:
            charted: set[uuid.UUID] = set()
            kind = kinds.KINDS_BY_CLASS.get(thing.thing_class.id)
            if kind is not None and kind.metrics:
                for metric in kind.metrics:
                    state_type = thing.thing_class.state_type_named(metric.state)
                    if state_type is not None and state_type.type in CHARTED:
                        charted.add(state_type.id)
                        found.append(
                            _series(
                                thing,
                                state_type.id,
                                state_type.display_name,
                                _unit(state_type) or metric.unit,
                                state_type.type.value,
                                "sensor",
                            )
                        )
            elif kind is not None:  # a generic sensor: the metrics its props declare, numbers as uploaded
                props = thing.params.get(props_param)
                for name, unit in kinds.free_metrics(props if isinstance(props, dict) else {}).items():
                    found.append(_series(thing, metric_type_id(name), name, unit, BasicType.DOUBLE.value, "sensor"))
            for state_type in thing.thing_class.state_types:
                if (
                    state_type.id in thing.logged_state_type_ids
                    and state_type.id not in charted
                    and state_type.type in CHARTED
                ):
                    found.append(
                        _series(
                            thing,
                            state_type.id,
                            state_type.display_name,
                            _unit(state_type),
                            state_type.type.value,
                            "state",
                        )
                    )
        return {"series": found, "mayConfigure": self._may_configure(call), "maxPoints": MAX_POINTS}

    async def readings(self, call: Call) -> dict[str, Any]:
        """One chart's points in [start, end): `[[milliseconds since 1970, value], ...]`, oldest first."""
        query = call.request.query
        thing_id = _uuid(query.get("thingId"), "thingId")
        type_id = _uuid(query.get("typeId"), "typeId")
        start = _time(query.get("start"), "start")
        end = _time(query.get("end"), "end")
        if start >= end:
            raise WebProblem.of("BadRequest", "start must come before end")
        if end - start > MAX_SPAN:
            raise WebProblem.of("BadRequest", f"a range is at most {MAX_SPAN.days} days long")
        result = await self.door.hub.readings_between(
            call.session.principal, thing_id, start, end, type_ids=[type_id], limit=MAX_POINTS + 1
        )
        entries = settled(result)
        points: list[list[Any]] = []
        for entry in entries[:MAX_POINTS]:
            value = entry.value
            if isinstance(value, bool):
                value = int(value)
            elif not isinstance(value, int | float):
                continue  # a value that is no number (a state whose type changed): not drawn
            points.append([round(entry.timestamp.timestamp() * 1000), value])
        return {"points": points, "truncated": len(entries) > MAX_POINTS}

    def _logging_answer(self, call: Call, thing: Thing) -> dict[str, Any]:
        return {
            "thingId": str(thing.id),
            "name": thing.name,
            "mayConfigure": self._may_configure(call),
            "states": [
                {
                    "id": str(state_type.id),
                    "name": state_type.name,
                    "displayName": state_type.display_name,
                    "unit": _unit(state_type),
                    "charted": state_type.type in CHARTED,
                    "logged": state_type.id in thing.logged_state_type_ids,
                }
                for state_type in thing.thing_class.state_types
            ],
        }

    def _thing(self, call: Call) -> Thing:
        return seen_thing(self.door.hub, call, call.values["thingId"])

    async def logging(self, call: Call) -> dict[str, Any]:
        """A thing's states, each logged or not, and whether the user may change that."""
        return self._logging_answer(call, self._thing(call))

    async def set_logging(self, call: Call) -> dict[str, Any]:
        """Turn a state's logging on or off as the session's user (the core decides who may)."""
        body: LoggingBody = call.body
        settled(
            await self.door.hub.set_state_logging(
                call.session.principal, call.values["thingId"], call.values["stateTypeId"], body.enabled
            )
        )
        return self._logging_answer(call, self._thing(call))


def _uuid(text: str | None, name: str) -> uuid.UUID:
    parsed = parse_uuid(text) if text else None
    if parsed is None:
        raise WebProblem.of("BadRequest", f"{name} must be an id")
    return parsed


def _time(text: str | None, name: str) -> datetime:
    """An ISO 8601 time with an offset, in UTC; 400 for anything else or one out of range."""
    if not text:
        raise WebProblem.of("BadRequest", f"{name} is required (ISO 8601 with an offset)")
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise WebProblem.of("BadRequest", f"{name} is not an ISO 8601 time") from None
    if moment.tzinfo is None:
        raise WebProblem.of("BadRequest", f"{name} needs an offset (Z for UTC)")
    try:
        moment = moment.astimezone(UTC)
    except OverflowError:
        raise WebProblem.of("BadRequest", f"{name} is out of range") from None
    if not EARLIEST <= moment <= LATEST:
        raise WebProblem.of("BadRequest", f"{name} must lie from 1970 to 9999")
    return moment
