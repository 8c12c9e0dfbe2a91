"""Lifecycle events (§1.13, MIC's Event API): find them (`POST events/find`, `GET events`), get one, acknowledge one.

A caller sees the events of the domains it may read events in (Events.READ; a reader of the whole
tree also those of domains removed since), never another domain's; acknowledging needs
Events.UPDATE on the domain of the event's source.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping

from thinggate.api.registry.door import Call, QueryParam, RegistryDoor, Route, given
from thinggate.api.registry.errors import invalid
from thinggate.api.registry.lifecycle import event_out
from thinggate.api.registry.structs import EventFind, EventOut, EventPage
from thinggate.core.registry import EventFilter, LifecycleEvents, RegistryError, RegistryFailure

MAX_PAGE = 1000
_LATEST_MS = 2**53  # the largest time JSON clients hold exactly


FROM = QueryParam.whole("from", "How many events to skip", default=0, low=0, high=2**31)
SIZE = QueryParam.whole("size", "Events per page", default=100, low=1, high=MAX_PAGE)
TIME_SINCE = QueryParam("since", "Only events at or after this time (epoch ms)", {"type": "integer", "minimum": 0})
TIME_UNTIL = QueryParam("until", "Only events before this time (epoch ms)", {"type": "integer", "minimum": 0})


def routes(door: RegistryDoor, events: LifecycleEvents) -> list[Route]:
    """The event routes."""

    async def find(call: Call) -> EventPage:
        body: EventFind = call.body
        if body.order not in ("asc", "desc"):
            raise invalid("order", 'order must be "asc" or "desc"')
        wanted = EventFilter(
            types=frozenset(given(body.types, ())),
            domain=given(body.domain),
            since=given(body.since),
            until=given(body.until),
            acknowledged=given(body.acknowledged),
            offset=body.from_,
            limit=body.size,
            newest_first=body.order == "desc",
        )
        return await _page(call, wanted)

    async def listing(call: Call) -> EventPage:
        query = call.query
        order = query.get("order", "desc")
        if order not in ("asc", "desc"):
            raise invalid("order", 'order must be "asc" or "desc"')
        types = frozenset(kind for value in query.getall("type", ()) for kind in value.split(",") if kind)
        wanted = EventFilter(
            types=types,
            domain=query.get("domain") or None,
            since=_time(query, "since"),
            until=_time(query, "until"),
            acknowledged=_flag(query, "acknowledged"),
            offset=FROM.read(query),
            limit=SIZE.read(query),
            newest_first=order == "desc",
        )
        return await _page(call, wanted)

    async def _page(call: Call, wanted: EventFilter) -> EventPage:
        found, total = await events.find(call.who, wanted)
        return EventPage(
            total=total, events=[event_out(record) for record in found], from_=wanted.offset, size=wanted.limit
        )

    async def get_event(call: Call) -> EventOut:
        return event_out(await events.get(call.who, _event_id(call.params["id"])))

    async def acknowledge(call: Call) -> EventOut:
        return event_out(await events.acknowledge(call.who, _event_id(call.params["id"])))

    return [
        Route(
            "GET",
            "/events",
            listing,
            summary="Lifecycle events the caller may read, newest first unless order=asc, one page",
            rights="Events.READ on each event's domain",
            errors=("INVALID_ARGUMENTS",),
            query=(
                QueryParam("type", 'Comma-separated event types, e.g. "THING_TYPE.CREATE,THING.REMOVE"'),
                QueryParam("domain", "Only events of this domain and the domains below it"),
                TIME_SINCE,
                TIME_UNTIL,
                QueryParam("acknowledged", "true or false", {"type": "string", "enum": ["true", "false"]}),
                FROM,
                SIZE,
                QueryParam("order", '"desc" (default) or "asc"', {"type": "string", "enum": ["asc", "desc"]}),
            ),
        ),
        Route(
            "POST",
            "/events/find",
            find,
            body=EventFind,
            summary="Find lifecycle events by type, domain, time and acknowledgement, one page",
            rights="Events.READ on each event's domain",
            errors=("INVALID_ARGUMENTS",),
        ),
        Route(
            "GET",
            "/events/{id}",
            get_event,
            summary="One lifecycle event",
            rights="Events.READ on its domain",
            errors=("INVALID_ARGUMENTS", "EVENT_NOT_FOUND"),
        ),
        Route(
            "POST",
            "/events/{id}/acknowledge",
            acknowledge,
            summary="Acknowledge an event (the first acknowledgement is kept)",
            rights="Events.UPDATE on its domain",
            errors=("INVALID_ARGUMENTS", "EVENT_NOT_FOUND", "NOT_AUTHORIZED", "NOT_AUTHORIZED_DOMAIN"),
        ),
    ]


def _event_id(text: str) -> uuid.UUID:
    try:
        return uuid.UUID(text)
    except ValueError:
        # Not an id at all: no such event, as for an id nobody may see.
        raise RegistryFailure(RegistryError.EVENT_NOT_FOUND, f"no event {text!r}", property="id") from None


def _time(query: Mapping[str, str], name: str) -> int | None:
    text = query.get(name)
    if text is None:
        return None
    # Decimal digits only (the document's integer): int() would also take "", " 5" and "1_000".
    if not text.isascii() or not text.isdigit():
        raise invalid(name, f"{name} must be a time in epoch milliseconds")
    value = int(text)
    if not 0 <= value <= _LATEST_MS:
        raise invalid(name, f"{name} must be a time in epoch milliseconds")
    return value


def _flag(query: Mapping[str, str], name: str) -> bool | None:
    text = query.get(name)
    if text is None:
        return None
    if text not in ("true", "false"):  # the document's enum, exactly
        raise invalid(name, f"{name} must be true or false")
    return text == "true"
