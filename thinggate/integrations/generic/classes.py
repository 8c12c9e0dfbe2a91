"""Thing types as thing classes: each resource a state type, settable ones actions, catalogue names interfaces.

A resource is `{"name", "type", "label"?, "unit"?, "isSettable"?}` with `type` one of MIC's
observation mapping types (Elasticsearch's): boolean; long, integer, short, byte; double, float;
string, keyword, text, date; object, geo_point. A class whose resources carry every state of a
catalogue interface (by name, a type of the same kind, settable where the interface writes it)
offers that interface, with the catalogue's unit, range and display name for those states; only
interfaces of states alone count (a generic thing has no actions or events of its own).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import replace
from typing import Any

from thinggate.core.interfaces import CATALOGUE, InterfaceState, check_interfaces, expand, required_states
from thinggate.core.model import BasicType, ParamType, SetupMethod, StateType, ThingClass, Unit
from thinggate.core.registry.things import CONNECTED_STATE, DESCRIPTION_SETTING, EXTERNAL_ID_SETTING, THING_NAME_PARAM
from thinggate.core.store import ThingTypeRecord
from thinggate.integrations.generic.manifest import DECLARATIONS, class_id, state_type_id

RESOURCE_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,63}$")
MAX_RESOURCES = 256

RESOURCE_TYPES: Mapping[str, BasicType] = {
    "boolean": BasicType.BOOL,
    "long": BasicType.INT,
    "integer": BasicType.INT,
    "short": BasicType.INT,
    "byte": BasicType.INT,
    "double": BasicType.DOUBLE,
    "float": BasicType.DOUBLE,
    "string": BasicType.STRING,
    "keyword": BasicType.STRING,
    "text": BasicType.STRING,
    "date": BasicType.STRING,
    "object": BasicType.OBJECT,
    "geo_point": BasicType.OBJECT,
}
"""Resource types (MIC's observation mappings) and the state type each becomes."""

RESERVED_NAMES = frozenset({CONNECTED_STATE})
"""Resource names every generic class has already (the connection state)."""

# Shared by every generic class: the registry's thing name (fixed at creation), description and externalId.
THING_PARAMS: tuple[ParamType, ...] = (
    DECLARATIONS.param("thing", THING_NAME_PARAM, BasicType.STRING, "", display_name="Thing name", read_only=True),
)
THING_SETTINGS: tuple[ParamType, ...] = (
    DECLARATIONS.param("thing", DESCRIPTION_SETTING, BasicType.STRING, "", kind="setting", display_name="Description"),
    DECLARATIONS.param(
        "thing", EXTERNAL_ID_SETTING, BasicType.STRING, "", kind="setting", display_name="External id", index=1
    ),
)

_DEFAULTS: Mapping[BasicType, Any] = {
    BasicType.BOOL: False,
    BasicType.INT: 0,
    BasicType.UINT: 0,
    BasicType.DOUBLE: 0.0,
    BasicType.STRING: "",
}

# Kinds of value: a resource matches a catalogue state of the same kind (an integer is an Int or a Uint).
_KIND = {"Bool": "bool", "Int": "integer", "Uint": "integer", "Double": "real", "String": "text"}


def _kind(type_: BasicType) -> str | None:
    return _KIND.get(type_.value)


def _states(type_id: str, resources: Iterable[Mapping[str, Any]], seen: set[str], where: str) -> list[StateType]:
    states: list[StateType] = []
    for resource in resources:
        name = resource.get("name")
        if not isinstance(name, str) or not RESOURCE_NAME.fullmatch(name):
            raise ValueError(f"{where}: resource name {name!r} must match ^[A-Za-z][A-Za-z0-9_]{{0,63}}$")
        if name in seen:
            raise ValueError(f"{where}: resource {name!r} is declared twice")
        if name in RESERVED_NAMES:
            raise ValueError(f"{where}: resource name {name!r} is reserved (every thing has a {name} state)")
        seen.add(name)
        type_name = resource.get("type")
        basic = RESOURCE_TYPES.get(type_name) if isinstance(type_name, str) else None
        if basic is None:
            raise ValueError(
                f"{where}: resource {name!r} has type {type_name!r}; use one of {', '.join(RESOURCE_TYPES)}"
            )
        unit_name = resource.get("unit")
        unit = next((unit for unit in Unit if unit.value == unit_name), None)
        label = resource.get("label")
        states.append(
            StateType(
                id=state_type_id(type_id, name),
                name=name,
                display_name=label if isinstance(label, str) and label else name,
                type=basic,
                default_value=_DEFAULTS.get(basic),
                unit=unit,
                writable=bool(resource.get("isSettable", False)),
            )
        )
    return states


def _matches(state: StateType | None, wanted: InterfaceState) -> bool:
    if state is None or _kind(state.type) is None or _kind(state.type) != _KIND.get(wanted.type):
        return False
    return state.writable or not wanted.writable


def matching_interfaces(states: Mapping[str, StateType]) -> tuple[str, ...]:
    """The catalogue interfaces the states make up (most specific only: parents come through `expand`)."""
    found: list[str] = []
    for name, interface in CATALOGUE.items():
        lineage = [CATALOGUE[part] for part in expand((name,)) if part in CATALOGUE]
        if not interface.states or any(part.actions or part.events for part in lineage):
            continue
        if all(_matches(states.get(required.name), required) for required in required_states(name)):
            found.append(name)
    implied = {parent for name in found for parent in expand((name,))[1:]}
    return tuple(name for name in found if name not in implied)


def _as_catalogue_says(state: StateType, wanted: InterfaceState, labelled: bool) -> StateType:
    """The state with the catalogue's type, unit, range and values (and display name unless the type gave a label)."""
    return replace(
        state,
        type=BasicType(wanted.type),
        default_value=_DEFAULTS.get(BasicType(wanted.type))
        if wanted.possible_values is None
        else wanted.possible_values[0],
        unit=Unit(wanted.unit) if wanted.unit is not None else state.unit,
        min_value=wanted.min_value,
        max_value=wanted.max_value,
        possible_values=wanted.possible_values,
        display_name=state.display_name if labelled else wanted.display_name,
    )


def thing_class_for(record: ThingTypeRecord) -> ThingClass:
    """The class of a thing type (ValueError naming the resource it cannot make a state of)."""
    seen: set[str] = set()
    if len(record.resources) + len(record.virtual_resources) > MAX_RESOURCES:
        raise ValueError(f"a thing type has at most {MAX_RESOURCES} resources")
    states = _states(record.id, record.resources, seen, "resources")
    states += _states(record.id, record.virtual_resources, seen, "virtualResources")
    by_name = {state.name: state for state in states}
    interfaces = matching_interfaces(by_name)
    labelled = {
        resource["name"]
        for resource in (*record.resources, *record.virtual_resources)
        if isinstance(resource.get("label"), str) and resource.get("label")
    }
    for interface in interfaces:
        for wanted in required_states(interface):
            by_name[wanted.name] = _as_catalogue_says(by_name[wanted.name], wanted, wanted.name in labelled)
    # Whether the device is reachable: true without a broker, else the broker connection and the device's will.
    connected = StateType(
        id=state_type_id(record.id, CONNECTED_STATE),
        name=CONNECTED_STATE,
        display_name="Connected",
        type=BasicType.BOOL,
        default_value=True,
        cached=False,
    )
    thing_class = DECLARATIONS.thing_class(
        record.id,
        record.label or record.id,
        interfaces=(*interfaces, "connectable"),
        setup_method=SetupMethod.JUST_ADD,
        params=THING_PARAMS,
        settings=THING_SETTINGS,
        states=(*(by_name[state.name] for state in states), connected),
        class_id=class_id(record.id),
    )
    check_interfaces(thing_class)  # what matched must hold, as for any integration's class
    return thing_class
