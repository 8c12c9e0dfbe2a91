"""Declaring thing classes tersely, with ids derived from names so they survive restarts and releases.

Every integration declares its vendors, classes and types; ids come from a namespace of its own
and the names (`uuid5(namespace, "blind/state/percentage")`), so two releases agree on them.
"""

from __future__ import annotations

import uuid
from dataclasses import replace
from typing import Any, TypeVar

from thinggate.core.interfaces import required_state
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

_Indexed = TypeVar("_Indexed", ParamType, StateType, EventType, ActionType)


def indexed(items: tuple[_Indexed, ...]) -> tuple[_Indexed, ...]:
    """The items numbered in declaration order (nymea does, so clients can sort stably)."""
    return tuple(replace(item, index=position) for position, item in enumerate(items))


class Declarations:
    """Makes params, states, events, actions and classes whose ids derive from one namespace."""

    def __init__(self, namespace: uuid.UUID) -> None:
        self.namespace = namespace
        self.plugin_id = self.id("plugin")
        self.vendor_id = self.id("vendor")

    def id(self, *parts: str) -> uuid.UUID:
        """The id of a vendor, class or type, e.g. id("blind", "state", "percentage")."""
        return uuid.uuid5(self.namespace, "/".join(parts))

    def param(
        self,
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
        """A param type whose id is derived from its owner, kind ("param", "setting", ...) and name."""
        return ParamType(
            id=self.id(owner, kind, name),
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
        self,
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
            id=self.id(owner, "state", name),
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

    def interface_state(self, owner: str, interface: str, name: str, default: Any, **overrides: Any) -> StateType:
        """A state as its interface in the catalogue declares it; overrides (a device's own range, unit, ...) win."""
        declared = required_state(interface, name)
        fields: dict[str, Any] = {
            "writable": declared.writable,
            "display_name": declared.display_name,
            "unit": Unit(declared.unit) if declared.unit is not None else None,
            "min_value": declared.min_value,
            "max_value": declared.max_value,
            "possible_values": declared.possible_values,
        }
        fields.update(overrides)
        return self.state(owner, name, BasicType(declared.type), default, **fields)

    def event(self, owner: str, name: str, *params: ParamType, display_name: str = "", index: int = 0) -> EventType:
        """An event type whose id is derived from its owner and name."""
        return EventType(
            id=self.id(owner, "event", name),
            name=name,
            display_name=display_name or name,
            index=index,
            param_types=params,
        )

    def action(self, owner: str, name: str, *params: ParamType, display_name: str = "", index: int = 0) -> ActionType:
        """An action type whose id is derived from its owner and name."""
        return ActionType(
            id=self.id(owner, "action", name),
            name=name,
            display_name=display_name or name,
            index=index,
            param_types=params,
        )

    def thing_class(
        self,
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
        """A thing class of this integration; its id is derived from its name unless given."""
        return ThingClass(
            id=class_id or self.id(name),
            name=name,
            display_name=display_name,
            vendor_id=self.vendor_id,
            plugin_id=self.plugin_id,
            declared_interfaces=interfaces,
            browsable=browsable,
            setup_method=setup_method,
            create_methods=frozenset(create_methods),
            param_types=indexed(params),
            settings_types=indexed(settings),
            discovery_param_types=indexed(discovery_params),
            state_types=indexed(states),
            event_types=indexed(events),
            declared_action_types=indexed(actions),
            browser_item_action_types=indexed(browser_item_actions),
        )
