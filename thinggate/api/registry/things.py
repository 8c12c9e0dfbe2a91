"""Things (MIC §1.10): LIST, CREATE, GET, UPDATE (PATCH or PUT), REMOVE, and desired state (PUT .../state)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import msgspec

from thinggate.api.registry.door import Call, QueryParam, RegistryDoor, Route, given, required_text
from thinggate.api.registry.errors import required
from thinggate.api.registry.structs import (
    Empty,
    ThingCreate,
    ThingList,
    ThingOut,
    ThingState,
    ThingStateUpdate,
    ThingUpdate,
)
from thinggate.core.registry import RegistryThing, ThingChanges, Things


def thing_out(thing: RegistryThing) -> ThingOut:
    """A thing as the door writes it."""
    return ThingOut(
        thingName=thing.thing_name,
        thingType=thing.thing_type,
        domain=thing.domain,
        domainTopic=thing.domain_topic,
        label=thing.label,
        description=thing.description,
        externalId=thing.external_id,
        state=ThingState(reported=thing.reported, desired=thing.desired),
    )


PAGE = QueryParam.whole("page", "Which page (0 is the first)", default=0, low=0, high=1_000_000)
SIZE = QueryParam.whole("size", "Things per page", default=100, low=1, high=1000)


def routes(door: RegistryDoor, things: Things) -> list[Route]:
    """The thing routes."""

    async def list_things(call: Call) -> ThingList:
        query: Mapping[str, str] = call.query
        found = things.visible(call.who, thing_type=query.get("thingType") or None, domain=query.get("domain") or None)
        size = SIZE.read(query)
        page = PAGE.read(query)
        types = things.types_by_class()
        return ThingList(
            things=[thing_out(things.view(thing, types)) for thing in found[page * size : (page + 1) * size]],
            totalPages=math.ceil(len(found) / size),
            page=page,
            metadata={"count": len(found)},
        )

    async def create(call: Call) -> ThingOut:
        body: ThingCreate = call.body
        thing = await things.create(
            call.who,
            thing_type=required_text(body.thingType, "thingType"),
            domain=required_text(body.domain, "domain"),
            thing_name=given(body.thingName),
            label=given(body.label) or None,
            description=body.description,
            external_id=body.externalId,
        )
        return thing_out(things.view(thing))

    async def get_thing(call: Call) -> ThingOut:
        return thing_out(things.view(things.get(call.who, call.params["thingName"])))

    async def update(call: Call) -> ThingOut:
        body: ThingUpdate = call.body
        label = given(body.label)
        if label == "":
            raise required("label")
        domain = given(body.domain)
        if domain == "":
            raise required("domain")
        changes = ThingChanges(
            label=label,
            description=given(body.description),
            external_id=given(body.externalId),
            domain=domain,
        )
        thing = await things.update(call.who, call.params["thingName"], changes)
        return thing_out(things.view(thing))

    async def remove(call: Call) -> Empty:
        await things.remove(call.who, call.params["thingName"])
        return Empty()

    async def set_state(call: Call) -> ThingOut:
        body: ThingStateUpdate = call.body
        desired: Any = body.desired
        if desired is msgspec.UNSET or not desired:
            raise required("desired")
        thing = await things.set_desired(call.who, call.params["thingName"], desired)
        return thing_out(things.view(thing))

    found = ("THING_NOT_FOUND",)
    return [
        Route(
            "GET",
            "/things",
            list_things,
            summary="The registry things the caller may read, oldest first, one page",
            rights="Things.READ",
            errors=("INVALID_ARGUMENTS",),
            query=(
                QueryParam("thingType", "Only things of this thing type"),
                QueryParam("domain", "Only things of this domain"),
                PAGE,
                SIZE,
            ),
        ),
        Route(
            "POST",
            "/things",
            create,
            ThingCreate,
            summary="Add a thing of a registry thing type (a core thing: every door sees it)",
            rights="Things.CREATE on its domain (and ThingTypes.READ on the type)",
            errors=(
                "PROPERTY_REQUIRED",
                "INVALID_ARGUMENTS",
                "THING_TYPE_NOT_FOUND",
                "DOMAIN_NOT_FOUND",
                "NOT_AUTHORIZED_DOMAIN",
                "THING_NAME_EXISTS",
            ),
        ),
        Route(
            "GET",
            "/things/{thingName}",
            get_thing,
            summary="One thing, with its reported and desired state",
            rights="Things.READ on its domain",
            errors=found,
        ),
        *(
            Route(
                method,
                "/things/{thingName}",
                update,
                ThingUpdate,
                summary="Change a thing's label, description, externalId or domain (what is given changes)",
                rights="Things.UPDATE on its domain; a new domain also DELETE on the old and CREATE on the new",
                errors=("PROPERTY_REQUIRED", "INVALID_ARGUMENTS", *found, "DOMAIN_NOT_FOUND", "NOT_AUTHORIZED_DOMAIN"),
            )
            for method in ("PATCH", "PUT")
        ),
        Route(
            "DELETE",
            "/things/{thingName}",
            remove,
            summary="Remove a thing",
            rights="Things.DELETE on its domain",
            errors=(*found, "NOT_AUTHORIZED_DOMAIN"),
        ),
        Route(
            "PUT",
            "/things/{thingName}/state",
            set_state,
            ThingStateUpdate,
            summary="Ask the thing's device for values: each a settable resource, run as the hub's action",
            rights="Things.UPDATE on its domain",
            errors=("PROPERTY_REQUIRED", "INVALID_ARGUMENTS", *found, "NOT_AUTHORIZED", "NOT_AUTHORIZED_DOMAIN"),
        ),
    ]
