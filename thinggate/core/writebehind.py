"""Write-behind for the hub: state-cache values and history entries, buffered and written together."""

from __future__ import annotations

import asyncio
import logging
import uuid
from dataclasses import dataclass, field
from typing import Any

from thinggate.core.store import HistoryEntry, Store

_LOG = logging.getLogger(__name__)


@dataclass(slots=True)
class _Pending:
    """What waits to be written: the latest cached value per state, and history in order."""

    # Keyed by the ids' ints: hashing a UUID is a Python call (two per state change), an int's is not.
    states: dict[tuple[int, int], tuple[uuid.UUID, uuid.UUID, Any]] = field(default_factory=dict)
    history: list[HistoryEntry] = field(default_factory=list)


class WriteBehind:
    """Buffers state-cache values and history entries; writes them every interval, on `flush` and at stop."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self._pending = _Pending()
        self._writer: asyncio.Task[None] | None = None
        self._writing: asyncio.Future[None] | None = None  # the periodic write under way, if any

    def queue_state(self, thing_id: uuid.UUID, state_type_id: uuid.UUID, value: Any) -> None:
        """Remember a state's value for the cache (a later value replaces an unwritten one)."""
        self._pending.states[(thing_id.int, state_type_id.int)] = (thing_id, state_type_id, value)

    def add_history(self, entry: HistoryEntry) -> None:
        """Queue a history entry."""
        self._pending.history.append(entry)

    def forget_thing(self, thing_id: uuid.UUID) -> None:
        """Drop a removed thing's unwritten state values and history entries."""
        number = thing_id.int
        for key in [key for key in self._pending.states if key[0] == number]:
            del self._pending.states[key]
        # Its history is deleted with it: a pending entry written after that would be an orphan.
        if self._pending.history:
            self._pending.history = [entry for entry in self._pending.history if entry.thing_id != thing_id]

    async def flush(self) -> None:
        """Write pending state-cache values and history entries now."""
        pending, self._pending = self._pending, _Pending()
        if pending.states:
            await self._store.save_states(list(pending.states.values()))
        if pending.history:
            await self._store.append_history(pending.history)

    def start(self, interval: float) -> None:
        """Write every `interval` seconds from now until `stop`."""
        self._writer = asyncio.create_task(self._write_loop(interval), name="thinggate-state-writer")

    async def stop(self) -> None:
        """Stop writing periodically and write what is pending."""
        if self._writer is not None:
            self._writer.cancel()
            await asyncio.gather(self._writer, return_exceptions=True)
            self._writer = None
        if self._writing is not None:
            # A periodic write is never cut short: a transaction cancelled mid-statement can keep
            # SQLite's write lock, and this last flush would then wait out the busy timeout and fail.
            await asyncio.gather(self._writing, return_exceptions=True)
            self._writing = None
        await self.flush()

    async def _write_loop(self, interval: float) -> None:
        while True:
            await asyncio.sleep(interval)
            self._writing = asyncio.ensure_future(self.flush())
            try:
                await asyncio.shield(self._writing)
            except asyncio.CancelledError:
                raise  # stop() waits for the write itself
            except Exception:
                _LOG.exception("writing the state cache failed; will retry")
