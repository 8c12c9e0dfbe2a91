"""What the page is told of things, their classes, rooms and the house mode: plain JSON-ready dicts.

Ids are the hub's UUIDs as strings; a thing's states are its values by state type id, and the
dynamic limits of the states that have them. A class says its interfaces (what the page builds
controls from), its state types and its action types with their params; an action type made
from a writable state has that state's id.
"""

from __future__ import annotations

from typing import Any

from thinggate.core.model import ActionType, ParamType, StateType, Thing, ThingClass
from thinggate.core.modes import HouseModes


def thing_view(thing: Thing) -> dict[str, Any]:
    """A thing: id, name, room, class, parent, setup status, state values and dynamic limits."""
    states: dict[str, Any] = {}
    limits: dict[str, dict[str, Any]] = {}
    for state_type_id, state in thing.states.items():
        key = str(state_type_id)
        states[key] = state.value
        if state.min_value is not None or state.max_value is not None or state.possible_values is not None:
            limits[key] = {"min": state.min_value, "max": state.max_value, "values": state.possible_values}
    view: dict[str, Any] = {
        "id": str(thing.id),
        "name": thing.name,
        "room": thing.room,
        "classId": str(thing.thing_class.id),
        "parentId": str(thing.parent_id) if thing.parent_id is not None else None,
        "setupStatus": thing.setup_status.value,
        "states": states,
    }
    if limits:
        view["limits"] = limits
    return view


def class_view(thing_class: ThingClass) -> dict[str, Any]:
    """A thing class as the page builds a card from it."""
    return {
        "id": str(thing_class.id),
        "name": thing_class.name,
        "displayName": thing_class.display_name,
        "interfaces": list(thing_class.interfaces),
        "stateTypes": [_state_type(state_type) for state_type in thing_class.state_types],
        "actionTypes": [_action_type(action_type) for action_type in thing_class.action_types],
    }


def _state_type(state_type: StateType) -> dict[str, Any]:
    return {
        "id": str(state_type.id),
        "name": state_type.name,
        "displayName": state_type.display_name,
        "type": state_type.type.value,
        "unit": state_type.unit.value if state_type.unit is not None else None,
        "min": state_type.min_value,
        "max": state_type.max_value,
        "step": state_type.step_size,
        "values": state_type.possible_values,
        "valueNames": state_type.possible_values_display_names,
        "writable": state_type.writable,
    }


def _action_type(action_type: ActionType) -> dict[str, Any]:
    return {
        "id": str(action_type.id),
        "name": action_type.name,
        "displayName": action_type.display_name,
        "params": [_param_type(param_type) for param_type in action_type.param_types],
    }


def _param_type(param_type: ParamType) -> dict[str, Any]:
    return {
        "id": str(param_type.id),
        "name": param_type.name,
        "displayName": param_type.display_name,
        "type": param_type.type.value,
        "unit": param_type.unit.value if param_type.unit is not None else None,
        "min": param_type.min_value,
        "max": param_type.max_value,
        "step": param_type.step_size,
        "values": param_type.allowed_values,
        "default": param_type.default_value,
    }


def rooms_of(things: list[Thing]) -> list[str]:
    """The rooms of these things, by name (a thing without a room is in none of them)."""
    return sorted({thing.room for thing in things if thing.room})


def modes_view(modes: HouseModes) -> dict[str, Any]:
    """The house modes and the current one."""
    return {"current": modes.current.id, "modes": [{"id": mode.id, "name": mode.name} for mode in modes.modes]}


def param_type_view(param_type: ParamType) -> dict[str, Any]:
    """A param type as a form builds its field: the action params' view, with how to ask and whether it is fixed."""
    return {
        **_param_type(param_type),
        "inputType": param_type.input_type.value if param_type.input_type is not None else None,
        "readOnly": param_type.read_only,
    }
