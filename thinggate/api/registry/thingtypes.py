"""Thing types (seed 002, every row): LIST, CREATE, GET, UPDATE (PATCH), REMOVE."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Hashable
from typing import Any, NoReturn

import msgspec

from thinggate.api.registry.door import Call, QueryParam, RegistryDoor, Route, given, required_text
from thinggate.api.registry.errors import RegistryProblem, invalid, required
from thinggate.api.registry.structs import (
    Empty,
    Resource,
    ThingTypeCreate,
    ThingTypeCreated,
    ThingTypeOut,
    ThingTypeUpdate,
    ThingTypeUpdated,
)
from thinggate.core.registry import ThingType
from thinggate.core.store import ThingTypeRecord

LIST_ATTRIBUTES = (
    "id",
    "label",
    "description",
    "resources",
    "virtualResources",
    "domain",
    "readOnly",
    "thingCount",
    "lockMappings",
)
"""What LIST may be asked for (the seed's list); without `attributes`, all of them."""

GET_ATTRIBUTES = (
    "label",
    "readOnly",
    "thingCount",
    "domain",
    "data",
    "resources",
    "virtualResources",
    "lockMappings",
    "description",
)
"""What GET may be asked for: the seed's list, and `description`, which its answer holds too."""

ID_REQUIRED = ("PROPERTY_REQUIRED",)


def _attribute_list(names: tuple[str, ...]) -> dict[str, Any]:
    one = "|".join(("id", *names))
    return {"type": "string", "pattern": f"^ *({one})? *(, *({one})? *)*$"}


LIST_QUERY = QueryParam(
    "attributes", f"Comma-separated: {', '.join(LIST_ATTRIBUTES)} (default: all)", _attribute_list(LIST_ATTRIBUTES)
)
GET_QUERY = QueryParam(
    "attributes", f"Comma-separated: {', '.join(GET_ATTRIBUTES)} (default: all)", _attribute_list(GET_ATTRIBUTES)
)
GET_FLAGS = tuple(
    QueryParam(name, f"Show {name} (the value is ignored)", {"type": "string"}, allow_empty=True)
    for name in GET_ATTRIBUTES
)
"""GET's attributes as keys of their own: `?label&thingCount`."""
_EVERY_LISTED = frozenset(LIST_ATTRIBUTES) | {"id"}
_READ_ONLY = b'true,"thingCount":'
_WRITABLE = b'false,"thingCount":'
_encode = msgspec.json.Encoder().encode

_IGNORED_QUERY = frozenset({"attributes", "id", "identityId"})  # identityId: MIC clients may send it as a query


class KeptAnswers:
    """Encoded list answers kept for repeats, by audience and attributes, while the listing generation holds.

    The least recently asked for are dropped past `budget` bytes in all; an answer larger than the
    budget is not kept. A new generation (a type, thing, class or domain changed) drops them all.
    """

    def __init__(self, budget: int) -> None:
        self.budget = budget
        self.generation: Hashable = None
        self.size = 0
        self._answers: OrderedDict[Hashable, bytes] = OrderedDict()

    def __len__(self) -> int:
        return len(self._answers)

    def get(self, generation: Hashable, key: Hashable) -> bytes | None:
        """The answer kept for `key` in this generation (None: none; one of another generation drops them all)."""
        if generation != self.generation:
            self._answers.clear()
            self.size = 0
            self.generation = generation
            return None
        found = self._answers.get(key)
        if found is not None:
            self._answers.move_to_end(key)
        return found

    def keep(self, key: Hashable, answer: bytes) -> None:
        """Keep an answer made in the generation last asked for, dropping the least recent past the budget."""
        if len(answer) > self.budget:
            return
        replaced = self._answers.pop(key, None)
        if replaced is not None:
            self.size -= len(replaced)
        self._answers[key] = answer
        self.size += len(answer)
        while self.size > self.budget:
            _, dropped = self._answers.popitem(last=False)
            self.size -= len(dropped)


def _resource(resource: Resource) -> dict[str, Any]:
    stored: dict[str, Any] = {"name": resource.name, "type": resource.type, "isSettable": resource.isSettable}
    if resource.label is not msgspec.UNSET:
        stored["label"] = resource.label
    if resource.unit is not msgspec.UNSET:
        stored["unit"] = resource.unit
    return stored


def routes(door: RegistryDoor) -> list[Route]:
    """The thing type routes."""
    types = door.thing_types

    def shown(thing_type: ThingType, wanted: tuple[str, ...], read_only: bool, count: int) -> ThingTypeOut:
        values: dict[str, Any] = {
            "id": thing_type.id,
            "label": thing_type.label,
            "description": thing_type.description,
            "resources": thing_type.resources,
            "virtualResources": thing_type.virtual_resources,
            "domain": thing_type.domain,
            "lockMappings": thing_type.lock_mappings,
            "data": thing_type.data,
            "readOnly": read_only,
            "thingCount": count,
        }
        return ThingTypeOut(**{name: values[name] for name in wanted})

    # By id(): found without reading the type (its object is kept here, so the id is not reused meanwhile).
    cached: dict[int, tuple[ThingType, bytes, bytes, bytes]] = {}

    def fragments(thing_type: ThingType) -> tuple[ThingType, bytes, bytes, bytes]:
        """A listed type's JSON up to its thingCount's value (read-only, writable), and after it with a comma."""
        whole = _encode(shown(thing_type, LIST_ATTRIBUTES, False, 0))
        marker = b'"readOnly":false,"thingCount":0,'
        at = whole.rindex(marker)  # quotes inside strings are escaped: only the attributes match
        head = whole[: at + len(b'"readOnly":')]
        found = (thing_type, head + _READ_ONLY, head + _WRITABLE, whole[at + len(marker) - 1 :] + b",")
        if not thing_type.integration_defined:  # those are made anew on every call: kept only a registry type's
            cached[id(thing_type)] = found
        return found

    # Whole answers, made once per audience and attributes and written again until anything they show changes:
    # a repeated list of 10,000 types is a lookup, not a pass over them.
    kept = KeptAnswers(door.settings.list_cache_bytes)

    async def list_types(call: Call) -> Any:
        wanted = _listed(call.query.get("attributes"), LIST_ATTRIBUTES) or LIST_ATTRIBUTES
        # No await from here to the end: the answer kept is of the generation it was looked up in.
        generation = types.listing_generation()
        key = (types.listing_audience(call.who), frozenset(wanted))  # attributes come in the struct's order
        answer = kept.get(generation, key)
        if answer is None:
            answer = made_list(call, wanted)
            kept.keep(key, answer)
        return msgspec.Raw(answer)

    def made_list(call: Call, wanted: tuple[str, ...]) -> bytes:
        """The list's JSON for the caller: every type they may read, with the attributes wanted."""
        listed = types.listing(call.who, counted="thingCount" in wanted)
        if not listed:
            every = types.all()
            if len(every) == 1:  # the seed: "Returned if there is only one Thing Type and not accessible by user"
                raise RegistryProblem(
                    "NOT_AUTHORIZED_DOMAIN",
                    "the thing type is in a domain the caller may not read",
                    property="domain",
                    params={"domain": every[0].domain},
                )
        if set(wanted) == _EVERY_LISTED:
            # The usual call (no `attributes`): each type's JSON as cached for its (immutable) ThingType, only
            # readOnly and thingCount written per call: 10,000 types answer in a few ms, not one struct each.
            if len(cached) > 2 * len(types.registry_types()) + 100:  # types removed or changed: drop what they left
                cached.clear()
            parts = [b"["]
            get = cached.get
            for thing_type, read_only, count in listed:
                found = get(id(thing_type))
                if found is None or found[0] is not thing_type:
                    found = fragments(thing_type)
                parts += (found[1] if read_only else found[2], b"%d" % count, found[3])
            if len(parts) > 1:
                parts[-1] = parts[-1][:-1]  # the last type's comma
            parts.append(b"]")
            return b"".join(parts)
        return _encode([shown(thing_type, wanted, read_only, count) for thing_type, read_only, count in listed])

    async def get_type(call: Call) -> ThingTypeOut:
        type_id = required_text(call.params["id"], "id")
        # attributes=label,thingCount, or the attributes as keys of their own: ?label&thingCount (values ignored)
        wanted = _listed(call.query.get("attributes"), GET_ATTRIBUTES)
        as_keys = [key for key in call.query if key not in _IGNORED_QUERY]
        unknown = [key for key in as_keys if key not in GET_ATTRIBUTES]
        if unknown:
            raise invalid(unknown[0], f"unknown attribute {unknown[0]!r}; choose from {', '.join(GET_ATTRIBUTES)}")
        chosen = tuple(dict.fromkeys((*wanted, *as_keys)))
        thing_type = types.get(call.who, type_id)
        every = (
            "domain",
            "label",
            "description",
            "data",
            "readOnly",
            "thingCount",
            "lockMappings",
            "resources",
            "virtualResources",
        )
        wanted = ("id", *(chosen or every))
        count = types.thing_counts(call.who).get(thing_type.thing_class.id.int, 0) if "thingCount" in wanted else 0
        return shown(thing_type, wanted, types.read_only(call.who, thing_type), count)

    async def create(call: Call) -> ThingTypeCreated:
        body: ThingTypeCreate = call.body
        type_id = required_text(body.id, "id")
        label = required_text(body.label, "label")
        domain = required_text(body.domain, "domain")
        record = ThingTypeRecord(
            id=type_id,
            domain=domain,
            label=label,
            description=body.description,
            data=body.data,
            resources=[_resource(resource) for resource in body.resources],
            virtual_resources=[_resource(resource) for resource in body.virtualResources],
            lock_mappings=body.lockMappings,
        )
        made = await types.create(call.who, record)
        return ThingTypeCreated(
            id=made.id,
            domain=made.domain,
            label=made.label,
            description=made.description,
            data=made.data,
            lockMappings=made.lock_mappings,
        )

    async def update(call: Call) -> ThingTypeUpdated:
        type_id = required_text(call.params["id"], "id")
        body: ThingTypeUpdate = call.body
        changes: dict[str, Any] = {
            "label": required_text(body.label, "label"),
            "domain": required_text(body.domain, "domain"),
        }
        if body.description is not msgspec.UNSET:
            changes["description"] = body.description
        if body.data is not msgspec.UNSET:
            changes["data"] = body.data
        if body.lockMappings is not msgspec.UNSET:
            changes["lock_mappings"] = body.lockMappings
        resources = given(body.resources)
        if resources is not None:
            changes["resources"] = [_resource(resource) for resource in resources]
        virtual = given(body.virtualResources)
        if virtual is not None:
            changes["virtual_resources"] = [_resource(resource) for resource in virtual]
        updated = await types.update(call.who, type_id, changes)
        return ThingTypeUpdated(id=updated.id, label=updated.label, description=updated.description, data=updated.data)

    async def remove(call: Call) -> Empty:
        await types.remove(call.who, required_text(call.params["id"], "id"))
        return Empty()

    async def id_required(call: Call) -> NoReturn:
        raise required("id")

    found = ("THING_TYPE_NOT_FOUND",)
    return [
        Route(
            "GET",
            "/thingtypes",
            list_types,
            # The handler answers pre-encoded JSON for speed; this is what that JSON is.
            answer=list[ThingTypeOut],
            summary="The thing types the caller may read, as a bare array (with `attributes`, only those)",
            rights="ThingTypes.READ",
            errors=("NOT_AUTHORIZED_DOMAIN",),
            query=(LIST_QUERY,),
        ),
        Route(
            "POST",
            "/thingtypes",
            create,
            ThingTypeCreate,
            summary="Create a thing type: a thing class of the generic integration",
            rights="ThingTypes.CREATE on its domain",
            errors=("PROPERTY_REQUIRED", "DOMAIN_NOT_FOUND", "NOT_AUTHORIZED_DOMAIN", "THING_TYPE_ID_EXISTS"),
        ),
        Route("PATCH", "/thingtypes", id_required, summary="Refused: name the type in the path", errors=ID_REQUIRED),
        Route("DELETE", "/thingtypes", id_required, summary="Refused: name the type in the path", errors=ID_REQUIRED),
        Route(
            "GET",
            "/thingtypes/{id}",
            get_type,
            summary="One thing type: its id and the attributes asked for (all when none is)",
            rights="ThingTypes.READ on its domain",
            errors=("PROPERTY_REQUIRED", *found),
            query=(GET_QUERY, *GET_FLAGS),
        ),
        Route(
            "PATCH",
            "/thingtypes/{id}",
            update,
            ThingTypeUpdate,
            summary="Change a thing type (label and domain required; resources only while it has no things)",
            rights="ThingTypes.UPDATE on its domain; a new domain also DELETE on the old and CREATE on the new",
            errors=(
                "PROPERTY_REQUIRED",
                "NOT_AUTHORIZED",
                "NOT_AUTHORIZED_DOMAIN",
                "DOMAIN_NOT_FOUND",
                *found,
                "THING_TYPE_HAS_THINGS",
            ),
        ),
        Route(
            "DELETE",
            "/thingtypes/{id}",
            remove,
            summary="Remove a thing type that has no things",
            rights="ThingTypes.DELETE on its domain",
            errors=("PROPERTY_REQUIRED", "NOT_AUTHORIZED", "NOT_AUTHORIZED_DOMAIN", *found, "THING_TYPE_HAS_THINGS"),
        ),
    ]


def _listed(text: str | None, allowed: tuple[str, ...]) -> tuple[str, ...]:
    """The attributes named in a comma-separated list (INVALID_ARGUMENTS for one not allowed)."""
    if not text:
        return ()
    # Spaces around a name are allowed; other whitespace is not (str.strip() would take \x1c too).
    wanted = tuple(dict.fromkeys(name.strip(" ") for name in text.split(",") if name.strip(" ")))
    unknown = [name for name in wanted if name not in allowed and name != "id"]
    if unknown:
        raise invalid("attributes", f"unknown attribute(s) {', '.join(unknown)}; choose from {', '.join(allowed)}")
    return wanted
