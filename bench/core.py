"""Core benchmarks: adds/s, ExecuteAction -> StateChanged dispatches/s, memory per thing, start-up time.

Every figure is printed next to a baseline measured in the same run on the same machine, doing the
same I/O without the hub (bare SQLAlchemy inserts, a bare asyncio queue, a bare SELECT), and the
ratio between the two. Run: `.venv/bin/python bench/core.py [--things 100000]`.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import shutil
import tempfile
import time
import tracemalloc
import uuid
from pathlib import Path
from typing import Any

import _common  # noqa: F401  (puts this checkout first on sys.path, before thinggate is imported)
import sqlalchemy as sa

from thinggate.core.events import StateChanged
from thinggate.core.hub import Hub
from thinggate.core.security import SYSTEM
from thinggate.core.store import ThingRecord
from thinggate.integrations.virtual import VirtualIntegration
from thinggate.storage import open_store
from thinggate.storage.memory import MemoryStore


class NullStore(MemoryStore):
    """A store that keeps nothing: isolates the hub's own cost and memory."""

    async def save_thing(self, record: ThingRecord) -> None:
        return None

    async def save_states(self, values: list[tuple[uuid.UUID, uuid.UUID, Any]]) -> None:
        return None


def line(name: str, value: float, unit: str, baseline: float | None = None, baseline_name: str = "") -> None:
    """Print one result, with its baseline and the ratio when there is one."""
    text = f"{name:<52} {value:>12,.1f} {unit}"
    if baseline:
        text += f"   baseline ({baseline_name}) {baseline:,.1f} {unit}   ratio {value / baseline:.2f}"
    print(text, flush=True)


def make_hub(store: Any) -> tuple[Hub, VirtualIntegration]:
    """A hub with the virtual integration and no auto things."""
    virtual = VirtualIntegration(auto_things=False)
    hub = Hub(store=store)
    hub.register(virtual)
    return hub, virtual


async def bench_adds(workdir: Path, count: int) -> None:
    """Things added per second through Hub.add_thing, durably in SQLite, against bare inserts."""
    store = await open_store(None, workdir / "adds")
    hub, virtual = make_hub(store)
    await hub.start()
    await hub.wait_until_set_up()
    light = virtual.thing_class_named("dimmableLight")
    started = time.perf_counter()
    for number in range(count):
        result = await hub.add_thing(SYSTEM, name=f"light {number}", thing_class_id=light.id)
        assert result.ok, result
    hub_rate = count / (time.perf_counter() - started)
    await hub.stop()
    await store.close()

    # Baseline: the same durable write (one committed row per thing) with bare SQLAlchemy.
    engine = sa.create_engine(f"sqlite:///{workdir / 'baseline-adds.db'}")
    with engine.begin() as connection:
        connection.exec_driver_sql("PRAGMA journal_mode=WAL")
        connection.exec_driver_sql("CREATE TABLE things (id TEXT PRIMARY KEY, name TEXT, params TEXT)")
    started = time.perf_counter()
    with engine.connect() as connection:
        connection.exec_driver_sql("PRAGMA synchronous=FULL")
        for number in range(count):
            connection.exec_driver_sql(
                "INSERT INTO things VALUES (?, ?, ?)", (str(uuid.uuid4()), f"light {number}", "{}")
            )
            connection.commit()
    baseline_rate = count / (time.perf_counter() - started)
    engine.dispose()
    line("things added per second (SQLite, durable)", hub_rate, "/s", baseline_rate, "bare committed INSERT")


