"""Deletes lifecycle events past their retention, at start and every hour, whether the door is built or not."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from thinggate.core.registry import LifecycleEvents

_LOG = logging.getLogger(__name__)

PRUNE_SECONDS = 3600.0
"""How often events past their retention are looked for."""


class EventPruning:
    """The hourly pruning of the event store's lifecycle events older than `retention_days`."""

    def __init__(self, events: LifecycleEvents, retention_days: float) -> None:
        self.events = events
        self.retention_days = retention_days
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Prune now and every PRUNE_SECONDS until `stop`."""
        self._task = asyncio.create_task(self._prune(), name="lifecycle-pruning")

    async def stop(self) -> None:
        """Stop pruning."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _prune(self) -> None:
        while True:
            try:
                pruned = await self.events.prune(self.retention_days)
                if pruned:
                    _LOG.info("registry: %d lifecycle event(s) past their retention deleted", pruned)
            except Exception:
                _LOG.warning("registry: could not prune lifecycle events", exc_info=True)
            await asyncio.sleep(PRUNE_SECONDS)
