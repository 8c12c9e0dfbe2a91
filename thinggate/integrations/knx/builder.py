"""A terse way to declare KNX thing classes: ids come from the class and type names."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from thinggate.core.model import (
    ActionType,
    BasicType,
    EventType,
    ParamType,
    StateType,
    ThingClass,
    Unit,
)
from thinggate.integrations.knx.ids import kid

PLUGIN_ID = kid("plugin")
VENDOR_ID = kid("vendor")


def address_param(owner: str, name: str, display_name: str, *, required: bool = False) -> ParamType:
    """A group address param ("1/0/1"); optional ones default to "" (not used)."""
    return ParamType(
        id=kid(owner, "param", name),
        name=name,
        display_name=display_name,
        type=BasicType.STRING,
        default_value=None if required else "",
    )


def param(
    owner: str,
    name: str,
    type_: BasicType,
    default: Any,
    *,
    display_name: str = "",
    min_value: Any = None,
    max_value: Any = None,
    allowed_values: tuple[Any, ...] | None = None,
) -> ParamType:
    """A thing param whose id is derived from its class and name."""
    return ParamType(
        id=kid(owner, "param", name),
        name=name,
        display_name=display_name or name,
        type=type_,
        default_value=default,
        min_value=min_value,
        max_value=max_value,
        allowed_values=allowed_values,
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
    possible_values: tuple[Any, ...] | None = None,
    cached: bool = True,
) -> StateType:
    """A state type whose id is derived from its class and name."""
    return StateType(
        id=kid(owner, "state", name),
        name=name,
        display_name=display_name or name,
        type=type_,
        default_value=default,
        unit=unit,
        min_value=min_value,
        max_value=max_value,
        possible_values=possible_values,
        writable=writable,
        cached=cached,
    )


def connected_state(owner: str) -> StateType:
    """The `connected` state every KNX thing has: whether the hub reaches the bus right now."""
    # Not cached: after a restart nothing is connected until the gateway answers.
    return state(owner, "connected", BasicType.BOOL, False, display_name="Connected", cached=False)


def event(owner: str, name: str, display_name: str) -> EventType:
    """An event type without params whose id is derived from its class and name."""
    return EventType(id=kid(owner, "event", name), name=name, display_name=display_name)


def action(owner: str, name: str, display_name: str) -> ActionType:
    """An action type without params whose id is derived from its class and name."""
    return ActionType(id=kid(owner, "action", name), name=name, display_name=display_name)


def _indexed(items: tuple[Any, ...]) -> tuple[Any, ...]:
    # nymea numbers types in declaration order; keep that so clients can sort stably.
    return tuple(replace(item, index=position) for position, item in enumerate(items))


def thing_class(
    name: str,
    display_name: str,
    *,
    interfaces: tuple[str, ...],
    params: tuple[ParamType, ...] = (),
    states: tuple[StateType, ...] = (),
    events: tuple[EventType, ...] = (),
    actions: tuple[ActionType, ...] = (),
) -> ThingClass:
    """A KNX thing class; its id is derived from its name."""
    return ThingClass(
        id=kid(name),
        name=name,
        display_name=display_name,
        vendor_id=VENDOR_ID,
        plugin_id=PLUGIN_ID,
        declared_interfaces=interfaces,
        param_types=_indexed(params),
        state_types=_indexed(states),
        event_types=_indexed(events),
        declared_action_types=_indexed(actions),
    )