async def bench_dispatch(count: int) -> None:
    """ExecuteAction -> StateChanged round trips per second in process, against a bare queue."""
    hub, virtual = make_hub(NullStore())
    await hub.start()
    await hub.wait_until_set_up()
    light = virtual.thing_class_named("light")
    thing_id = (await hub.add_thing(SYSTEM, name="bench", thing_class_id=light.id)).value
    power = light.state_type_named("power")
    assert thing_id is not None and power is not None
    subscription = hub.bus.subscribe("bench", maxsize=count + 10)
    started = time.perf_counter()
    for number in range(count):
        result = await hub.execute_action(SYSTEM, thing_id, power.id, [(power.id, number % 2 == 0)])
        assert result.ok
        # The hub publishes StateChanged, then ActionExecuted: take both.
        assert isinstance(subscription.queue.get_nowait(), StateChanged)
        subscription.queue.get_nowait()
    hub_rate = count / (time.perf_counter() - started)
    await hub.stop()

    queue: asyncio.Queue[StateChanged] = asyncio.Queue()
    started = time.perf_counter()
    for number in range(count):
        queue.put_nowait(StateChanged(thing_id, power.id, number % 2 == 0, None, None, None))
        await asyncio.sleep(0)  # the hub call above awaits too: give the baseline the same loop turn
        queue.get_nowait()
    baseline_rate = count / (time.perf_counter() - started)
    line("ExecuteAction -> StateChanged per second", hub_rate, "/s", baseline_rate, "bare asyncio queue")


async def bench_memory(count: int) -> None:
    """Memory the hub holds per thing (with its states), measured with tracemalloc."""
    hub, virtual = make_hub(NullStore())
    await hub.start()
    await hub.wait_until_set_up()
    light = virtual.thing_class_named("dimmableLight")
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.take_snapshot()
    for number in range(count):
        await hub.add_thing(SYSTEM, name=f"light {number}", thing_class_id=light.id)
    gc.collect()
    after = tracemalloc.take_snapshot()
    tracemalloc.stop()
    grown = sum(stat.size_diff for stat in after.compare_to(before, "filename"))
    per_thing = grown / count
    line(f"memory per thing, {count:,} dimmable lights (goal < 2048)", per_thing, "bytes")
    await hub.stop()


async def bench_startup(workdir: Path, count: int) -> None:
    """Start-up time with `count` things in SQLite (until every thing is set up), against a bare SELECT."""
    data_dir = workdir / "startup"
    store = await open_store(None, data_dir)
    virtual = VirtualIntegration(auto_things=False)
    light = virtual.thing_class_named("dimmableLight")
    records = [
        ThingRecord(
            id=uuid.uuid4(),
            thing_class_id=light.id,
            plugin_id=light.plugin_id,
            name=f"light {number}",
            params={},
            settings={},
            room=f"room {number % 50}",
        )
        for number in range(count)
    ]
    await store.save_things(records)
    states = [(record.id, st.id, st.default_value) for record in records for st in light.state_types]
    await store.save_states(states)
    await store.close()

    started = time.perf_counter()
    store = await open_store(None, data_dir)
    hub, _ = make_hub(store)
    await hub.start()
    await hub.wait_until_set_up()
    elapsed = time.perf_counter() - started
    assert len(hub.things) == count
    await hub.stop()
    await store.close()

    engine = sa.create_engine(f"sqlite:///{data_dir / 'thinggate.db'}")
    started = time.perf_counter()
    with engine.connect() as connection:
        rows = connection.exec_driver_sql("SELECT * FROM things").fetchall()
        state_rows = connection.exec_driver_sql("SELECT * FROM thing_states").fetchall()
    baseline = time.perf_counter() - started
    engine.dispose()
    assert len(rows) == count and len(state_rows) == len(states)
    line(f"start-up with {count:,} things in SQLite (goal < 10 s)", elapsed, "s", baseline, "bare SELECT of rows")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--things", type=int, default=100_000, help="things for the memory and start-up runs")
    parser.add_argument("--adds", type=int, default=2_000, help="things to add through the durable path")
    parser.add_argument("--actions", type=int, default=50_000, help="actions to dispatch")
    arguments = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="thinggate-bench-"))
    try:
        await bench_adds(workdir, arguments.adds)
        await bench_dispatch(arguments.actions)
        await bench_memory(arguments.things)
        await bench_startup(workdir, arguments.things)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    asyncio.run(main())
