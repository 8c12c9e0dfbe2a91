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


async def test_a_failing_prune_is_logged_and_pruning_goes_on(caplog: Any, monkeypatch: Any) -> None:
    class Failing(CountingEvents):
        def __init__(self) -> None:
            super().__init__()
            self.asked_twice = asyncio.Event()

        async def prune(self, retention_days: float) -> int:
            await super().prune(retention_days)
            if len(self.asked) == 2:
                self.asked_twice.set()
            raise OSError("the store is away")

    # An hour between prunes is a moment here: the prune after a failing one must come.
    monkeypatch.setattr("thinggate.api.registry.pruning.PRUNE_SECONDS", 0.01)
    events = Failing()
    pruning = EventPruning(events, 1.0)  # type: ignore[arg-type]
    pruning.start()
    await asyncio.wait_for(events.asked_twice.wait(), 5)
    await pruning.stop()
    assert caplog.text.count("could not prune lifecycle events") >= 2
