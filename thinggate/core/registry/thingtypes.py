"""Thing types: classes of the generic integration made through the registry, and every integration's classes.

A thing type made through the registry is stored (a ThingTypeRecord), turned into a ThingClass
by the generic integration (its `ThingTypeMaker`) and declared to the hub, so every door sees its
things. The classes other integrations declare (virtual, KNX) are shown as thing types too, in
the root domain and read-only for everybody. Who may see or change which type is decided here,
by `Principal.may` on the type's domain.
"""

from __future__ import annotations

import asyncio
import logging
import re
import sys
from collections import Counter
from collections.abc import Container, Hashable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any, Protocol

from thinggate.core.hub import Hub
from thinggate.core.model import BasicType, ThingClass
from thinggate.core.registry.errors import RegistryError, RegistryFailure
from thinggate.core.registry.events import CREATE, REMOVE, UPDATE, LifecycleEvents
from thinggate.core.scopes import OBJECT_THING_TYPE, ROOT_DOMAIN
from thinggate.core.security.principals import Principal
from thinggate.core.store import EventRecord, RegistryStore, ThingTypeRecord

_LOG = logging.getLogger(__name__)

THING_TYPE_ID = re.compile(r"^[a-z0-9-_]+$")
"""What a thing type's id may be (MIC's pattern)."""

MAX_ID_LENGTH = 128


class ThingTypeMaker(Protocol):
    """What turns a stored thing type into a class: the generic integration."""

    @property
    def plugin_id(self) -> Any:
        """The id of the integration whose classes the thing types become."""
        ...

    def thing_class(self, record: ThingTypeRecord) -> ThingClass:
        """The class of a thing type (ValueError naming a resource it cannot make a state of)."""
        ...


@dataclass(frozen=True, slots=True)
class ThingType:
    """A thing type as the registry shows it (its class, and whether an integration defined it)."""

    id: str
    domain: str
    label: str
    description: str
    data: Any
    resources: list[dict[str, Any]]
    virtual_resources: list[dict[str, Any]]
    lock_mappings: bool
    thing_class: ThingClass
    integration_defined: bool = False
    created: datetime | None = field(default=None, compare=False)

    def record(self) -> ThingTypeRecord:
        """The stored form."""
        return ThingTypeRecord(
            id=self.id,
            domain=self.domain,
            label=self.label,
            description=self.description,
            data=self.data,
            resources=[dict(resource) for resource in self.resources],
            virtual_resources=[dict(resource) for resource in self.virtual_resources],
            lock_mappings=self.lock_mappings,
            created=self.created,
        )


_RESOURCE_TYPES: dict[BasicType, str] = {
    BasicType.BOOL: "boolean",
    BasicType.INT: "long",
    BasicType.UINT: "long",
    BasicType.DOUBLE: "double",
    BasicType.STRING: "string",
    BasicType.STRING_LIST: "string",
    BasicType.UUID: "string",
    BasicType.TIME: "string",
    BasicType.COLOR: "string",
}


def _slug(name: str) -> str:
    """A class or integration name in thing-type spelling: `knxSwitch` -> `knx-switch`."""
    spaced = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "-", name)
    return re.sub(r"[^a-z0-9_-]+", "-", spaced.lower()).strip("-") or "class"


