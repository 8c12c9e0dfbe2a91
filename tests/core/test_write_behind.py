"""The write-behind of state values: a periodic write under way is finished, never cut short, at stop."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

from thinggate.core.writebehind import WriteBehind


class SlowStore:
    """Records state writes; the first one waits until released (a write in flight at stop)."""

    def __init__(self) -> None:
        self.release = asyncio.Event()
        self.started = asyncio.Event()
        self.finished: list[list[tuple[uuid.UUID, uuid.UUID, Any]]] = []
        self.cancelled = 0

    async def save_states(self, values: list[tuple[uuid.UUID, uuid.UUID, Any]]) -> None:
        """Write (slowly the first time)."""
        try:
            if not self.finished:
                self.started.set()
                await self.release.wait()
        except asyncio.CancelledError:
            self.cancelled += 1  # a transaction cut short: SQLite may keep its write lock
            raise
        self.finished.append(values)

    async def append_history(self, entries: list[Any]) -> None:
        """No history in this test."""


async def test_stop_waits_for_the_periodic_write_under_way_instead_of_cancelling_it() -> None:
    store = SlowStore()
    write_behind = WriteBehind(store)  # type: ignore[arg-type]
    thing, state = uuid.uuid4(), uuid.uuid4()
    write_behind.queue_state(thing, state, 1)
    write_behind.start(0.01)
    await asyncio.wait_for(store.started.wait(), 5)
    write_behind.queue_state(thing, state, 2)  # arrives while the first write is under way
    stopping = asyncio.create_task(write_behind.stop())
    await asyncio.sleep(0.05)
    assert not stopping.done()  # waiting for the write in flight
    store.release.set()
    await asyncio.wait_for(stopping, 5)
    assert store.cancelled == 0
    assert store.finished == [[(thing, state, 1)], [(thing, state, 2)]]
