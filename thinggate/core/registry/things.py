"""Things of registry thing types (MIC §1.10): create, list, get, update, remove, and their desired state.

A registry thing is a core thing of a generic integration class (a thing type made through the
registry): the hub adds, stores and removes it, so every door sees it. Its `thingName` is a
read-only param of the class (unique hub-wide; generated as `00000001`, `00000002`, ... when not
given), `description` and `externalId` are settings, the label is the thing's name. Who may do
what is decided here, by `Principal.may` on the thing's domain (Things.CREATE/READ/UPDATE/DELETE);
setting desired values runs the hub's execute-action path, so values are checked as for every door.

Lifecycle events (THING.CREATE, THING.UPDATE, THING.REMOVE) are made in `create`, `update` and
`remove`, and the hub stores each in the same write as the change it reports.
"""

from __future__ import annotations

import asyncio
import logging
import re
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from thinggate.core.errors import PermissionDenied, ThingError, ThingFailure
from thinggate.core.hub import Hub
from thinggate.core.model import Thing
from thinggate.core.operations import Result
from thinggate.core.registry.errors import RegistryError, RegistryFailure
from thinggate.core.registry.events import CREATE, REMOVE, UPDATE, LifecycleEvents
from thinggate.core.registry.thingtypes import ThingType, ThingTypes
from thinggate.core.scopes import OBJECT_THING, ROOT_DOMAIN
from thinggate.core.security import SYSTEM
from thinggate.core.security.domains import DomainTree
from thinggate.core.security.principals import Principal
from thinggate.core.store import EventRecord as OutboxEvent
from thinggate.core.store import SecurityStore
from thinggate.core.values import verify_value

_LOG = logging.getLogger(__name__)

THING_NAME_PARAM = "thingName"
"""The read-only param of every generic class that holds a thing's registry name."""
DESCRIPTION_SETTING = "description"
EXTERNAL_ID_SETTING = "externalId"
CONNECTED_STATE = "connected"
"""The state every generic thing has: whether its device is reachable (MQTT: the hub and the device online)."""

THING_NAME = re.compile(r"^[A-Za-z0-9:_-]{1,128}$")
"""AWS IoT's thing name rule, which MIC's thing names follow."""

NAME_COUNTER_SETTING = "registry.last_thing_number"
"""The hub setting that keeps the last generated thing name's number (names are never handed out twice)."""
GENERATED_DIGITS = 8


class ThingShadows(Protocol):
    """What the generic integration keeps of its things: names to ids, and desired values not yet reported."""

    def thing_id_named(self, thing_name: str) -> uuid.UUID | None:
        """The id of the generic thing with this thingName, if there is one."""
        ...

    def desired(self, thing_id: uuid.UUID) -> dict[str, Any]:
        """Values asked of the thing's device that it has not reported back yet, by resource name."""
        ...


def thing_name_of(thing: Thing) -> str:
    """A generic thing's registry name: its thingName param, or (added through another door without one) its id."""
    param_type = thing.thing_class.param_type_named(THING_NAME_PARAM)
    name = thing.params.get(param_type.id, "") if param_type is not None else ""
    return name if isinstance(name, str) and name else thing.id.hex


def domain_topic(domains: DomainTree, domain: str) -> str:
    """A domain's path below root as MQTT topics spell it: "" for root, `a/b` for b below a (MIC's domainTopic)."""
    parts: list[str] = []
    current: str | None = domain
    while current is not None and current != ROOT_DOMAIN:
        parts.append(current)
        current = domains.parent(current)
    return "/".join(reversed(parts))


def thing_update_topic(domains: DomainTree, domain: str, thing_name: str) -> str:
    """`thing-update/<domain path>/<thingName>`, the root domain implicit."""
    path = domain_topic(domains, domain)
    return f"thing-update/{path}/{thing_name}" if path else f"thing-update/{thing_name}"


@dataclass(frozen=True, slots=True)
class RegistryThing:
    """A thing as the registry shows it."""

    id: uuid.UUID
    thing_name: str
    thing_type: str
    domain: str
    domain_topic: str
    label: str
    description: str
    external_id: str
    reported: dict[str, Any]
    desired: dict[str, Any]


@dataclass(frozen=True, slots=True)
class ThingChanges:
    """What an update changes; None leaves a field as it is."""

    label: str | None = None
    description: str | None = None
    external_id: str | None = None
    domain: str | None = None


