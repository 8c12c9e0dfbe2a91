"""The registry's event pruning runs from the hub's start (the door built or not) and stops with it."""

from __future__ import annotations

import asyncio
from typing import Any

from thinggate.api.registry.pruning import EventPruning


class CountingEvents:
    """Lifecycle events that count the prunes asked of them."""

    def __init__(self) -> None:
        self.asked: list[float] = []
        self.asked_once = asyncio.Event()

    async def prune(self, retention_days: float) -> int:
        self.asked.append(retention_days)
        self.asked_once.set()
        return 0


async def test_pruning_asks_at_start_with_the_retention_and_stops() -> None:
    events = CountingEvents()
    pruning = EventPruning(events, 3.5)  # type: ignore[arg-type]
    pruning.start()
    await asyncio.wait_for(events.asked_once.wait(), 5)
    assert events.asked == [3.5]
    await pruning.stop()
    await pruning.stop()  # twice is fine


async def test_a_failing_prune_is_logged_and_pruning_goes_on(caplog: Any) -> None:
    class Failing(CountingEvents):
        async def prune(self, retention_days: float) -> int:
            await super().prune(retention_days)
            raise OSError("the store is away")

    events = Failing()
    pruning = EventPruning(events, 1.0)  # type: ignore[arg-type]
    pruning.start()
    await asyncio.wait_for(events.asked_once.wait(), 5)
    await asyncio.sleep(0)
    assert pruning._task is not None and not pruning._task.done()
    await pruning.stop()
    assert "could not prune lifecycle events" in caplog.text
