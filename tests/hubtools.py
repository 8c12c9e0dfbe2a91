"""Helpers for tests that run a real hub with the virtual integration."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any, TypeVar

from thinggate.core.events import HubEvent, Subscription
from thinggate.core.hub import Hub, Timeouts
from thinggate.core.model import Thing, ThingClass
from thinggate.core.store import Store
from thinggate.integrations.virtual import VirtualIntegration

TIME_SCALE = 20.0
"""Simulated seconds per real second in tests: a 3 s push-button wait takes 0.15 s."""


@asynccontextmanager
async def running_hub(
    store: Store,
    *,
    auto_things: bool = True,
    timeouts: Timeouts | None = None,
    wait_for_setup: bool = True,
) -> AsyncIterator[tuple[Hub, VirtualIntegration]]:
    """A started hub with the virtual integration (test control on), stopped afterwards."""
    virtual = VirtualIntegration(time_scale=TIME_SCALE, test_control=True, auto_things=auto_things)
    hub = Hub(store=store, timeouts=timeouts)
    hub.register(virtual)
    await hub.start()
    if wait_for_setup:
        await asyncio.wait_for(hub.wait_until_set_up(), 30)
    try:
        yield hub, virtual
    finally:
        await hub.stop()


def param_id(thing_class: ThingClass, name: str) -> uuid.UUID:
    """Id of a thing param by name."""
    param_type = thing_class.param_type_named(name)
    assert param_type is not None, name
    return param_type.id


def state_id(thing_class: ThingClass, name: str) -> uuid.UUID:
    """Id of a state type by name."""
    state_type = thing_class.state_type_named(name)
    assert state_type is not None, name
    return state_type.id


def action_id(thing_class: ThingClass, name: str) -> uuid.UUID:
    """Id of an action type by name."""
    action_type = thing_class.action_type_named(name)
    assert action_type is not None, name
    return action_type.id


def action_param_id(thing_class: ThingClass, action_name: str, name: str) -> uuid.UUID:
    """Id of an action's param by name."""
    action_type = thing_class.action_type_named(action_name)
    assert action_type is not None
    return next(pt.id for pt in action_type.param_types if pt.name == name)


async def next_event(
    subscription: Subscription, kind: type[Any], predicate: Callable[[Any], bool] = lambda _: True, within: float = 10
) -> Any:
    """The next event of a kind that matches, skipping others; fails after `within` seconds."""

    async def wait() -> Any:
        while True:
            event = await subscription.get()
            if isinstance(event, kind) and predicate(event):
                return event

    return await asyncio.wait_for(wait(), within)


def drain(subscription: Subscription) -> list[HubEvent]:
    """Every event queued right now."""
    events: list[HubEvent] = []
    while not subscription.queue.empty():
        event = subscription.queue.get_nowait()
        if event is not None:
            events.append(event)
    return events


def things_named(hub: Hub, class_name: str) -> list[Thing]:
    """Things of a class given by name."""
    return [t for t in hub.things.values() if t.thing_class.name == class_name]


DoorT = TypeVar("DoorT")


def built_door(server: Any, name: str, kind: type[DoorT]) -> DoorT:
    """A deferred door of a started server as its first request assembled it (fails when none has yet)."""
    from thinggate.api.deferred import DeferredDoor

    deferred = server.doors[name]
    assert isinstance(deferred, DeferredDoor)
    door = deferred.built
    assert isinstance(door, kind), f"no request has reached the {name} door yet"
    return door


async def assembled_door(server: Any, name: str, kind: type[DoorT]) -> DoorT:
    """A deferred door of a started server, assembled now if no request has done it yet."""
    from thinggate.api.deferred import DeferredDoor

    deferred = server.doors[name]
    assert isinstance(deferred, DeferredDoor)
    door = await deferred.door()
    assert isinstance(door, kind)
    return door