class ThingTypes:
    """Every thing type: those made through the registry (stored) and the integrations' classes (read-only)."""

    def __init__(
        self,
        *,
        hub: Hub,
        store: RegistryStore,
        maker: ThingTypeMaker,
        domains: Container[str],
        events: LifecycleEvents | None = None,
    ) -> None:
        self.hub = hub
        self.events = events  # makes the lifecycle event each change is stored with (None: none)
        self.domains = domains  # the live domain tree: a type's domain must exist
        self.store = store
        self.maker = maker
        self._types: dict[str, ThingType] = {}
        # Check-then-write sequences (an id taken, a type gaining things) see each other.
        self._lock = asyncio.Lock()
        self._integration_ids: dict[Any, str] = {}
        # What a listing reads of each registry type, side by side (None: made anew at the next listing):
        # reading it through each type's class and id objects cost more than the rest of a 10,000-type list.
        self._rows: list[tuple[ThingType, str, int]] | None = None
        self._generation = 0  # counts changes to the registry's types (see listing_generation)

    # -- loading ---------------------------------------------------------------------------

    async def load(self) -> None:
        """Read the stored thing types and declare their classes to the hub (before it restores things)."""
        for record in await self.store.load_thing_types():
            try:
                thing_class = self.maker.thing_class(record)
            except ValueError as exc:
                _LOG.warning("stored thing type %r cannot be made a class (%s); left in storage", record.id, exc)
                continue
            self._types[record.id] = _thing_type(record, thing_class)
            self._changed()
            self.hub.add_thing_class(thing_class)

    # -- reading ---------------------------------------------------------------------------

    def all(self) -> list[ThingType]:
        """Every thing type: the integrations' classes first, then the registry's, oldest first."""
        return [*self._integration_types(), *self._types.values()]

    def _integration_types(self) -> list[ThingType]:
        types: list[ThingType] = []
        generic = self.maker.plugin_id
        # Identity first: every generic class carries the one plugin id object, and UUID's == runs in Python
        # (with 10,000 thing types this loop was a sixth of a listing's time).
        classes = self.hub.thing_classes.values()
        for thing_class in [thing_class for thing_class in classes if thing_class.plugin_id is not generic]:
            if thing_class.plugin_id == generic:
                continue
            type_id = self._integration_ids.get(thing_class.id)
            if type_id is None:
                type_id = self._integration_id(thing_class)
            types.append(
                ThingType(
                    id=type_id,
                    domain=ROOT_DOMAIN,
                    label=thing_class.display_name,
                    description=f"{thing_class.display_name} ({self._plugin_name(thing_class)} integration)",
                    data=None,
                    resources=[_resource_of(state_type) for state_type in thing_class.state_types],
                    virtual_resources=[],
                    lock_mappings=False,
                    thing_class=thing_class,
                    integration_defined=True,
                )
            )
        return types

    def _plugin_name(self, thing_class: ThingClass) -> str:
        integration = self.hub.integrations.get(thing_class.plugin_id)
        return integration.plugin.name if integration is not None else "unknown"

    def _integration_id(self, thing_class: ThingClass) -> str:
        """`<integration>-<class>` in thing-type spelling; a class id suffix if two classes would share it."""
        candidate = f"{_slug(self._plugin_name(thing_class))}-{_slug(thing_class.name)}"
        if candidate in self._integration_ids.values() or len(candidate) > MAX_ID_LENGTH:
            candidate = f"{candidate[: MAX_ID_LENGTH - 9]}-{thing_class.id.hex[:8]}"
        self._integration_ids[thing_class.id] = candidate
        return candidate

    def _find(self, type_id: str) -> ThingType | None:
        found = self._types.get(type_id)
        if found is not None:
            return found
        return next((thing_type for thing_type in self._integration_types() if thing_type.id == type_id), None)

    def registry_types(self) -> list[ThingType]:
        """The thing types made through the registry (the generic integration's classes), oldest first."""
        return list(self._types.values())

    def of_class(self, thing_class_id: Any) -> ThingType | None:
        """The registry thing type whose class this is (None for another integration's class)."""
        return next((t for t in self._types.values() if t.thing_class.id == thing_class_id), None)

    def visible(self, principal: Principal) -> list[ThingType]:
        """The thing types the principal may read (ThingTypes.READ on the type's domain)."""
        return [thing_type for thing_type in self.all() if principal.may("R", OBJECT_THING_TYPE, thing_type.domain)]

    def get(self, principal: Principal, type_id: str) -> ThingType:
        """One thing type the principal may read (THING_TYPE_NOT_FOUND when unknown or hidden alike)."""
        thing_type = self._find(type_id)
        if thing_type is None or not principal.may("R", OBJECT_THING_TYPE, thing_type.domain):
            raise RegistryFailure(RegistryError.THING_TYPE_NOT_FOUND, f"no thing type {type_id!r}", property="id")
        return thing_type

    def read_only(self, principal: Principal, thing_type: ThingType) -> bool:
        """Whether the principal may not change the type: an integration's class, or no UPDATE on its domain."""
        return thing_type.integration_defined or not principal.may("U", OBJECT_THING_TYPE, thing_type.domain)

    def thing_counts(self, principal: Principal) -> Mapping[int, int]:
        """How many things of each class the principal may see, by the class id's `int` (counted live)."""
        if principal.sees_every_thing():
            return self.hub.thing_counts_by_class()  # kept by the hub: no pass over every thing
        return Counter(thing.thing_class.id.int for thing in self.hub.things.values() if principal.may_see(thing))

    def listing(self, principal: Principal, *, counted: bool) -> list[tuple[ThingType, bool, int]]:
        """The thing types the principal may read, each with whether it is read-only to them and its things they see.

        Rights are decided once per domain (not per type) and things counted at most once (0 when not
        `counted`): a list of 10,000 types and 100,000 things is not 10,000 passes over anything.
        """
        readable: dict[str, bool] = {}
        changeable: dict[str, bool] = {}
        counts: Mapping[int, int] = self.thing_counts(principal) if counted else {}
        listed: list[tuple[ThingType, bool, int]] = []
        for thing_type, domain, class_number in self._listing_rows():
            may_read = readable.get(domain)
            if may_read is None:
                may_read = readable[domain] = principal.may("R", OBJECT_THING_TYPE, domain)
                changeable[domain] = principal.may("U", OBJECT_THING_TYPE, domain)
            if may_read:
                read_only = thing_type.integration_defined or not changeable[domain]
                listed.append((thing_type, read_only, counts.get(class_number, 0)))
        return listed

    def listing_generation(self) -> tuple[int, int]:
        """Changes whenever any listing could: a type made, changed or removed, a class or thing come or gone, moved.

        With `listing_audience`, what a listing depends on: a door may keep an answer made from a
        listing while both are what they were when it was made.
        """
        return self._generation, self.hub.inventory_generation

    @staticmethod
    def listing_audience(principal: Principal) -> Hashable:
        """What of the principal a listing depends on: equal for two principals whose listings are alike.

        Their rights (scopes, home domain, allowed things, privileges) and the domain tree they are
        decided on, as it is now; not their name or roles (roles are given as scopes).
        """
        tree = principal.domains
        return (
            principal.scopes,
            principal.home_domain,
            principal.allowed_thing_ids,
            principal.privileges,
            tree,
            tree.generation if tree is not None else 0,
        )

    def _changed(self) -> None:
        """A registry type was made, changed or removed: the listing rows are made anew, listings may differ."""
        self._rows = None
        self._generation += 1

    def _listing_rows(self) -> list[tuple[ThingType, str, int]]:
        """(type, its domain, its class id's int) for every type, the registry's kept between listings."""
        if self._rows is None:
            # Interned domains and copied ints: one object each, next to each other, not one per type spread out.
            self._rows = [
                (thing_type, sys.intern(thing_type.domain), int(str(thing_type.thing_class.id.int)))
                for thing_type in self._types.values()
            ]
        integration = [
            (thing_type, thing_type.domain, thing_type.thing_class.id.int) for thing_type in self._integration_types()
        ]
        return [*integration, *self._rows]

    def in_domain(self, domain: str) -> list[str]:
        """What the domain holds of thing types (for the directory's check before removing a domain)."""
        held = sorted(thing_type.id for thing_type in self._types.values() if thing_type.domain == domain)
        return [f"thing types {', '.join(held)}"] if held else []

    # -- changing --------------------------------------------------------------------------

    async def create(self, principal: Principal, record: ThingTypeRecord) -> ThingType:
        """Make a thing type (ThingTypes.CREATE on its domain), declare its class and store it."""
        _check_id(record.id)
        _check_domain(principal, "C", record.domain, self.domains)
        async with self._lock:
            if self._find(record.id) is not None:
                raise RegistryFailure(
                    RegistryError.THING_TYPE_ID_EXISTS, f"thing type {record.id!r} exists already", property="id"
                )
            record = replace(record, created=datetime.now(UTC))
            thing_class = self._class_of(record)
            if thing_class.id in self.hub.thing_classes:
                raise RegistryFailure(
                    RegistryError.THING_TYPE_ID_EXISTS, f"thing type {record.id!r} exists already", property="id"
                )
            await self._write(self.store.save_thing_type(record, self._event(CREATE, record.id, record.domain)))
            thing_type = _thing_type(record, thing_class)
            self._types[record.id] = thing_type
            self._changed()
            self.hub.add_thing_class(thing_class)
        return thing_type

    async def update(self, principal: Principal, type_id: str, changes: dict[str, Any]) -> ThingType:
        """Change a type (UPDATE on its domain; a new domain also needs DELETE on the old and CREATE on the new).

        `changes` holds record fields (label, domain, description, data, lock_mappings, resources,
        virtual_resources); changing resources needs a type without things (THING_TYPE_HAS_THINGS).
        """
        async with self._lock:
            thing_type = self.get(principal, type_id)
            if thing_type.integration_defined:
                raise RegistryFailure(
                    RegistryError.NOT_AUTHORIZED,
                    f"thing type {type_id!r} is an integration's and read-only",
                    property="id",
                )
            _check_domain(principal, "U", thing_type.domain, self.domains, property="id")
            new_domain = changes.get("domain", thing_type.domain)
            if new_domain != thing_type.domain:
                _check_domain(principal, "D", thing_type.domain, self.domains)
                _check_domain(principal, "C", new_domain, self.domains)
            record = replace(thing_type.record(), **changes)
            things = self.hub.things_of_class(thing_type.thing_class.id)
            resources_change = (record.resources, record.virtual_resources) != (
                thing_type.resources,
                thing_type.virtual_resources,
            )
            if resources_change and things:
                raise RegistryFailure(
                    RegistryError.THING_TYPE_HAS_THINGS,
                    f"thing type {type_id!r} has things: its resources cannot change",
                    property="resources",
                )
            # Made anew (the label is the class's display name); with the same resources its ids are the same.
            thing_class = self._class_of(record)
            await self._write(self.store.save_thing_type(record, self._event(UPDATE, record.id, record.domain)))
            updated = _thing_type(record, thing_class)
            self._types[type_id] = updated
            self._changed()
            self.hub.add_thing_class(thing_class)
            for thing in things:  # same state, action and param ids: the things take the new class as it is
                thing.thing_class = thing_class
        return updated

    async def remove(self, principal: Principal, type_id: str) -> None:
        """Remove a type without things (ThingTypes.DELETE on its domain; THING_TYPE_HAS_THINGS otherwise)."""
        async with self._lock:
            thing_type = self.get(principal, type_id)
            if thing_type.integration_defined:
                raise RegistryFailure(
                    RegistryError.NOT_AUTHORIZED,
                    f"thing type {type_id!r} is an integration's and read-only",
                    property="id",
                )
            _check_domain(principal, "D", thing_type.domain, self.domains, property="id")
            things = self.hub.things_of_class(thing_type.thing_class.id)
            if things:
                raise RegistryFailure(
                    RegistryError.THING_TYPE_HAS_THINGS,
                    f"thing type {type_id!r} has {len(things)} thing(s)",
                    params={"thingCount": len(things)},
                )
            await self._write(self.store.delete_thing_type(type_id, self._event(REMOVE, type_id, thing_type.domain)))
            del self._types[type_id]
            self._changed()
            self.hub.remove_thing_class(thing_type.thing_class.id)

    def _event(self, action: str, type_id: str, domain: str) -> EventRecord | None:
        return self.events.thing_type(action, type_id, domain) if self.events is not None else None

    def _class_of(self, record: ThingTypeRecord) -> ThingClass:
        try:
            return self.maker.thing_class(record)
        except ValueError as exc:
            raise RegistryFailure(RegistryError.INVALID_ARGUMENTS, str(exc), property="resources") from None

    @staticmethod
    async def _write(awaitable: Any) -> None:
        try:
            await awaitable
        except Exception as exc:
            _LOG.exception("could not store a thing type")
            raise RegistryFailure(RegistryError.BACKEND_ERROR, f"could not store the thing type: {exc}") from exc


