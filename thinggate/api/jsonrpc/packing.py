"""The core model in nymea's wire shapes: enums as prefixed names, optional keys left out when empty.

UUIDs are written without braces (as Qt's JSON conversion writes a QUuid) except where nymea
builds the string with `toString()`: the Hello uuid, pairingTransactionId, ConfirmPairing's thingId
and ThingSettingChanged's paramTypeId. Clients parse both, but some compare strings.
"""

from __future__ import annotations

import enum
import uuid
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from thinggate.core.errors import ThingError, UserError
from thinggate.core.model import (
    ActionType,
    BrowserItem,
    CreateMethod,
    EventRecord,
    EventType,
    IOConnection,
    ParamType,
    ParamValues,
    PluginInfo,
    State,
    StateType,
    Thing,
    ThingClass,
    ThingDescriptor,
    Vendor,
)
from thinggate.core.security import TokenInfo, UserInfo, scopes_to_names

Translate = Callable[[str], str]
"""Turns an English display text into the connection's language."""


def _same(text: str) -> str:
    return text


def braced(value: uuid.UUID) -> str:
    """A UUID as QUuid::toString() writes it."""
    return "{" + str(value) + "}"


def enum_name(prefix: str, value: enum.Enum) -> str:
    """nymea's enum spelling: the type name, then the value (`UnitPercentage`)."""
    return prefix + str(value.value)


# By the member's value: a str's hash is cached, an enum member's is a Python call.
_THING_ERRORS = {error.value: "ThingError" + error.value for error in ThingError}


def thing_error(error: ThingError) -> str:
    """ThingErrorX."""
    return _THING_ERRORS[error._value_]  # in every Integrations.* reply: no enum property, no concatenation


def user_error(error: UserError) -> str:
    """UserErrorX."""
    return "UserError" + error.value


_CREATE_ORDER = (CreateMethod.USER, CreateMethod.AUTO, CreateMethod.DISCOVERY)


def param_list(values: ParamValues) -> list[dict[str, Any]]:
    """A ParamList."""
    return [{"paramTypeId": param_type_id, "value": value} for param_type_id, value in values.items()]


def param_pairs(params: Iterable[Mapping[str, Any]] | None) -> list[tuple[Any, Any]]:
    """A validated incoming ParamList as (param type id, value) pairs for the core."""
    return [(param.get("paramTypeId"), param["value"]) for param in params or ()]


def param_type(param: ParamType, translate: Translate = _same) -> dict[str, Any]:
    """A ParamType."""
    packed: dict[str, Any] = {
        "id": param.id,
        "name": param.name,
        "displayName": translate(param.display_name),
        "type": param.type.value,
        "index": param.index,
    }
    if param.default_value is not None:
        packed["defaultValue"] = param.default_value
    if param.min_value is not None:
        packed["minValue"] = param.min_value
    if param.max_value is not None:
        packed["maxValue"] = param.max_value
    if param.step_size is not None:
        packed["stepSize"] = param.step_size
    if param.allowed_values:
        packed["allowedValues"] = list(param.allowed_values)
    if param.input_type is not None:
        packed["inputType"] = enum_name("InputType", param.input_type)
    if param.unit is not None:
        packed["unit"] = enum_name("Unit", param.unit)
    if param.read_only:
        packed["readOnly"] = True
    return packed


def state_type(state: StateType, translate: Translate = _same) -> dict[str, Any]:
    """A StateType."""
    packed: dict[str, Any] = {
        "id": state.id,
        "name": state.name,
        "displayName": translate(state.display_name),
        "type": state.type.value,
        "index": state.index,
        "defaultValue": state.default_value,
    }
    if state.unit is not None:
        packed["unit"] = enum_name("Unit", state.unit)
    if state.io_type is not None:
        packed["ioType"] = enum_name("IOType", state.io_type)
    if state.min_value is not None:
        packed["minValue"] = state.min_value
    if state.max_value is not None:
        packed["maxValue"] = state.max_value
    if state.step_size is not None:
        packed["stepSize"] = state.step_size
    if state.possible_values:
        packed["possibleValues"] = list(state.possible_values)
    if state.possible_values_display_names:
        packed["possibleValuesDisplayNames"] = [translate(name) for name in state.possible_values_display_names]
    return packed


def event_type(event: EventType, translate: Translate = _same) -> dict[str, Any]:
    """An EventType."""
    return {
        "id": event.id,
        "name": event.name,
        "displayName": translate(event.display_name),
        "index": event.index,
        "paramTypes": [param_type(p, translate) for p in event.param_types],
    }


def action_type(action: ActionType, translate: Translate = _same) -> dict[str, Any]:
    """An ActionType."""
    return {
        "id": action.id,
        "name": action.name,
        "displayName": translate(action.display_name),
        "index": action.index,
        "paramTypes": [param_type(p, translate) for p in action.param_types],
    }


def vendor(item: Vendor, translate: Translate = _same) -> dict[str, Any]:
    """A Vendor."""
    return {"id": item.id, "name": item.name, "displayName": translate(item.display_name)}


def plugin(item: PluginInfo, translate: Translate = _same) -> dict[str, Any]:
    """An IntegrationPlugin."""
    return {
        "id": item.id,
        "name": item.name,
        "displayName": translate(item.display_name),
        "paramTypes": [param_type(p, translate) for p in item.param_types],
    }


