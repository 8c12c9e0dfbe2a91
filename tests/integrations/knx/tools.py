"""Helpers shared by the KNX tests: add things by class name, run actions by name, show payloads."""

from __future__ import annotations

from typing import Any

from xknx.dpt import DPTArray, DPTBinary

from tests.hubtools import next_event
from thinggate.core.events import StateChanged
from thinggate.core.hub import Hub, Result
from thinggate.core.model import Thing
from thinggate.core.security import SYSTEM
from thinggate.integrations.knx.devices import CLASSES_BY_NAME


def wire(payload: DPTBinary | DPTArray) -> str:
    """A payload as knxtool groupsocketlisten shows it: "01" for 1-bit/6-bit, "0C 33" for bytes."""
    if isinstance(payload, DPTBinary):
        return f"{payload.value:02X}"
    return " ".join(f"{byte:02X}" for byte in payload.value)


def small(payload: DPTBinary | DPTArray) -> bool:
    """Whether the value travels in the APCI byte (1..6 bits) rather than as data bytes."""
    return isinstance(payload, DPTBinary)


async def add(hub: Hub, class_name: str, name: str = "", *, room: str = "", **params: Any) -> Thing:
    """Add a KNX thing by class name with params by name; fails the test if the hub refuses."""
    result = await add_result(hub, class_name, name, room=room, **params)
    assert result.ok, (result.error, result.message)
    assert result.value is not None
    return hub.things[result.value]


async def add_result(hub: Hub, class_name: str, name: str = "", *, room: str = "", **params: Any) -> Result[Any]:
    """What AddThing answers for a KNX thing by class name with params by name."""
    thing_class = CLASSES_BY_NAME[class_name]
    given = []
    for key, value in params.items():
        param_type = thing_class.param_type_named(key)
        assert param_type is not None, f"{class_name} has no param {key}"
        given.append((param_type.id, value))
    return await hub.add_thing(SYSTEM, name=name or class_name, thing_class_id=thing_class.id, params=given, room=room)


async def run(hub: Hub, thing: Thing, name: str, value: Any = None) -> Result[None]:
    """Execute an action by name; a state's action takes `value`."""
    action_type = thing.thing_class.action_type_named(name)
    assert action_type is not None, f"{thing.thing_class.name} has no action {name}"
    params = [(action_type.param_types[0].id, value)] if action_type.param_types else []
    return await hub.execute_action(SYSTEM, thing.id, action_type.id, params)


def type_id(thing: Thing, name: str) -> Any:
    """The id of a state, action or event type of the thing by name."""
    thing_class = thing.thing_class
    found = (
        thing_class.state_type_named(name) or thing_class.action_type_named(name) or thing_class.event_type_named(name)
    )
    assert found is not None, name
    return found.id


async def changed_to(hub: Hub, thing: Thing, name: str, value: Any, within: float = 5.0) -> None:
    """Wait until a state of the thing has `value` (at once if it has it already)."""
    subscription = hub.bus.subscribe(f"wait-{name}")
    try:
        if thing.state_value(name) == value:
            return
        state_type_id = type_id(thing, name)
        await next_event(
            subscription,
            StateChanged,
            lambda e: e.thing_id == thing.id and e.state_type_id == state_type_id and e.value == value,
            within=within,
        )
    finally:
        subscription.close()
