"""History retention: entries older than the retention period are deleted, in bounded chunks.

The hub prunes when it starts and then every `interval` seconds. Each chunk of at most `chunk`
entries is its own short transaction, so that pruning millions of rows never holds SQLite's one
write lock for long: uploads and state writes queued meanwhile go in between two chunks.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from thinggate.core.store import Store

_LOG = logging.getLogger(__name__)


def _now() -> datetime:
    return datetime.now(UTC)


class HistoryRetention:
    """Deletes history entries older than `keep`: one pass at start, then one every `interval` seconds."""

    INTERVAL = 3600.0
    """Seconds between two passes."""
    CHUNK = 5000
    """Entries deleted per transaction: a few tens of milliseconds of SQLite's write lock."""

    def __init__(
        self,
        store: Store,
        keep: timedelta,
        *,
        interval: float = INTERVAL,
        chunk: int = CHUNK,
        clock: Callable[[], datetime] = _now,
    ) -> None:
        if keep <= timedelta(0):
            raise ValueError(f"a retention period must be positive, not {keep}")
        if chunk < 1:
            raise ValueError(f"a chunk must hold at least one entry, not {chunk}")
        self.store = store
        self.keep = keep
        self.interval = interval
        self.chunk = chunk
        self.clock = clock
        self.passes = 0
        """Passes finished (tests and tools wait for the next one)."""
        self._passed = asyncio.Condition()
        self._task: asyncio.Task[None] | None = None
        self._deleting: asyncio.Future[int] | None = None  # the chunk under way, if any

    def start(self) -> None:
        """Prune now, then every `interval` seconds until `stop`."""
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="thinggate-history-retention")

    async def stop(self) -> None:
        """Stop pruning; a chunk under way is finished, never cut short."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
        if self._deleting is not None:
            # Cancelled mid-statement, a transaction can keep SQLite's write lock: let it commit.
            await asyncio.gather(self._deleting, return_exceptions=True)
            self._deleting = None

    async def prune(self) -> int:
        """Delete every entry older than the retention period, chunk by chunk; how many went."""
        older_than = self.clock() - self.keep
        deleted = 0
        while True:
            self._deleting = asyncio.ensure_future(self.store.prune_history(older_than, limit=self.chunk))
            count = await asyncio.shield(self._deleting)
            self._deleting = None
            deleted += count
            if count < self.chunk:
                return deleted
            # The write lock is free between two chunks; writers waiting for it go first.
            await asyncio.sleep(0)

    async def wait_for_pass(self, passes: int) -> None:
        """Return once `passes` passes have finished (failed passes count too)."""
        async with self._passed:
            await self._passed.wait_for(lambda: self.passes >= passes)

    async def _run(self) -> None:
        while True:
            try:
                deleted = await self.prune()
                if deleted:
                    _LOG.info("history: %d entries older than %s deleted", deleted, self.keep)
            except Exception:
                _LOG.warning("history: pruning failed; trying again in %.0f s", self.interval, exc_info=True)
            async with self._passed:
                self.passes += 1
                self._passed.notify_all()
            await asyncio.sleep(self.interval)
