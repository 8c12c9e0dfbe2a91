"""A terse way to declare KNX thing classes: ids come from the class and type names."""

from __future__ import annotations

from thinggate.core.declare import Declarations
from thinggate.core.model import ActionType, BasicType, EventType, ParamType, StateType, ThingClass
from thinggate.integrations.knx.ids import NAMESPACE

_DECLARATIONS = Declarations(NAMESPACE)

PLUGIN_ID = _DECLARATIONS.plugin_id
VENDOR_ID = _DECLARATIONS.vendor_id


def address_param(owner: str, name: str, display_name: str, *, required: bool = False) -> ParamType:
    """A group address param ("1/0/1"); optional ones default to "" (not used)."""
    return _DECLARATIONS.param(owner, name, BasicType.STRING, None if required else "", display_name=display_name)


param = _DECLARATIONS.param
state = _DECLARATIONS.state
interface_state = _DECLARATIONS.interface_state


def connected_state(owner: str) -> StateType:
    """The `connected` state every KNX thing has: whether the hub reaches the bus right now."""
    # Not cached: after a restart nothing is connected until the gateway answers.
    return interface_state(owner, "connectable", "connected", False, cached=False)


def event(owner: str, name: str, display_name: str) -> EventType:
    """An event type without params whose id is derived from its class and name."""
    return _DECLARATIONS.event(owner, name, display_name=display_name)


def action(owner: str, name: str, display_name: str) -> ActionType:
    """An action type without params whose id is derived from its class and name."""
    return _DECLARATIONS.action(owner, name, display_name=display_name)


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
    return _DECLARATIONS.thing_class(
        name, display_name, interfaces=interfaces, params=params, states=states, events=events, actions=actions
    )
