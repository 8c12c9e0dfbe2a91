"""Readings through the hub: kept in history, the newest becoming a state change, read back by time."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta, timezone

from tests.hubtools import running_hub
from thinggate.core import events as ev
from thinggate.core.errors import ThingError
from thinggate.core.hub import Hub
from thinggate.core.model import Thing
from thinggate.core.readings import metric_type_id
from thinggate.core.scopes import Scope
from thinggate.core.security import SYSTEM, Principal
from thinggate.core.store import HistoryEntry
from thinggate.integrations.virtual import VirtualIntegration
from thinggate.storage.memory import MemoryStore

START = datetime(2024, 5, 1, 12, tzinfo=UTC)
DAY = timedelta(days=1)


async def add_sensor(hub: Hub, virtual: VirtualIntegration) -> tuple[Thing, uuid.UUID]:
    """A temperature sensor and its temperature state type id."""
    sensor_class = virtual.thing_class_named("temperatureSensor")
    result = await hub.add_thing(SYSTEM, name="probe", thing_class_id=sensor_class.id)
    assert result.ok and result.value is not None
    temperature = sensor_class.state_type_named("temperature")
    assert temperature is not None
    return hub.things[result.value], temperature.id


def reading(thing: Thing, type_id: uuid.UUID, minutes: float, value: object) -> HistoryEntry:
    """A reading `minutes` after START."""
    return HistoryEntry(START + timedelta(minutes=minutes), thing.id, "state", type_id, value)


async def test_the_newest_reading_becomes_the_state_and_all_are_kept(hub: Hub, virtual: VirtualIntegration) -> None:
    sensor, temperature = await add_sensor(hub, virtual)
    changes = hub.bus.subscribe("test")
    batch = [
        reading(sensor, temperature, 2, 21.5),
        reading(sensor, temperature, 0, 19.0),
        reading(sensor, temperature, 1, 20.0),
    ]

    result = await hub.record_readings(SYSTEM, batch)

    assert result.ok and result.value == 3
    assert sensor.states[temperature].value == 21.5
    changed = [event for event in _drain(changes) if isinstance(event, ev.StateChanged) and event.thing_id == sensor.id]
    assert [event.value for event in changed] == [21.5]  # one change for the batch, to its newest value
    kept = await hub.readings_between(SYSTEM, sensor.id, START, START + DAY)
    assert [entry.value for entry in kept.value or []] == [19.0, 20.0, 21.5]


async def test_an_older_reading_is_kept_but_does_not_turn_the_state_back(hub: Hub, virtual: VirtualIntegration) -> None:
    sensor, temperature = await add_sensor(hub, virtual)
    await hub.record_readings(SYSTEM, [reading(sensor, temperature, 10, 25.0)])
    await hub.record_readings(SYSTEM, [reading(sensor, temperature, 5, 15.0)])
    assert sensor.states[temperature].value == 25.0
    kept = await hub.readings_between(SYSTEM, sensor.id, START, START + DAY)
    assert [entry.value for entry in kept.value or []] == [15.0, 25.0]


async def test_after_a_restart_an_older_reading_still_does_not_turn_the_state_back(store: MemoryStore) -> None:
    async with running_hub(store, auto_things=False) as (hub, virtual):
        sensor, temperature = await add_sensor(hub, virtual)
        await hub.record_readings(SYSTEM, [reading(sensor, temperature, 10, 25.0)])
    async with running_hub(store, auto_things=False) as (hub, _virtual):
        await hub.record_readings(SYSTEM, [reading(hub.things[sensor.id], temperature, 5, 15.0)])
        assert hub.things[sensor.id].states[temperature].value == 25.0
        await hub.record_readings(SYSTEM, [reading(hub.things[sensor.id], temperature, 11, 26.0)])
        assert hub.things[sensor.id].states[temperature].value == 26.0


async def test_free_metrics_are_history_only_and_read_by_their_id(hub: Hub, virtual: VirtualIntegration) -> None:
    sensor, temperature = await add_sensor(hub, virtual)
    vibration = metric_type_id("vibration")
    assert vibration == metric_type_id("vibration") != metric_type_id("frequency")
    await hub.record_readings(
        SYSTEM,
        [
            reading(sensor, vibration, 1, 0.25),
            reading(sensor, temperature, 1, 20.0),
            reading(sensor, vibration, 2, 0.5),
        ],
    )
    only = await hub.readings_between(SYSTEM, sensor.id, START, START + DAY, type_ids=[vibration])
    assert [entry.value for entry in only.value or []] == [0.25, 0.5]
    assert sensor.states[temperature].value == 20.0


async def test_bounds_are_start_inclusive_end_exclusive_with_offsets(hub: Hub, virtual: VirtualIntegration) -> None:
    sensor, temperature = await add_sensor(hub, virtual)
    await hub.record_readings(SYSTEM, [reading(sensor, temperature, minute, float(minute)) for minute in range(6)])
    plus_five = timezone(timedelta(hours=5))
    found = await hub.readings_between(
        SYSTEM,
        str(sensor.id),
        (START + timedelta(minutes=1)).astimezone(plus_five),
        (START + timedelta(minutes=4)).astimezone(plus_five),
        limit=2,
    )
    assert [entry.value for entry in found.value or []] == [1.0, 2.0]


async def test_logged_states_of_the_hubs_own_devices_read_as_readings(hub: Hub, virtual: VirtualIntegration) -> None:
    sensor, temperature = await add_sensor(hub, virtual)
    await hub.set_state_logging(SYSTEM, sensor.id, temperature, True)
    before = datetime.now(UTC)
    hub.set_state(sensor.id, temperature, 17.5)  # the device reports it; the entry waits in the write-behind
    found = await hub.readings_between(SYSTEM, sensor.id, before - timedelta(seconds=1), datetime.now(UTC) + DAY)
    assert [(entry.type_id, entry.value) for entry in found.value or []] == [(temperature, 17.5)]


async def test_a_thing_the_principal_cannot_see_is_not_found_and_nothing_is_kept(
    hub: Hub, virtual: VirtualIntegration
) -> None:
    sensor, temperature = await add_sensor(hub, virtual)
    other, _ = await add_sensor(hub, virtual)
    guest = Principal(name="guest", scopes=Scope.CONTROL_THINGS, allowed_thing_ids=frozenset({other.id}))
    refused = await hub.record_readings(
        guest, [reading(other, temperature, 1, 30.0), reading(sensor, temperature, 1, 30.0)]
    )
    assert refused.error is ThingError.THING_NOT_FOUND
    assert (await hub.readings_between(SYSTEM, other.id, START, START + DAY)).value == []  # all or nothing
    assert (await hub.readings_between(guest, sensor.id, START, START + DAY)).error is ThingError.THING_NOT_FOUND
    assert (await hub.delete_readings(guest, sensor.id)).error is ThingError.THING_NOT_FOUND
    reader = Principal(name="reader", scopes=Scope.ACCESS_ALL_THINGS)
    assert (await hub.record_readings(reader, [reading(sensor, temperature, 1, 1.0)])).permission_denied


async def test_deleted_readings_are_gone_and_the_next_reading_competes_with_what_is_left(
    hub: Hub, virtual: VirtualIntegration
) -> None:
    sensor, temperature = await add_sensor(hub, virtual)
    await hub.record_readings(SYSTEM, [reading(sensor, temperature, minute, float(minute)) for minute in range(10)])
    deleted = await hub.delete_readings(SYSTEM, sensor.id, START + timedelta(minutes=5), START + DAY)
    assert deleted.value == 5
    await hub.record_readings(SYSTEM, [reading(sensor, temperature, 7, 77.0)])
    assert sensor.states[temperature].value == 77.0  # newer than every reading history still holds


async def test_removing_a_thing_removes_its_readings(hub: Hub, virtual: VirtualIntegration) -> None:
    sensor, temperature = await add_sensor(hub, virtual)
    await hub.record_readings(SYSTEM, [reading(sensor, temperature, 1, 1.0)])
    assert (await hub.remove_thing(SYSTEM, sensor.id)).ok
    assert await hub.store.load_history(sensor.id) == []


def _drain(subscription: object) -> list[object]:
    queue = subscription.queue  # type: ignore[attr-defined]
    drained = []
    while not queue.empty():
        drained.append(queue.get_nowait())
    return drained


class CountingStore(MemoryStore):
    """A store in memory that counts the times the hub asks history for the latest reading times."""

    def __init__(self) -> None:
        super().__init__()
        self.asked = 0

    async def latest_history_time(self, thing_id: uuid.UUID, type_id: uuid.UUID) -> datetime | None:
        """Counted."""
        self.asked += 1
        return await super().latest_history_time(thing_id, type_id)

    async def latest_history_times(
        self, keys: Sequence[tuple[uuid.UUID, uuid.UUID]]
    ) -> dict[tuple[uuid.UUID, uuid.UUID], datetime]:
        """Counted."""
        self.asked += 1
        return await super().latest_history_times(keys)


async def test_an_upload_of_many_new_sensors_asks_history_once_for_their_latest_times() -> None:
    store = CountingStore()
    async with running_hub(store, auto_things=False) as (hub, virtual):
        sensors = [await add_sensor(hub, virtual) for _ in range(10)]
        upload = [reading(sensor, temperature, 1, 20.0) for sensor, temperature in sensors]
        assert (await hub.record_readings(SYSTEM, upload)).ok
        assert store.asked == 1
        assert (await hub.record_readings(SYSTEM, upload)).ok
        assert store.asked == 1  # known now
        assert all(sensor.states[temperature].value == 20.0 for sensor, temperature in sensors)


async def test_a_reading_of_a_logged_state_is_kept_once_with_its_own_time(
    hub: Hub, virtual: VirtualIntegration
) -> None:
    sensor, temperature = await add_sensor(hub, virtual)
    assert temperature in sensor.logged_state_type_ids  # the house's sensors log their readings
    await hub.record_readings(SYSTEM, [reading(sensor, temperature, 10, 25.0)])
    assert sensor.states[temperature].value == 25.0
    history = (await hub.history(SYSTEM, sensor.id, temperature)).value or []
    # Once, with the reading's time: not a second time stamped when it arrived (the simulation's own
    # wandering readings may be there beside it).
    kept = [entry.timestamp for entry in history if entry.value == 25.0]
    assert kept == [START + timedelta(minutes=10)]
