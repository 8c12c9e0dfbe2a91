"""hub.items.list, hub.item.value.set, hub.item.value.percent.apply and the dictionary methods."""

from __future__ import annotations

import asyncio
import math
import re
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import msgspec
from msgspec import UNSET

from thinggate.api.ezlo import errors, scales
from thinggate.api.ezlo.errors import EzloError
from thinggate.api.ezlo.item_index import Item
from thinggate.api.ezlo.params import (
    DictionaryAddParams,
    DictionaryElement,
    DictionaryRemoveParams,
    DictionarySetParams,
    ItemsListParams,
    ItemValueSetParams,
    PercentApplyParams,
)
from thinggate.core.security import Principal

if TYPE_CHECKING:
    from thinggate.api.ezlo.session import Door, EzloSession

Params = dict[str, Any]

_NUMERIC_TYPES = frozenset({"int", "float"}) | frozenset(scales.SCALES)


@dataclass(frozen=True, slots=True)
class Command:
    """A core action a request resolves to: which thing, which action, with which params."""

    thing_id: uuid.UUID
    action_type_id: uuid.UUID
    params: tuple[tuple[uuid.UUID, Any], ...]


# -- hub.items.list ----------------------------------------------------------------------------


async def items_list(door: Door, session: EzloSession, params: ItemsListParams) -> Params:
    """Items of every device, or of the devices in `deviceIds` (absent or [] means all)."""
    device_ids = params.device_ids
    principal = session.require_principal()
    if device_ids:
        things = [door.index.devices.get(device) for device in dict.fromkeys(device_ids)]
        chosen = [
            thing for thing in things if thing is not None and door.hub.visible_thing(principal, thing.id) is not None
        ]
    else:
        chosen = door.hub.visible_things(principal)
    by_thing = door.index.by_thing
    return {"items": [item.json() for thing in chosen for item in by_thing.get(thing.id, ())]}


# -- hub.item.value.set ------------------------------------------------------------------------


def _number(value: Any, item: Item) -> float:
    # node-red-contrib-ezlo sends values of scalable types as JSON strings.
    if isinstance(value, str) and item.value_type in scales.SCALES:
        try:
            value = float(value)
        except ValueError:
            pass
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise errors.invalid_type(f"item {item.id} ({item.name}) takes a number, not {value!r}")
    return float(value)


def coerce(item: Item, value: Any, scale: str | None) -> Any:
    """The thinggate value for an Ezlo value (in `scale`, if given) set on `item`."""
    value_type = item.value_type
    if scale is not None:
        if item.spec.scale is None:
            raise errors.invalid_scale(f"item {item.id} ({item.name}) has no scale; {scale!r} cannot be used")
    if value_type == "bool":
        if not isinstance(value, bool):
            raise errors.invalid_type(f"item {item.id} ({item.name}) takes true or false, not {value!r}")
        return value
    if value_type == "int":
        number = _number(value, item)
        if not number.is_integer():
            raise errors.invalid_type(f"item {item.id} ({item.name}) takes an integer, not {value!r}")
        return int(number)
    if value_type in _NUMERIC_TYPES:
        number = _number(value, item)
        if scale is not None and item.spec.scale is not None:
            try:
                number = scales.convert(number, value_type=value_type, from_scale=scale, to_scale=item.spec.scale)
            except scales.ScaleError as exc:
                raise errors.invalid_scale(str(exc)) from None
            # 70 °F is 21.11 °C: a converted value lands on the device's resolution.
            step = item.state_type.step_size if item.state_type is not None else None
            number = round(round(number / step) * step, 6) if step else round(number, 2)
        return number
    if value_type == "token":
        if not isinstance(value, str):
            raise errors.invalid_type(f"item {item.id} ({item.name}) takes a token, not {value!r}")
        enum = item.enum or ()
        if enum and value not in enum:
            raise errors.out_of_range("value", f"{value!r} is not one of {list(enum)}")
        return item.spec.codec.from_ezlo(value) if item.spec.codec is not None else value
    if value_type == "string":
        if not isinstance(value, str):
            raise errors.invalid_type(f"item {item.id} ({item.name}) takes a string, not {value!r}")
        return value
    raise errors.invalid_type(f"items of value type {value_type} cannot be set with hub.item.value.set")


