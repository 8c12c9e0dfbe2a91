"""Ezlo items and devices built from things, and the index that finds them by Ezlo id.

An item is one state (or one command) of a thing as the item table shows it. The parts of an
item's JSON that do not change with its value are built once per thing and kept, so that
listing 100,000 items costs little more than encoding them.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from thinggate.api.ezlo import ids, item_table
from thinggate.api.ezlo.item_table import ItemSpec
from thinggate.core.model import StateType, Thing


@dataclass(slots=True)
class Item:
    """One Ezlo item: a state or a command of a thing."""

    id: str
    device_id: str
    thing: Thing
    spec: ItemSpec
    state_type: StateType | None  # None: a command item
    static: dict[str, Any] = field(default_factory=dict)

    @property
    def name(self) -> str:
        """The item's name (its kind: `switch`, `dimmer`, `temp`, ...)."""
        return self.spec.name

    @property
    def value_type(self) -> str:
        """Ezlo value type (`bool`, `int`, `temperature`, `dictionary`, ...)."""
        return self.spec.value_type

    @property
    def has_setter(self) -> bool:
        """Whether `hub.item.value.set` may change it."""
        if self.spec.action is not None:
            return True
        return self.state_type is not None and self.state_type.writable and self.spec.dictionary is None

    @property
    def enum(self) -> tuple[str, ...] | None:
        """The tokens of a token item."""
        if self.value_type != "token":
            return None
        if self.spec.codec is not None:
            return self.spec.codec.tokens
        if self.state_type is not None and self.state_type.possible_values:
            return tuple(str(value) for value in self.state_type.possible_values)
        return ("press_1_time",) if self.spec.action else ()

    def limits(self) -> tuple[Any, Any]:
        """The state's current min and max (None where it has none)."""
        if self.state_type is None:
            return None, None
        state = self.thing.states.get(self.state_type.id)
        if state is None:
            return self.state_type.min_value, self.state_type.max_value
        return state.min_value, state.max_value

    def value(self) -> Any:
        """The value as Ezlo shows it."""
        if self.state_type is None:
            return "" if self.value_type == "token" else 0
        state = self.thing.states.get(self.state_type.id)
        raw = state.value if state is not None else self.state_type.default_value
        return self.to_ezlo(raw)

    def to_ezlo(self, raw: Any) -> Any:
        """A thinggate state value as this item's Ezlo value."""
        if self.spec.codec is not None:
            return self.spec.codec.to_ezlo(raw)
        if self.spec.dictionary is not None:
            return {
                str(key): {"code": element.get("code", ""), "name": element.get("name", ""), "mode": "enabled"}
                for key, element in sorted((raw or {}).items(), key=lambda pair: _slot_order(pair[0]))
            }
        if self.value_type == "int" and isinstance(raw, float) and raw.is_integer():
            return int(raw)
        return raw

    def json(self) -> dict[str, Any]:
        """The item object of `hub.items.list`."""
        value = self.value()
        result = dict(self.static)
        result["value"] = value
        result["valueFormatted"] = formatted(value, self.value_type)
        low, high = self.limits()
        if low is not None:
            result["minValue"] = low
        if high is not None:
            result["maxValue"] = high
        return result


def _slot_order(key: Any) -> tuple[int, str]:
    text = str(key)
    return (int(text), text) if text.isdigit() else (1 << 30, text)


