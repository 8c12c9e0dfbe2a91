"""KNX events: a scene launched, a button pressed, seen on the bus or raised by the hub itself."""

from __future__ import annotations

from typing import Any

from xknx.dpt import DPTArray, DPTBinary

from tests.hubtools import drain, next_event
from tests.integrations.knx.rig import FakeBus
from tests.integrations.knx.tools import add, run, type_id
from thinggate.core.events import EventTriggered
from thinggate.core.hub import Hub
from thinggate.integrations.knx import KnxIntegration


async def test_scene_launched_when_its_number_is_seen(knx_hub: tuple[Hub, KnxIntegration, FakeBus]) -> None:
    """Its own number raises `launched`; another number or a learn telegram does not."""
    hub, _knx, bus = knx_hub
    scene = await add(hub, "knxScene", address="6/0/1", sceneNumber=3)
    learnt = await add(hub, "knxScene", address="6/0/2", sceneNumber=3, dpt="18.001")
    subscription = hub.bus.subscribe("test")
    await bus.incoming("6/0/1", DPTArray((0x04,)))  # scene 5
    await bus.incoming("6/0/2", DPTArray((0x82,)))  # learn scene 3
    await bus.incoming("6/0/1", DPTArray((0x02,)))  # scene 3
    event = await next_event(subscription, EventTriggered, within=2)
    assert (event.event.thing_id, event.event.event_type_id) == (scene.id, type_id(scene, "launched"))
    await bus.incoming("6/0/2", DPTArray((0x02,)))  # recall scene 3 (18.001)
    event = await next_event(subscription, EventTriggered, within=2)
    assert event.event.thing_id == learnt.id
    assert not [e for e in drain(subscription) if isinstance(e, EventTriggered)]


async def test_button_pressed_only_for_its_value(knx_hub: tuple[Hub, KnxIntegration, FakeBus]) -> None:
    """A telegram with the button's value raises `pressed`; the other value does not."""
    hub, _knx, bus = knx_hub
    button = await add(hub, "knxButton", address="7/0/1", value=1)
    events: list[Any] = []
    hub.bus.listen(lambda e: events.append(e) if isinstance(e, EventTriggered) else None)
    await bus.incoming("7/0/1", DPTBinary(0))
    assert events == []
    await bus.incoming("7/0/1", DPTBinary(1))
    assert [e.event.event_type_id for e in events] == [type_id(button, "pressed")]


async def test_own_launch_and_trigger_raise_their_events(knx_hub: tuple[Hub, KnxIntegration, FakeBus]) -> None:
    """The hub's own scene launch and button press are on the bus too: `launched` and `pressed` follow."""
    hub, _knx, _bus = knx_hub
    scene = await add(hub, "knxScene", address="6/0/1", sceneNumber=4)
    button = await add(hub, "knxButton", address="7/0/1")
    events: list[Any] = []
    hub.bus.listen(lambda e: events.append(e.event) if isinstance(e, EventTriggered) else None)
    assert (await run(hub, scene, "launch")).ok
    assert (await run(hub, button, "trigger")).ok
    assert [(e.thing_id, e.event_type_id) for e in events] == [
        (scene.id, type_id(scene, "launched")),
        (button.id, type_id(button, "pressed")),
    ]
