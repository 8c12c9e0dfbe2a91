"""The event bus: every change once, and a slow subscriber never blocks the hub."""

from __future__ import annotations

import asyncio
import logging
import uuid

import pytest

from tests.hubtools import drain, param_id
from thinggate.core.events import EventBus, StateChanged, ThingRemoved
from thinggate.core.hub import Hub
from thinggate.core.security import SYSTEM
from thinggate.integrations.virtual import VirtualIntegration
from thinggate.integrations.virtual.testbed import MOCK


def removed() -> ThingRemoved:
    return ThingRemoved(uuid.uuid4())


async def test_subscriber_receives_in_order() -> None:
    bus = EventBus()
    subscription = bus.subscribe("reader")
    events = [removed() for _ in range(3)]
    for event in events:
        bus.publish(event)
    assert [await subscription.get() for _ in events] == events


async def test_slow_subscriber_is_dropped_with_a_reason(caplog: pytest.LogCaptureFixture) -> None:
    bus = EventBus()
    slow = bus.subscribe("slow", maxsize=2)
    fast = bus.subscribe("fast", maxsize=100)
    published = [removed() for _ in range(5)]
    with caplog.at_level(logging.WARNING):
        for event in published:
            bus.publish(event)  # never waits, whatever the slow one does
    assert slow.closed and slow.close_reason == "fell behind"
    assert "slow" in caplog.text
    assert bus.subscriber_count == 1
    assert len(drain(fast)) == 5
    # The slow reader gets what was queued, then the end of its subscription.
    assert [await slow.get(), await slow.get()] == published[:2]
    received = [event async for event in slow]
    assert received == []


async def test_closing_wakes_a_waiting_reader() -> None:
    bus = EventBus()
    subscription = bus.subscribe("reader")
    reader = asyncio.create_task(subscription.get())
    await asyncio.sleep(0)
    subscription.close()
    assert await asyncio.wait_for(reader, 1) is None


async def test_a_failing_listener_does_not_stop_delivery() -> None:
    bus = EventBus()
    subscription = bus.subscribe("reader")

    def broken(_: object) -> None:
        raise RuntimeError("boom")

    bus.listen(broken)
    bus.publish(removed())
    assert len(drain(subscription)) == 1


async def test_every_state_change_is_published_exactly_once(hub: Hub, virtual: VirtualIntegration) -> None:
    assert virtual.test_control is not None
    added = await hub.add_thing(SYSTEM, name="m", thing_class_id=MOCK.id, params=[(param_id(MOCK, "httpport"), 1)])
    subscription = hub.bus.subscribe("test")
    virtual.test_control.set_state(added.value, "int", 5)
    virtual.test_control.set_state(added.value, "int", 5)  # unchanged: no event
    virtual.test_control.set_state(added.value, "int", 6)
    changes = [e for e in drain(subscription) if isinstance(e, StateChanged)]
    assert [c.value for c in changes] == [5, 6]


async def test_a_listener_for_some_kinds_hears_only_those() -> None:
    bus = EventBus()
    everything: list[object] = []
    states: list[object] = []
    bus.listen(everything.append)
    bus.listen(states.append, kinds=(StateChanged,))
    change = StateChanged(uuid.uuid4(), uuid.uuid4(), True, None, None, None)
    gone = removed()
    bus.publish(change)
    bus.publish(gone)
    assert everything == [change, gone]
    assert states == [change]


async def test_heard_says_whether_an_event_would_reach_anyone() -> None:
    bus = EventBus()
    assert not bus.heard(ThingRemoved)
    unlisten = bus.listen(lambda event: None, kinds=(StateChanged,))
    assert bus.heard(StateChanged) and not bus.heard(ThingRemoved)
    unlisten()
    assert not bus.heard(StateChanged)
    subscription = bus.subscribe("reader")  # a queue subscriber takes every kind
    assert bus.heard(ThingRemoved)
    subscription.close()
    assert not bus.heard(ThingRemoved)


async def test_the_bus_counts_events_published_and_those_a_slow_subscriber_lost() -> None:
    bus = EventBus()
    slow = bus.subscribe("slow", maxsize=2)
    fast = bus.subscribe("fast", maxsize=100)
    for _ in range(5):
        bus.publish(removed())
    # The third event overflowed the slow queue: that one is lost and the subscriber dropped with it;
    # the fourth and fifth were never meant for it any more.
    assert (bus.published, bus.dropped) == (5, 1)
    assert slow.closed and fast.queue.qsize() == 5