def formatted(value: Any, value_type: str) -> str:
    """`valueFormatted`: the value as text (`true`, `21.5`, ``for dictionaries)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:.2f}".rstrip("0").rstrip(".") or "0"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, dict | list):
        return ""
    return "" if value is None else str(value)


def _static_item(item: Item, device_name: str) -> dict[str, Any]:
    static: dict[str, Any] = {
        "_id": item.id,
        "deviceId": item.device_id,
        "deviceName": device_name,
        "deviceArmed": False,
        "hasGetter": item.state_type is not None,
        "hasSetter": item.has_setter,
        "name": item.name,
        "show": item.spec.show,
        "valueType": item.value_type,
    }
    if item.spec.scale is not None:
        static["scale"] = item.spec.scale
    enum = item.enum
    if enum is not None:
        static["enum"] = list(enum)
    dictionary = item.spec.dictionary
    if dictionary is not None:
        static["elementType"] = dictionary.element_type
        static["elementsMaxNumber"] = dictionary.max_elements
        static["userCodeRestriction"] = dictionary.code_restriction
        static["userCodeModes"] = list(dictionary.code_modes)
    return static


def items_of(thing: Thing) -> list[Item]:
    """Every item of a thing, states first (in the class's order), then commands."""
    device = ids.device_id(thing.id)
    found: list[Item] = []
    for state_type in thing.thing_class.state_types:
        spec = item_table.state_item(thing.thing_class, state_type)
        if spec is not None:
            found.append(Item(ids.item_id(thing.id, str(state_type.id)), device, thing, spec, state_type))
    for action_name, spec in item_table.action_items(thing.thing_class):
        found.append(Item(ids.item_id(thing.id, action_name), device, thing, spec, None))
    for item in found:
        item.static = _static_item(item, thing.name)
    return found


def reachable(thing: Thing) -> bool:
    """Whether the device answers: set up, and connected where the thing says so."""
    if not thing.setup_complete:
        return False
    connected = thing.thing_class.state_type_named("connected")
    if connected is None:
        return True
    state = thing.states.get(connected.id)
    return bool(state.value) if state is not None else True


def device_json(thing: Thing, *, has_battery: bool) -> dict[str, Any]:
    """The device object of `hub.devices.list`."""
    kind = item_table.device_kind(thing.thing_class)
    return {
        "_id": ids.device_id(thing.id),
        "parentDeviceId": ids.device_id(thing.parent_id) if thing.parent_id else "",
        "category": kind.category,
        "subcategory": kind.subcategory,
        "deviceTypeId": str(thing.thing_class.id),
        "gatewayId": ids.gateway_id(thing.plugin_id),
        "name": thing.name,
        "type": kind.device_type,
        "batteryPowered": has_battery,
        "reachable": reachable(thing),
        "armed": False,
        "persistent": True,
        "roomId": ids.room_id(thing.room) if thing.room else "",
        "info": {"manufacturer": "thinggate", "model": thing.thing_class.display_name},
        "serviceNotification": False,
        "security": "no",
        "ready": thing.setup_complete,
        "status": "idle" if thing.setup_complete else "broken",
    }


class ItemIndex:
    """Every item and device by Ezlo id, kept in step with the hub's things."""

    def __init__(self) -> None:
        self.items: dict[str, Item] = {}
        self.devices: dict[str, Thing] = {}
        self.by_thing: dict[uuid.UUID, list[Item]] = {}
        self.by_state: dict[tuple[uuid.UUID, uuid.UUID], Item] = {}

    def add(self, thing: Thing) -> list[Item]:
        """Index a thing's items (replacing what was indexed for it)."""
        self.remove(thing.id)
        found = items_of(thing)
        self.devices[ids.device_id(thing.id)] = thing
        self.by_thing[thing.id] = found
        for item in found:
            self.items[item.id] = item
            if item.state_type is not None:
                self.by_state[(thing.id, item.state_type.id)] = item
        return found

    def remove(self, thing_id: uuid.UUID) -> list[Item]:
        """Forget a thing's items; answers them."""
        gone = self.by_thing.pop(thing_id, [])
        self.devices.pop(ids.device_id(thing_id), None)
        for item in gone:
            self.items.pop(item.id, None)
            if item.state_type is not None:
                self.by_state.pop((thing_id, item.state_type.id), None)
        return gone

    def device_json(self, thing: Thing) -> dict[str, Any]:
        """The device object of a thing."""
        has_battery = any(item.name in ("battery", "battery_low") for item in self.by_thing.get(thing.id, ()))
        return device_json(thing, has_battery=has_battery)


def now_ms() -> int:
    """`fwTimestampMs`: wall-clock milliseconds."""
    return time.time_ns() // 1_000_000
