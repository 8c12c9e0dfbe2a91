"""History retention: the hub deletes entries past the retention at start, then periodically, in bounded chunks."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event

from tests.storage.backends import ALL_BACKENDS, SQL_BACKENDS, new_id
from thinggate.core.hub import Hub
from thinggate.core.retention import HistoryRetention
from thinggate.core.store import HistoryEntry, Store
from thinggate.storage import SqlStore, open_store
from thinggate.storage.memory import MemoryStore

NOW = datetime.now(UTC)
KEEP = timedelta(days=30)


@pytest.fixture
async def history_store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Store]:
    """An open store of the backend the test is parametrised with."""
    opened: Store
    if request.param == "memory":
        opened = MemoryStore()
    else:
        url = request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "postgres_url")
        opened = await open_store(url, tmp_path)
    try:
        yield opened
    finally:
        await opened.close()


def entries(thing_id: uuid.UUID, age: timedelta, count: int) -> list[HistoryEntry]:
    """`count` readings of one thing, `age` old and older by a second each."""
    type_id = uuid.UUID(int=7)
    return [HistoryEntry(NOW - age - timedelta(seconds=n), thing_id, "state", type_id, n) for n in range(count)]


async def kept(store: Store, thing_id: uuid.UUID) -> int:
    """How many entries of a thing the store holds."""
    return len(await store.load_history(thing_id, limit=1_000_000))


async def started_hub(store: Store, retention: timedelta | None, **settings: Any) -> Hub:
    """A started hub on `store` with a history retention (its chunk or interval lowered by `settings`)."""
    hub = Hub(store=store, history_retention=retention)
    for name, value in settings.items():
        assert hub.history_retention is not None
        setattr(hub.history_retention, name, value)
    await hub.start()
    return hub


@pytest.mark.parametrize("history_store", ALL_BACKENDS, indirect=True)
async def test_history_past_the_retention_is_deleted_when_the_hub_starts(history_store: Store) -> None:
    sensor, other = new_id(), new_id()
    await history_store.append_history(entries(sensor, KEEP + timedelta(days=1), 5) + entries(sensor, KEEP / 2, 3))
    await history_store.append_history(entries(other, KEEP * 10, 4) + entries(other, timedelta(hours=1), 2))

    hub = await started_hub(history_store, KEEP)
    try:
        assert hub.history_retention is not None
        await hub.history_retention.wait_for_pass(1)
        assert (await kept(history_store, sensor), await kept(history_store, other)) == (3, 2)
    finally:
        await hub.stop()


async def test_pruning_runs_again_every_interval() -> None:
    store = MemoryStore()
    sensor = new_id()
    hub = await started_hub(store, KEEP, interval=0.01)
    try:
        assert hub.history_retention is not None
        await hub.history_retention.wait_for_pass(1)
        # Entries that aged past the retention while the hub ran (here: written old).
        await store.append_history(entries(sensor, KEEP * 2, 4) + entries(sensor, KEEP / 3, 1))
        passes = hub.history_retention.passes
        await hub.history_retention.wait_for_pass(passes + 2)  # one that began after the write
        assert await kept(store, sensor) == 1
    finally:
        await hub.stop()


@pytest.mark.parametrize("history_store", ALL_BACKENDS, indirect=True)
async def test_without_a_retention_history_is_kept_forever(history_store: Store) -> None:
    sensor = new_id()
    await history_store.append_history(entries(sensor, timedelta(days=365 * 40), 3) + entries(sensor, KEEP * 2, 2))
    hub = await started_hub(history_store, None)
    try:
        assert hub.history_retention is None
    finally:
        await hub.stop()
    assert await kept(history_store, sensor) == 5


@pytest.fixture
def deleted_per_transaction(history_store: Store) -> Iterator[list[int]]:
    """History rows deleted in each committed transaction of the SQL store, in commit order."""
    assert isinstance(history_store, SqlStore)
    engine = history_store.engine.sync_engine
    committed: list[int] = []
    open_counts: dict[int, int] = {}

    def executed(connection: Any, cursor: Any, statement: str, *_: Any) -> None:
        if statement.lstrip().upper().startswith("DELETE FROM HISTORY"):
            open_counts[id(connection)] = open_counts.get(id(connection), 0) + cursor.rowcount

    def commit(connection: Any) -> None:
        count = open_counts.pop(id(connection), None)
        if count is not None:
            committed.append(count)

    event.listen(engine, "after_cursor_execute", executed)
    event.listen(engine, "commit", commit)
    try:
        yield committed
    finally:
        event.remove(engine, "after_cursor_execute", executed)
        event.remove(engine, "commit", commit)


@pytest.mark.parametrize("history_store", SQL_BACKENDS, indirect=True)
async def test_pruning_deletes_in_bounded_transactions_oldest_first(
    history_store: Store, deleted_per_transaction: list[int]
) -> None:
    sensor = new_id()
    await history_store.append_history(entries(sensor, KEEP + timedelta(days=1), 2050) + entries(sensor, KEEP / 2, 7))

    hub = await started_hub(history_store, KEEP, chunk=500)
    try:
        assert hub.history_retention is not None
        await hub.history_retention.wait_for_pass(1)
    finally:
        await hub.stop()
    # Each chunk its own transaction: the write lock is let go between them.
    assert deleted_per_transaction == [500, 500, 500, 500, 50]
    assert await kept(history_store, sensor) == 7


class GatedStore(MemoryStore):
    """A store in memory whose pruning waits at a gate: a chunk caught in the middle of its transaction."""

    def __init__(self) -> None:
        super().__init__()
        self.entered = asyncio.Event()
        self.gate = asyncio.Event()
        self.chunks = 0

    async def prune_history(self, older_than: datetime, *, limit: int | None = None) -> int:
        """Count the chunk, wait at the gate, then prune."""
        self.chunks += 1
        self.entered.set()
        await self.gate.wait()
        return await super().prune_history(older_than, limit=limit)


async def test_stopping_lets_the_chunk_under_way_finish_and_starts_no_other() -> None:
    store = GatedStore()
    sensor = new_id()
    await store.append_history(entries(sensor, KEEP * 2, 10))
    retention = HistoryRetention(store, KEEP, chunk=3)
    retention.start()
    await store.entered.wait()

    stopping = asyncio.create_task(retention.stop())
    for _ in range(5):
        await asyncio.sleep(0)
    assert not stopping.done()  # a transaction cut short could keep SQLite's write lock
    store.gate.set()
    await stopping
    assert store.chunks == 1
    assert await kept(store, sensor) == 7


def test_a_retention_that_cannot_work_is_refused() -> None:
    with pytest.raises(ValueError, match="must be positive"):
        HistoryRetention(MemoryStore(), timedelta(0))
    with pytest.raises(ValueError, match="at least one entry"):
        HistoryRetention(MemoryStore(), KEEP, chunk=0)
