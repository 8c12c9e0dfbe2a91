"""The dashboard's sessions in the store: written in the order they were asked for, followed from the hub's start.

A login is kept durably before it is answered, a logout forgotten before it is answered; other
ends (idle, a limit, the user removed) and the coarse "last used" times are written behind.
Every write waits for the one asked for before it, so a session is never kept again after it was
forgotten. The journal is made with the door's routes, before any request assembles the door:
a user removed or whose password changes while no browser has asked yet loses its kept
sessions all the same. Cheap to import (an idle hub makes one).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from typing import Any

from thinggate.core import events as ev
from thinggate.core.store import WebSessionRecord, WebSessionStore

_LOG = logging.getLogger(__name__)


class SessionJournal:
    """Writes of the dashboard's sessions to the store, one after another in the order asked."""

    def __init__(self, store: WebSessionStore) -> None:
        self.store = store
        self._last: asyncio.Task[Any] | None = None

    def _queue(self, work: Callable[[], Awaitable[Any]]) -> asyncio.Task[Any]:
        """Run `work` once every write asked for before it has finished."""
        previous = self._last

        async def in_turn() -> Any:
            if previous is not None:
                # Whatever became of it (its failure was logged or raised to its caller).
                await asyncio.wait({previous})
            return await work()

        task = asyncio.get_running_loop().create_task(in_turn())
        self._last = task
        return task

    def _behind(self, what: str, work: Callable[[], Awaitable[Any]]) -> None:
        """A write nobody waits for: its failure is logged (a session may then outlive a restart it should not)."""
        task = self._queue(work)

        def logged(done: asyncio.Task[Any]) -> None:
            if not done.cancelled() and done.exception() is not None:
                _LOG.error("web: could not %s in the store", what, exc_info=done.exception())

        task.add_done_callback(logged)

    async def load(self) -> list[WebSessionRecord]:
        """Every kept session, least recently used first (after the writes asked for before)."""
        records: list[WebSessionRecord] = await self._queue(self.store.load_web_sessions)
        return records

    async def keep(self, record: WebSessionRecord) -> None:
        """Keep a new session, durably, before its login is answered."""
        await self._queue(lambda: self.store.save_web_session(record))

    async def forget(self, key_hashes: Sequence[str]) -> None:
        """Forget sessions, durably, before the caller goes on (a logout)."""
        keys = list(key_hashes)
        await self._queue(lambda: self.store.delete_web_sessions(keys))

    def forget_soon(self, key_hashes: Sequence[str]) -> None:
        """Forget sessions, written behind (an idle one, one past a limit, one whose user is gone)."""
        keys = list(key_hashes)
        if keys:
            self._behind("forget dashboard sessions", lambda: self.store.delete_web_sessions(keys))

    def forget_user_soon(self, username: str) -> None:
        """Forget every session of a user, written behind."""
        name = username.lower()
        self._behind(f"forget the dashboard sessions of {name}", lambda: self.store.delete_user_web_sessions(name))

    def touch_soon(self, last_used: Sequence[tuple[str, datetime]]) -> None:
        """Write when sessions were last used, behind."""
        times = list(last_used)
        if times:
            self._behind("write when dashboard sessions were used", lambda: self.store.touch_web_sessions(times))

    async def drain(self) -> None:
        """Wait until every write asked for so far has finished (the hub stops: the store closes next)."""
        while self._last is not None and not self._last.done():
            await asyncio.wait({self._last})

    def follow(self, bus: ev.EventBus) -> Callable[[], None]:
        """Forget a user's sessions when it is removed or its password changes (a session made with a password
        does not outlive it), whether or not a browser has assembled the door yet; answers the unlisten."""

        def on_event(event: ev.HubEvent) -> None:
            if isinstance(event, ev.UserRemoved | ev.PasswordChanged):
                self.forget_user_soon(event.username)

        return bus.listen(on_event, kinds=(ev.UserRemoved, ev.PasswordChanged))