def command_for(item: Item, value: Any, scale: str | None) -> Command:
    """The core action that sets `item` to `value`."""
    thing = item.thing
    if item.spec.action is not None:
        action_type = thing.thing_class.action_type_named(item.spec.action)
        if action_type is None:  # the item table only lists actions the class has
            raise errors.unknown_error(f"{thing.name} cannot {item.spec.action}")
        return Command(thing.id, action_type.id, ())
    if item.state_type is None or not item.has_setter:
        raise errors.wrong_params("_id", f"item {item.id} ({item.name}) has no setter")
    converted = coerce(item, value, scale)
    return Command(thing.id, item.state_type.id, ((item.state_type.id, converted),))


async def execute(door: Door, principal: Principal, item: Item, command: Command) -> None:
    """Run a command through the core; an Ezlo error if it failed."""
    result = await door.hub.execute_action(principal, command.thing_id, command.action_type_id, command.params)
    if result.failure is not None:
        raise errors.for_failure(result.failure, item_id=item.id)


async def item_value_set(door: Door, session: EzloSession, params: ItemValueSetParams) -> Params:
    """Set one item (`_id`), several to one value (`ids`), or several to their own values (`items`)."""
    targets: list[tuple[str, Any, str | None]]
    if params.items is not UNSET:
        targets = [(item_id, entry.value, entry.scale) for item_id, entry in params.items.items()]
    elif params.ids is not UNSET:
        if params.value is UNSET:
            raise errors.missing("value")
        targets = [(item_id, params.value, params.scale) for item_id in dict.fromkeys(params.ids)]
    else:
        if not params.id:
            raise errors.missing("_id")
        if params.value is UNSET:
            raise errors.missing("value")
        targets = [(params.id, params.value, params.scale)]
    principal = session.require_principal()
    # Every target is checked before any is changed: a bad one leaves all as they were.
    prepared = []
    for item_id, value, scale in targets:
        item = door.visible_item(session, item_id)
        prepared.append((item, command_for(item, value, scale)))
    if len(prepared) == 1:
        await execute(door, principal, *prepared[0])
        return {}
    outcomes = await asyncio.gather(
        *(execute(door, principal, item, command) for item, command in prepared), return_exceptions=True
    )
    for outcome in outcomes:
        if isinstance(outcome, BaseException):
            raise outcome
    return {}


# -- hub.item.value.percent.apply --------------------------------------------------------------


def _round_half_away(value: float) -> int:
    # The firmware's round(): halves go away from zero (Python's round() would go to even).
    return math.floor(abs(value) + 0.5) * (1 if value >= 0 else -1)


async def item_value_percent_apply(door: Door, session: EzloSession, params: PercentApplyParams) -> Params:
    """newValue = round(current + (max - min) * percent / 100), clamped to [min, max]."""
    percent = params.percent  # a whole number in -100..100 (params.PercentApplyParams)
    item = door.visible_item(session, params.id)
    value_type = item.value_type
    if (value_type != "int" and value_type not in scales.SCALES) or item.state_type is None:
        raise EzloError(
            errors.INVALID_PARAMS, "rpc.params.type.invalid", "Currently only items with type int are supported"
        )
    current = item.value()
    if isinstance(current, bool) or not isinstance(current, int | float):
        type_name = "null" if current is None else type(current).__name__
        raise errors.unknown_error(
            f"Value '{item.name}' has invalid type. Type '{type_name}' is not supported. Item id: {item.id}"
        )
    low, high = item.limits()
    if low is None or high is None:
        raise errors.unknown_error(f"Item associated with this id ({item.id}) has no minimal and maximal value fields")
    if not low <= current <= high:
        raise errors.unknown_error(
            f"Value '{item.name}' is not in valid range. Valid range is: [{low}, {high}]. Item id: {item.id}"
        )
    new_value = _round_half_away(current + (high - low) * percent / 100)
    new_value = max(low, min(high, new_value))
    new_value = int(new_value) if float(new_value).is_integer() else new_value
    principal = session.require_principal()
    await execute(door, principal, item, command_for(item, new_value, None))
    result: Params = {"newValue": new_value}
    if item.spec.scale is not None and value_type == "temperature":
        result.update({"scale": item.spec.scale, "valueType": value_type})
    return result