def thing_class(item: ThingClass, translate: Translate = _same) -> dict[str, Any]:
    """A ThingClass, interfaces expanded."""
    return {
        "id": item.id,
        "vendorId": item.vendor_id,
        "pluginId": item.plugin_id,
        "name": item.name,
        "displayName": translate(item.display_name),
        "interfaces": list(item.interfaces),
        "providedInterfaces": list(item.provided_interfaces),
        "browsable": item.browsable,
        "setupMethod": enum_name("SetupMethod", item.setup_method),
        "createMethods": [enum_name("CreateMethod", m) for m in _CREATE_ORDER if m in item.create_methods],
        "discoveryType": enum_name("DiscoveryType", item.discovery_type),
        "paramTypes": [param_type(p, translate) for p in item.param_types],
        "settingsTypes": [param_type(p, translate) for p in item.settings_types],
        "discoveryParamTypes": [param_type(p, translate) for p in item.discovery_param_types],
        "stateTypes": [state_type(s, translate) for s in item.state_types],
        "eventTypes": [event_type(e, translate) for e in item.event_types],
        "actionTypes": [action_type(a, translate) for a in item.action_types],
        "browserItemActionTypes": [action_type(a, translate) for a in item.browser_item_action_types],
    }


def state(state_type_id: uuid.UUID, value: State) -> dict[str, Any]:
    """A State."""
    packed: dict[str, Any] = {
        "stateTypeId": state_type_id,
        "value": value.value,
        "filter": enum_name("StateValueFilter", value.filter),
    }
    if value.min_value is not None:
        packed["minValue"] = value.min_value
    if value.max_value is not None:
        packed["maxValue"] = value.max_value
    if value.possible_values:
        packed["possibleValues"] = list(value.possible_values)
    return packed


def states(values: Mapping[uuid.UUID, State]) -> list[dict[str, Any]]:
    """States, in the order of the class's state types."""
    return [state(state_type_id, value) for state_type_id, value in values.items()]


def thing(item: Thing, translate: Translate = _same) -> dict[str, Any]:
    """A Thing."""
    error = item.setup_error if isinstance(item.setup_error, ThingError) else ThingError.NO_ERROR
    packed: dict[str, Any] = {
        "id": item.id,
        "thingClassId": item.thing_class.id,
        "name": item.name,
        "params": param_list(item.params),
        "states": states(item.states),
        "setupStatus": enum_name("ThingSetupStatus", item.setup_status),
        "setupError": thing_error(error),
        "setupComplete": item.setup_status.value == "Complete",
    }
    if item.settings:
        packed["settings"] = param_list(item.settings)
    if item.setup_display_message:
        packed["setupDisplayMessage"] = translate(item.setup_display_message)
    if item.parent_id is not None:
        packed["parentId"] = item.parent_id
    if item.logged_state_type_ids:
        packed["loggedStateTypeIds"] = sorted(item.logged_state_type_ids, key=str)
    if item.logged_event_type_ids:
        packed["loggedEventTypeIds"] = sorted(item.logged_event_type_ids, key=str)
    if item.logged_action_type_ids:
        packed["loggedActionTypeIds"] = sorted(item.logged_action_type_ids, key=str)
    return packed


def event(item: EventRecord) -> dict[str, Any]:
    """An Event."""
    return {"thingId": item.thing_id, "eventTypeId": item.event_type_id, "params": param_list(item.params)}


def descriptor(item: ThingDescriptor, translate: Translate = _same) -> dict[str, Any]:
    """A ThingDescriptor."""
    packed: dict[str, Any] = {
        "id": item.id,
        "thingClassId": item.thing_class_id,
        "title": translate(item.title),
        "description": translate(item.description),
        "params": param_list(item.params),
    }
    if item.thing_id is not None:
        packed["thingId"] = item.thing_id
    return packed


def browser_item(item: BrowserItem, translate: Translate = _same) -> dict[str, Any]:
    """A BrowserItem."""
    packed: dict[str, Any] = {
        "id": item.id,
        "displayName": translate(item.display_name),
        "description": translate(item.description),
        "icon": enum_name("BrowserIcon", item.icon),
        "thumbnail": item.thumbnail,
        "executable": item.executable,
        "browsable": item.browsable,
        "disabled": item.disabled,
        "actionTypeIds": list(item.action_type_ids),
    }
    if item.media_icon is not None:
        packed["mediaIcon"] = enum_name("MediaBrowserIcon", item.media_icon)
    return packed


def io_connection(item: IOConnection) -> dict[str, Any]:
    """An IOConnection."""
    return {
        "id": item.id,
        "inputThingId": item.input_thing_id,
        "inputStateTypeId": item.input_state_type_id,
        "outputThingId": item.output_thing_id,
        "outputStateTypeId": item.output_state_type_id,
        "inverted": item.inverted,
    }


def user_info(item: UserInfo) -> dict[str, Any]:
    """A UserInfo."""
    return {
        "username": item.username,
        "email": item.email,
        "displayName": item.display_name,
        "scopes": scopes_to_names(item.effective_scopes),
        "allowedThingIds": sorted(item.allowed_thing_ids, key=str),
    }


def token_info(item: TokenInfo) -> dict[str, Any]:
    """A TokenInfo (creation time in seconds since the epoch)."""
    return {
        "id": item.id,
        "username": item.username,
        "deviceName": item.device_name,
        "creationTime": int(item.created.timestamp()),
    }
