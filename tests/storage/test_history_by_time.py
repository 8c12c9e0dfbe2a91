"""History read, deleted and pruned by time: the readings the sensor-data door stores and queries."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta, timezone

from tests.storage.backends import all_backends, new_id
from thinggate.core.store import HistoryEntry, Store, ThingRecord

START = datetime(2024, 3, 1, tzinfo=UTC)


def readings(thing_id: uuid.UUID, type_id: uuid.UUID, count: int, *, step: float = 60.0) -> list[HistoryEntry]:
    """`count` readings of one metric, `step` seconds apart from START."""
    return [
        HistoryEntry(START + timedelta(seconds=n * step), thing_id, "state", type_id, float(n)) for n in range(count)
    ]


@all_backends()
async def test_between_is_start_inclusive_end_exclusive_in_time_order(store: Store) -> None:
    sensor, other = new_id(), new_id()
    temperature, humidity = new_id(), new_id()
    ours = readings(sensor, temperature, 10)
    # Uploaded out of order, in two batches, with another thing's and another metric's readings between.
    await store.append_history(list(reversed(ours[5:])) + readings(other, temperature, 3))
    await store.append_history(ours[:5] + readings(sensor, humidity, 2, step=30.0))

    found = await store.load_history_between(
        sensor, START + timedelta(minutes=2), START + timedelta(minutes=7), type_ids=[temperature]
    )
    assert [entry.value for entry in found] == [2.0, 3.0, 4.0, 5.0, 6.0]
    both = await store.load_history_between(sensor, START, START + timedelta(minutes=1))
    # Same-time readings come in the order they arrived (the batch with humidity came later).
    assert [(entry.type_id, entry.value) for entry in both] == [(temperature, 0.0), (humidity, 0.0), (humidity, 1.0)]
    assert await store.load_history_between(sensor, START, START + timedelta(hours=1), limit=3) == [
        ours[0],
        *readings(sensor, humidity, 1),
        readings(sensor, humidity, 2, step=30.0)[1],
    ]
    assert await store.load_history_between(sensor, START, START, type_ids=[temperature]) == []
    assert await store.load_history_between(new_id(), START, START + timedelta(days=1)) == []


@all_backends()
async def test_between_takes_bounds_with_any_utc_offset(store: Store) -> None:
    sensor, metric = new_id(), new_id()
    await store.append_history(readings(sensor, metric, 5))
    plus_two = timezone(timedelta(hours=2))
    found = await store.load_history_between(
        sensor, (START + timedelta(minutes=1)).astimezone(plus_two), (START + timedelta(minutes=3)).astimezone(plus_two)
    )
    assert [entry.value for entry in found] == [1.0, 2.0]
    assert all(entry.timestamp.utcoffset() == timedelta(0) for entry in found)


@all_backends()
async def test_paging_by_time_loses_and_repeats_nothing(store: Store) -> None:
    sensor, metric = new_id(), new_id()
    stored = readings(sensor, metric, 2500, step=1.0)
    for first in range(0, len(stored), 1000):
        await store.append_history(stored[first : first + 1000])
    seen: list[HistoryEntry] = []
    since = START
    while True:
        page = await store.load_history_between(sensor, since, START + timedelta(days=1), limit=700)
        if not page:
            break
        seen.extend(page)
        since = page[-1].timestamp + timedelta(microseconds=1)
    assert seen == stored


@all_backends()
async def test_latest_time_is_per_thing_and_type(store: Store) -> None:
    sensor, metric, other_metric = new_id(), new_id(), new_id()
    assert await store.latest_history_time(sensor, metric) is None
    await store.append_history(list(reversed(readings(sensor, metric, 4))) + readings(sensor, other_metric, 9))
    assert await store.latest_history_time(sensor, metric) == START + timedelta(minutes=3)
    assert await store.latest_history_time(sensor, other_metric) == START + timedelta(minutes=8)


@all_backends()
async def test_delete_by_range_by_timestamps_and_all(store: Store) -> None:
    sensor, other, metric = new_id(), new_id(), new_id()
    await store.append_history(readings(sensor, metric, 10) + readings(other, metric, 10))
    day = START + timedelta(days=1)

    assert await store.delete_history(sensor, start=START + timedelta(minutes=2), end=START + timedelta(minutes=4)) == 2
    left = await store.load_history_between(sensor, START, day)
    assert [entry.value for entry in left] == [0.0, 1.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0]

    at = [START + timedelta(minutes=5), START + timedelta(minutes=9), START + timedelta(minutes=30)]
    assert await store.delete_history(sensor, timestamps=at) == 2
    left = await store.load_history_between(sensor, START, day)
    assert [entry.value for entry in left] == [0.0, 1.0, 4.0, 6.0, 7.0, 8.0]

    assert await store.delete_history(sensor) == 6
    assert await store.load_history_between(sensor, START, day) == []
    assert len(await store.load_history_between(other, START, day)) == 10  # another thing's are kept


@all_backends()
async def test_prune_deletes_only_older_entries(store: Store) -> None:
    sensor, metric = new_id(), new_id()
    await store.append_history(readings(sensor, metric, 10))
    assert await store.prune_history(START + timedelta(minutes=7)) == 7
    left = await store.load_history_between(sensor, START, START + timedelta(days=1))
    assert [entry.value for entry in left] == [7.0, 8.0, 9.0]


@all_backends()
async def test_deleting_a_thing_deletes_its_history(store: Store) -> None:
    plugin, thing_class = new_id(), new_id()
    sensor = ThingRecord(new_id(), thing_class, plugin, "sensor", {}, {})
    kept = ThingRecord(new_id(), thing_class, plugin, "kept", {}, {})
    await store.save_thing(sensor)
    await store.save_thing(kept)
    metric = new_id()
    await store.append_history(readings(sensor.id, metric, 3) + readings(kept.id, metric, 3))
    await store.delete_things([sensor.id])
    assert await store.load_history(sensor.id) == []
    assert len(await store.load_history(kept.id)) == 3


@all_backends()
async def test_prune_with_a_limit_deletes_only_that_many_of_the_oldest(store: Store) -> None:
    sensor, metric = new_id(), new_id()
    stored = readings(sensor, metric, 10)
    await store.append_history(list(reversed(stored)))  # arrival order is not time order
    cutoff = START + timedelta(minutes=7)

    assert await store.prune_history(cutoff, limit=3) == 3
    left = await store.load_history_between(sensor, START, START + timedelta(days=1))
    assert [entry.value for entry in left] == [3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0]
    assert await store.prune_history(cutoff, limit=3) == 3
    assert await store.prune_history(cutoff, limit=3) == 1  # fewer than the limit: nothing older is left
    assert await store.prune_history(cutoff, limit=3) == 0
    left = await store.load_history_between(sensor, START, START + timedelta(days=1))
    assert [entry.value for entry in left] == [7.0, 8.0, 9.0]


@all_backends()
async def test_between_takes_more_types_than_a_statement_has_parameters(store: Store) -> None:
    sensor, metric = new_id(), new_id()
    await store.append_history(readings(sensor, metric, 3) + readings(sensor, new_id(), 3))
    # SQLite and asyncpg take at most 32,766 / 32,767 bound parameters in one statement.
    asked = [uuid.UUID(int=number) for number in range(40_000)] + [metric]
    found = await store.load_history_between(sensor, START, START + timedelta(days=1), type_ids=asked)
    assert found == readings(sensor, metric, 3)
    assert await store.load_history_between(sensor, START, START + timedelta(days=1), type_ids=[]) == []


@all_backends()
async def test_latest_times_of_many_things_and_types_come_in_one_answer(store: Store) -> None:
    sensor, other, metric, other_metric = new_id(), new_id(), new_id(), new_id()
    await store.append_history(list(reversed(readings(sensor, metric, 4))) + readings(sensor, other_metric, 9))
    await store.append_history(readings(other, metric, 2))
    never = (new_id(), metric)
    asked = [(sensor, metric), (sensor, other_metric), (other, metric), (other, other_metric), never]
    assert await store.latest_history_times(asked) == {
        (sensor, metric): START + timedelta(minutes=3),
        (sensor, other_metric): START + timedelta(minutes=8),
        (other, metric): START + timedelta(minutes=1),
    }
    assert all(moment.utcoffset() == timedelta(0) for moment in (await store.latest_history_times(asked)).values())
    assert await store.latest_history_times([]) == {}