# -- hub.item.dictionary.value.add / set / remove ----------------------------------------------


def _dictionary_item(door: Door, session: EzloSession, item_id: str) -> Item:
    item = door.visible_item(session, item_id)
    if item.spec.dictionary is None:
        raise errors.wrong_params("_id", f"item {item.id} ({item.name}) is not a dictionary")
    return item


def _element(item: Item, element: DictionaryElement) -> dict[str, str]:
    dictionary = item.spec.dictionary
    assert dictionary is not None
    if element.type != dictionary.element_type:
        raise errors.wrong_params(
            "element.type", f"element.type must be {dictionary.element_type!r}, not {element.type!r}"
        )
    value = element.value
    if isinstance(value, str):  # node-red-contrib-ezlo sends structured values as JSON text
        try:
            value = msgspec.json.decode(value)
        except msgspec.DecodeError:
            pass
    if not isinstance(value, dict):
        raise errors.invalid_type("element.value must be an object {code, name, mode}")
    code, name, mode = value.get("code"), value.get("name", ""), value.get("mode", dictionary.code_modes[0])
    if not isinstance(code, str) or not isinstance(name, str):
        raise errors.invalid_type("element.value.code and element.value.name are strings")
    if not re.fullmatch(dictionary.code_restriction, code):
        raise errors.out_of_range("element.value.code", f"code must match {dictionary.code_restriction}")
    if mode not in dictionary.code_modes:
        raise errors.out_of_range("element.value.mode", f"mode must be one of {list(dictionary.code_modes)}")
    return {"code": code, "name": name}


def _dictionary_command(item: Item, action: str, **values: Any) -> Command:
    thing = item.thing
    action_type = thing.thing_class.action_type_named(action)
    if action_type is None:
        raise errors.unknown_error(f"{thing.name} cannot {action}")
    by_name = {param.name: param.id for param in action_type.param_types}
    return Command(thing.id, action_type.id, tuple((by_name[name], value) for name, value in values.items()))


async def dictionary_value_add(door: Door, session: EzloSession, params: DictionaryAddParams) -> Params:
    """Add an element under the first free key."""
    item = _dictionary_item(door, session, params.id)
    element = _element(item, params.element)
    dictionary = item.spec.dictionary
    assert dictionary is not None
    taken = set(item.value())
    if len(taken) >= dictionary.max_elements:
        raise errors.out_of_range("elementsMaxNumber", f"the dictionary holds {dictionary.max_elements} elements")
    key = next(slot for slot in range(1, dictionary.max_elements + 1) if str(slot) not in taken)
    command = _dictionary_command(item, dictionary.set_action, **{dictionary.key_param: key}, **element)
    await execute(door, session.require_principal(), item, command)
    return {}


async def dictionary_value_set(door: Door, session: EzloSession, params: DictionarySetParams) -> Params:
    """Replace the element under an existing key."""
    item = _dictionary_item(door, session, params.id)
    key = _existing_key(item, params.key)
    element = _element(item, params.element)
    dictionary = item.spec.dictionary
    assert dictionary is not None
    command = _dictionary_command(item, dictionary.set_action, **{dictionary.key_param: int(key)}, **element)
    await execute(door, session.require_principal(), item, command)
    return {}


async def dictionary_value_remove(door: Door, session: EzloSession, params: DictionaryRemoveParams) -> Params:
    """Remove the element under an existing key."""
    item = _dictionary_item(door, session, params.id)
    key = _existing_key(item, params.key)
    dictionary = item.spec.dictionary
    assert dictionary is not None
    command = _dictionary_command(item, dictionary.remove_action, **{dictionary.key_param: int(key)})
    await execute(door, session.require_principal(), item, command)
    return {}


def _existing_key(item: Item, key: str) -> str:
    if key not in item.value():
        raise EzloError(errors.INVALID_REQUEST, "rpc.params.notfound.key", "Bad params", f"no element with key {key!r}")
    return key