class Things:
    """Registry things on behalf of a principal (one lock: names are checked and taken atomically)."""

    def __init__(
        self,
        *,
        hub: Hub,
        store: SecurityStore,
        thing_types: ThingTypes,
        shadows: ThingShadows,
        domains: DomainTree,
        events: LifecycleEvents | None = None,
    ) -> None:
        self.hub = hub
        self.events = events
        """Makes THING.CREATE/UPDATE/REMOVE, each stored by the hub in the same write as its change."""
        self.store = store
        self.thing_types = thing_types
        self.shadows = shadows
        self.domains = domains
        self._lock = asyncio.Lock()

    # -- reading ---------------------------------------------------------------------------

    def _registry_type(self, thing: Thing) -> ThingType | None:
        return self.thing_types.of_class(thing.thing_class.id)

    def types_by_class(self) -> dict[uuid.UUID, ThingType]:
        """The registry thing types by class id (for viewing many things at once)."""
        return {thing_type.thing_class.id: thing_type for thing_type in self.thing_types.registry_types()}

    def visible(self, principal: Principal, *, thing_type: str | None = None, domain: str | None = None) -> list[Thing]:
        """The registry things the principal may read, oldest first, of one type and/or domain if given."""
        class_ids = {t.thing_class.id for t in self.thing_types.registry_types() if thing_type in (None, t.id)}
        return [
            thing
            for thing in self.hub.visible_things(principal)
            if thing.thing_class.id in class_ids and (domain is None or thing.domain == domain)
        ]

    def get(self, principal: Principal, thing_name: str) -> Thing:
        """One registry thing the principal may read (THING_NOT_FOUND when unknown or hidden alike)."""
        thing_id = self.shadows.thing_id_named(thing_name)
        thing = self.hub.visible_thing(principal, thing_id)
        if thing is None or self._registry_type(thing) is None:
            raise RegistryFailure(RegistryError.THING_NOT_FOUND, f"no thing {thing_name!r}", property="thingName")
        return thing

    def view(self, thing: Thing, types: Mapping[uuid.UUID, ThingType] | None = None) -> RegistryThing:
        """The registry's view of a thing: its names, settings, reported (every resource) and desired values."""
        thing_type = types.get(thing.thing_class.id) if types is not None else self._registry_type(thing)
        resources = (
            {str(resource.get("name")) for resource in (*thing_type.resources, *thing_type.virtual_resources)}
            if thing_type is not None
            else set()
        )
        reported = {
            state_type.name: thing.states[state_type.id].value
            for state_type in thing.thing_class.state_types
            if state_type.name in resources or state_type.name == CONNECTED_STATE
        }
        return RegistryThing(
            id=thing.id,
            thing_name=thing_name_of(thing),
            thing_type=thing_type.id if thing_type is not None else "",
            domain=thing.domain,
            domain_topic=domain_topic(self.domains, thing.domain),
            label=thing.name,
            description=_setting(thing, DESCRIPTION_SETTING),
            external_id=_setting(thing, EXTERNAL_ID_SETTING),
            reported=reported,
            desired=self.shadows.desired(thing.id),
        )

    # -- changing --------------------------------------------------------------------------

    async def create(
        self,
        principal: Principal,
        *,
        thing_type: str,
        domain: str,
        thing_name: str | None = None,
        label: str | None = None,
        description: str = "",
        external_id: str = "",
    ) -> Thing:
        """Add a thing of a registry type (Things.CREATE on its domain); a name is generated when none is given."""
        if not thing_type:
            raise RegistryFailure(RegistryError.PROPERTY_REQUIRED, "thingType is required", property="thingType")
        if not domain:
            raise RegistryFailure(RegistryError.PROPERTY_REQUIRED, "domain is required", property="domain")
        if thing_name is not None:
            _check_name(thing_name)
        self._check_domain(principal, "C", domain)
        try:
            found = self.thing_types.get(principal, thing_type)  # not found also when the caller cannot read it
        except RegistryFailure as failure:
            raise RegistryFailure(failure.error, failure.message, property="thingType") from None
        if found.integration_defined:
            raise RegistryFailure(
                RegistryError.INVALID_ARGUMENTS,
                f"thing type {thing_type!r} is an integration's: its integration adds its things",
                property="thingType",
            )
        thing_class = found.thing_class
        async with self._lock:
            if thing_name is None:
                thing_name = await self._next_name()
            elif self.shadows.thing_id_named(thing_name) is not None:
                raise RegistryFailure(
                    RegistryError.THING_NAME_EXISTS,
                    f"thing {thing_name!r} exists already",
                    property="thingName",
                    params={"thingName": thing_name},
                )
            name_param = thing_class.param_type_named(THING_NAME_PARAM)
            assert name_param is not None, "every generic class has the thingName param"
            result = await self.hub.add_thing(
                SYSTEM,
                name=label or thing_name,
                thing_class_id=thing_class.id,
                params=[(name_param.id, thing_name)],
                domain=domain,
                event=self._event(CREATE, thing_name, thing_type, domain),
            )
            thing_id = _checked(result, "thingName")
            assert thing_id is not None
            thing = self.hub.things[thing_id]
            settings = _settings(thing, {DESCRIPTION_SETTING: description, EXTERNAL_ID_SETTING: external_id})
            if settings:
                _checked(await self.hub.set_thing_settings(SYSTEM, thing.id, settings), "description")
        return thing

    async def update(self, principal: Principal, thing_name: str, changes: ThingChanges) -> Thing:
        """Change label, description, externalId or domain (Things.UPDATE; a move also DELETE old and CREATE new)."""
        async with self._lock:
            thing = self.get(principal, thing_name)
            self._check_domain(principal, "U", thing.domain, property="thingName")
            if changes.domain is not None and changes.domain != thing.domain:
                self._check_domain(principal, "D", thing.domain, property="domain")
                self._check_domain(principal, "C", changes.domain)
            settings = _settings(
                thing, {DESCRIPTION_SETTING: changes.description, EXTERNAL_ID_SETTING: changes.external_id}
            )
            # Each change is one write; the last one also stores the THING.UPDATE (none when nothing changes).
            writes: list[tuple[str, Callable[[OutboxEvent | None], Awaitable[Result[Any]]]]] = []
            if settings:
                writes.append(
                    ("description", lambda event: self.hub.set_thing_settings(SYSTEM, thing.id, settings, event=event))
                )
            if changes.label is not None and changes.label != thing.name:
                label = changes.label
                writes.append(("label", lambda event: self.hub.edit_thing(SYSTEM, thing.id, name=label, event=event)))
            if changes.domain is not None and changes.domain != thing.domain:
                domain = changes.domain
                writes.append(("domain", lambda event: self.hub.move_thing(SYSTEM, thing.id, domain, event=event)))
            for index, (field_name, write) in enumerate(writes):
                event = None
                if index == len(writes) - 1:
                    event = self._event(UPDATE, thing_name, self._type_id(thing), changes.domain or thing.domain)
                _checked(await write(event), field_name)
        return thing

    async def remove(self, principal: Principal, thing_name: str) -> None:
        """Remove a registry thing (Things.DELETE on its domain)."""
        async with self._lock:
            thing = self.get(principal, thing_name)
            self._check_domain(principal, "D", thing.domain, property="thingName")
            event = self._event(REMOVE, thing_name, self._type_id(thing), thing.domain)
            _checked(await self.hub.remove_thing(SYSTEM, thing.id, event=event), "thingName")

    def _event(self, action: str, thing_name: str, thing_type: str, domain: str) -> OutboxEvent | None:
        return self.events.thing(action, thing_name, thing_type, domain) if self.events is not None else None

    def _type_id(self, thing: Thing) -> str:
        registry_type = self._registry_type(thing)
        return registry_type.id if registry_type is not None else str(thing.thing_class.id)

    async def set_desired(self, principal: Principal, thing_name: str, desired: Mapping[str, Any]) -> Thing:
        """Ask the thing's device for values (Things.UPDATE): each a settable resource, run as the hub's action.

        Every value is checked before any is sent (INVALID_ARGUMENTS naming `desired.<name>`), so a
        refused request changes nothing; the hub's execute-action path then runs each in turn.
        """
        thing = self.get(principal, thing_name)
        self._check_domain(principal, "U", thing.domain, property="thingName")
        actions: list[tuple[uuid.UUID, Any]] = []
        for name, value in desired.items():
            action_type = thing.thing_class.action_type_named(name)
            state_type = thing.thing_class.state_type_named(name)
            if action_type is None or state_type is None or action_type.id != state_type.id:
                raise RegistryFailure(
                    RegistryError.INVALID_ARGUMENTS,
                    f"{name!r} is not a settable resource of thing type {thing.thing_class.name!r}",
                    property=f"desired.{name}",
                )
            state = thing.states[state_type.id]
            try:
                verify_value(action_type.param_types[0], value, min_value=state.min_value, max_value=state.max_value)
            except ThingFailure as failure:
                raise RegistryFailure(
                    RegistryError.INVALID_ARGUMENTS, failure.message, property=f"desired.{name}"
                ) from None
            actions.append((action_type.id, value))
        for action_type_id, value in actions:
            result = await self.hub.execute_action(SYSTEM, thing.id, action_type_id, [(action_type_id, value)])
            _checked(result, "desired")
        return thing

    # -- helpers ---------------------------------------------------------------------------

    def _check_domain(self, principal: Principal, operation: str, domain: str, property: str = "domain") -> None:
        # The right first: a domain out of reach is refused whether it exists or not.
        if not principal.may(operation, OBJECT_THING, domain):
            raise RegistryFailure(
                RegistryError.NOT_AUTHORIZED_DOMAIN,
                f"not authorized for things in domain {domain!r}",
                property=property,
                params={"domain": domain},
            )
        if domain not in self.domains:
            raise RegistryFailure(
                RegistryError.DOMAIN_NOT_FOUND, f"no domain {domain!r}", property="domain", params={"domain": domain}
            )

    async def _next_name(self) -> str:
        """The next sequential name (`00000001`, ...): past every generated one, even removed ones, and free."""
        settings = await self.store.load_hub_settings()
        last = settings.get(NAME_COUNTER_SETTING)
        number = last if isinstance(last, int) and not isinstance(last, bool) else 0
        while True:
            number += 1
            name = f"{number:0{GENERATED_DIGITS}d}"
            if self.shadows.thing_id_named(name) is None:
                break
        try:
            await self.store.save_hub_setting(NAME_COUNTER_SETTING, number)
        except Exception as exc:
            _LOG.exception("could not store the thing name counter")
            raise RegistryFailure(RegistryError.BACKEND_ERROR, f"could not store the thing: {exc}") from exc
        return name


