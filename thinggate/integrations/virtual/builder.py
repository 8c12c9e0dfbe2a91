"""A terse way to declare virtual thing classes: ids come from the class and type names."""

from __future__ import annotations

import uuid
from dataclasses import replace
from typing import Any

from thinggate.core.model import (
    ActionType,
    BasicType,
    CreateMethod,
    EventType,
    IOType,
    ParamType,
    SetupMethod,
    StateType,
    StateValueFilter,
    ThingClass,
    Unit,
)
from thinggate.integrations.virtual.ids import vid

PLUGIN_ID = vid("plugin")
VENDOR_ID = vid("vendor")


def param(
    owner: str,
    name: str,
    type_: BasicType,
    default: Any = None,
    *,
    kind: str = "param",
    index: int = 0,
    display_name: str = "",
    min_value: Any = None,
    max_value: Any = None,
    step_size: float | None = None,
    allowed_values: tuple[Any, ...] | None = None,
    unit: Unit | None = None,
    read_only: bool = False,
) -> ParamType:
    """A param type whose id is derived from its owner, kind and name."""
    return ParamType(
        id=vid(owner, kind, name),
        name=name,
        display_name=display_name or name,
        type=type_,
        index=index,
        default_value=default,
        min_value=min_value,
        max_value=max_value,
        step_size=step_size,
        allowed_values=allowed_values,
        unit=unit,
        read_only=read_only,
    )


def state(
    owner: str,
    name: str,
    type_: BasicType,
    default: Any,
    *,
    writable: bool = False,
    display_name: str = "",
    unit: Unit | None = None,
    min_value: Any = None,
    max_value: Any = None,
    step_size: float | None = None,
    possible_values: tuple[Any, ...] | None = None,
    io_type: IOType | None = None,
    cached: bool = True,
    suggest_logging: bool = False,
    filter_: StateValueFilter = StateValueFilter.NONE,
    index: int = 0,
) -> StateType:
    """A state type whose id is derived from its owner and name."""
    return StateType(
        id=vid(owner, "state", name),
        name=name,
        display_name=display_name or name,
        type=type_,
        default_value=default,
        index=index,
        unit=unit,
        io_type=io_type,
        min_value=min_value,
        max_value=max_value,
        step_size=step_size,
        possible_values=possible_values,
        writable=writable,
        cached=cached,
        suggest_logging=suggest_logging,
        filter=filter_,
    )


def event(owner: str, name: str, *params: ParamType, display_name: str = "", index: int = 0) -> EventType:
    """An event type whose id is derived from its owner and name."""
    return EventType(
        id=vid(owner, "event", name), name=name, display_name=display_name or name, index=index, param_types=params
    )


def action(owner: str, name: str, *params: ParamType, display_name: str = "", index: int = 0) -> ActionType:
    """An action type whose id is derived from its owner and name."""
    return ActionType(
        id=vid(owner, "action", name), name=name, display_name=display_name or name, index=index, param_types=params
    )


def _indexed(items: tuple[Any, ...]) -> tuple[Any, ...]:
    # nymea numbers types in declaration order; keep that so clients can sort stably.
    return tuple(replace(item, index=position) for position, item in enumerate(items))


def thing_class(
    name: str,
    display_name: str,
    *,
    interfaces: tuple[str, ...] = (),
    setup_method: SetupMethod = SetupMethod.JUST_ADD,
    create_methods: tuple[CreateMethod, ...] = (CreateMethod.USER,),
    params: tuple[ParamType, ...] = (),
    settings: tuple[ParamType, ...] = (),
    discovery_params: tuple[ParamType, ...] = (),
    states: tuple[StateType, ...] = (),
    events: tuple[EventType, ...] = (),
    actions: tuple[ActionType, ...] = (),
    browser_item_actions: tuple[ActionType, ...] = (),
    browsable: bool = False,
    class_id: uuid.UUID | None = None,
) -> ThingClass:
    """A virtual thing class; its id is derived from its name unless given."""
    return ThingClass(
        id=class_id or vid(name),
        name=name,
        display_name=display_name,
        vendor_id=VENDOR_ID,
        plugin_id=PLUGIN_ID,
        declared_interfaces=interfaces,
        browsable=browsable,
        setup_method=setup_method,
        create_methods=frozenset(create_methods),
        param_types=_indexed(params),
        settings_types=_indexed(settings),
        discovery_param_types=_indexed(discovery_params),
        state_types=_indexed(states),
        event_types=_indexed(events),
        declared_action_types=_indexed(actions),
        browser_item_action_types=_indexed(browser_item_actions),
    )