def _check_id(type_id: str) -> None:
    if not type_id:
        raise RegistryFailure(RegistryError.PROPERTY_REQUIRED, "id is required", property="id")
    if len(type_id) > MAX_ID_LENGTH or not THING_TYPE_ID.fullmatch(type_id):
        raise RegistryFailure(
            RegistryError.INVALID_ARGUMENTS,
            f"id must match /^[a-z0-9-_]+$/ (at most {MAX_ID_LENGTH} characters)",
            property="id",
        )


def _check_domain(
    principal: Principal, operation: str, domain: str, domains: Container[str], property: str = "domain"
) -> None:
    # The right first: a domain out of reach is refused whether it exists or not.
    if not principal.may(operation, OBJECT_THING_TYPE, domain):
        raise RegistryFailure(
            RegistryError.NOT_AUTHORIZED_DOMAIN,
            f"not authorized for thing types in domain {domain!r}",
            property=property,
            params={"domain": domain},
        )
    if domain not in domains:
        raise RegistryFailure(
            RegistryError.DOMAIN_NOT_FOUND, f"no domain {domain!r}", property="domain", params={"domain": domain}
        )


def _thing_type(record: ThingTypeRecord, thing_class: ThingClass) -> ThingType:
    return ThingType(
        id=record.id,
        domain=record.domain,
        label=record.label,
        description=record.description,
        data=record.data,
        resources=[dict(resource) for resource in record.resources],
        virtual_resources=[dict(resource) for resource in record.virtual_resources],
        lock_mappings=record.lock_mappings,
        thing_class=thing_class,
        created=record.created,
    )


def _resource_of(state_type: Any) -> dict[str, Any]:
    """An integration class's state type as a registry resource."""
    resource: dict[str, Any] = {
        "name": state_type.name,
        "type": _RESOURCE_TYPES.get(state_type.type, "object"),
        "label": state_type.display_name,
        "isSettable": bool(state_type.writable),
    }
    if state_type.unit is not None:
        resource["unit"] = state_type.unit.value
    return resource