def _check_name(thing_name: str) -> None:
    if not thing_name:
        raise RegistryFailure(RegistryError.INVALID_ARGUMENTS, "thingName must not be empty", property="thingName")
    if not THING_NAME.fullmatch(thing_name):
        raise RegistryFailure(
            RegistryError.INVALID_ARGUMENTS,
            "thingName must match /^[A-Za-z0-9:_-]{1,128}$/",
            property="thingName",
            params={"thingName": thing_name},
        )


def _setting(thing: Thing, name: str) -> str:
    param_type = thing.thing_class.settings_type_named(name)
    value = thing.settings.get(param_type.id, "") if param_type is not None else ""
    return value if isinstance(value, str) else str(value)


def _settings(thing: Thing, values: Mapping[str, str | None]) -> list[tuple[uuid.UUID, Any]]:
    """(settings type id, value) pairs for the values given that differ from the thing's."""
    changed: list[tuple[uuid.UUID, Any]] = []
    for name, value in values.items():
        param_type = thing.thing_class.settings_type_named(name)
        if value is not None and param_type is not None and thing.settings.get(param_type.id) != value:
            changed.append((param_type.id, value))
    return changed


_FAILURES: Mapping[ThingError, RegistryError] = {
    ThingError.INVALID_PARAMETER: RegistryError.INVALID_ARGUMENTS,
    ThingError.MISSING_PARAMETER: RegistryError.INVALID_ARGUMENTS,
    ThingError.PARAMETER_NOT_WRITABLE: RegistryError.INVALID_ARGUMENTS,
    ThingError.THING_NOT_FOUND: RegistryError.THING_NOT_FOUND,
    ThingError.ACTION_TYPE_NOT_FOUND: RegistryError.INVALID_ARGUMENTS,
}


def _checked(result: Result[Any], property: str) -> Any:
    """The value of a hub operation's result; its failure as the registry's (the device's as BACKEND_ERROR)."""
    failure = result.failure
    if failure is None:
        return result.value
    if isinstance(failure, PermissionDenied):
        raise RegistryFailure(RegistryError.NOT_AUTHORIZED, failure.message, property=property)
    kind = _FAILURES.get(failure.error, RegistryError.BACKEND_ERROR)
    raise RegistryFailure(kind, failure.message, property=property, params={"thingError": failure.error.value})
