"""Dashboard sessions: keyed by a hash of the cookie, kept across restarts, ended when idle, at logout, with their user.

A login makes a random session id (the cookie's value) and a random CSRF token. Only the
SHA-256 of the id is kept, in memory and in the store, so what the hub holds cannot be replayed
as a cookie. A session ends when it has been neither used nor held by an open page for
`idle_seconds`, at logout, when its user is removed or its password changes, and when too many
sessions (in all, or of one user) would be kept; the least recently used goes first. A change of
the user's rights replaces the session's principal at once.

The store keeps each session from its login to its end (journal.py), with when it started and,
coarsely, when it was last used (written at most once a minute per session, and when the hub
stops): a restarted hub loads them when the door is assembled, each with a principal made from
its user's record as it is then (a user removed meanwhile has none left) and a new CSRF token,
which the page reads again when it reconnects. The principal and the token are never stored.
"""

from __future__ import annotations

import asyncio
import collections
import hashlib
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Protocol

from thinggate.api.web.journal import SessionJournal
from thinggate.core import events as ev
from thinggate.core.errors import UserFailure
from thinggate.core.security import Principal, SecurityManager
from thinggate.core.store import WebSessionRecord

COOKIE = "thinggate_session"
"""The session cookie's name."""

USE_WRITTEN_EVERY = 60.0
"""Seconds between two writes of a session's "last used" time (an idle time counted from up to a minute
earlier after a crash is fine; a write per request is not)."""


class Page(Protocol):
    """An open page of a session (a live channel): told when its rights change, closed when the session ends."""

    def rights_changed(self) -> None:
        """The session's principal changed: what the page may see and do is to be read again."""
        ...

    def end(self, reason: str) -> None:
        """The session ended: close the page's channel."""
        ...


@dataclass(slots=True, eq=False)
class Session:
    """One login: who it is, its CSRF token, when it was last used and the pages it holds open."""

    key: bytes
    """SHA-256 of the cookie's value."""
    username: str
    principal: Principal
    csrf_token: str
    last_used: float
    """When it was last used, on the Sessions' (monotonic) clock."""
    started: datetime
    written_use: float = 0.0
    """The last use the store has (on the monotonic clock)."""
    pages: list[Page] = field(default_factory=list)
    ended: bool = False


def _key(cookie: str) -> bytes:
    return hashlib.sha256(cookie.encode("utf-8", "surrogatepass")).digest()


class Sessions:
    """The dashboard's sessions, by the hash of their cookie; kept in the store through the journal."""

    def __init__(
        self,
        security: SecurityManager,
        journal: SessionJournal,
        *,
        idle_seconds: float,
        max_sessions: int,
        per_user: int,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        self.security = security
        self.journal = journal
        self.idle_seconds = idle_seconds
        self.max_sessions = max_sessions
        self.per_user = per_user
        # Idle times on a monotonic clock (a wall clock set at boot must not end every session);
        # the store has wall times, converted at the edges.
        self.clock = clock
        self.wall_clock = wall_clock
        # Least recently used first: the one to end when too many are kept.
        self._sessions: collections.OrderedDict[bytes, Session] = collections.OrderedDict()
        self._by_user: dict[str, dict[bytes, Session]] = {}
        # Users removed or whose password changed while the kept sessions are read: theirs are not taken up.
        self._gone_while_loading: set[str] | None = None

    def __len__(self) -> int:
        return len(self._sessions)

    def _wall(self, moment: float) -> datetime:
        """A moment of the monotonic clock as a wall time."""
        return datetime.fromtimestamp(self.wall_clock() - (self.clock() - moment), UTC)

    async def load(self) -> None:
        """Take up the sessions the store kept (the door is assembled): each with its user's principal as it is now.

        A session whose user is gone, that went idle while the hub was away, or past a limit lowered
        meanwhile, is forgotten.
        """
        now, wall_now = self.clock(), self.wall_clock()
        stale: list[str] = []
        self._gone_while_loading = set()
        try:
            records = await self.journal.load()  # least recently used first
            gone = self._gone_while_loading
        finally:
            self._gone_while_loading = None
        for record in records:
            principal = None if record.username in gone else self._principal_of(record.username)
            if principal is None:  # its user is gone, or changed its password while the sessions were read
                stale.append(record.key_hash)
                continue
            # A time ahead of the clock (set back since) counts as now.
            last_used = now - max(0.0, wall_now - record.last_used.timestamp())
            session = Session(
                key=bytes.fromhex(record.key_hash),
                username=principal.name,
                principal=principal,
                csrf_token=secrets.token_urlsafe(32),  # never kept: the page reads the new one when it reconnects
                last_used=last_used,
                started=record.started,
                written_use=last_used,
            )
            if self._idle(session, now):
                stale.append(record.key_hash)
                continue
            self._admit(session)
        self.journal.forget_soon(stale)

    def _principal_of(self, username: str) -> Principal | None:
        """The principal of a user as its record is now (None when there is no such user any more)."""
        try:
            return self.security.principal_for_user(username)
        except UserFailure:
            return None

    async def start(self, principal: Principal) -> tuple[str, Session]:
        """A new session of the principal's user, kept durably: the cookie's value (the only copy) and the session."""
        self.prune()
        cookie = secrets.token_urlsafe(32)
        now = self.clock()
        session = Session(
            key=_key(cookie),
            username=principal.name,
            principal=principal,
            csrf_token=secrets.token_urlsafe(32),
            last_used=now,
            started=self._wall(now),
            written_use=now,
        )
        # In memory first: a user removed while the store writes ends this session too.
        self._admit(session)
        try:
            await self.journal.keep(
                WebSessionRecord(session.key.hex(), session.username, session.started, session.started)
            )
        except BaseException:
            self.end(session, "not kept")
            raise
        return cookie, session

    def _admit(self, session: Session) -> None:
        """Hold a session, ending the least recently used ones past the limits."""
        mine = self._by_user.setdefault(session.username, {})
        while len(mine) >= self.per_user:
            self.end(min(mine.values(), key=lambda other: other.last_used), "too many sessions of this user")
        while len(self._sessions) >= self.max_sessions:
            self.end(next(iter(self._sessions.values())), "too many sessions")
        self._sessions[session.key] = session
        mine[session.key] = session

    def find(self, cookie: str | None) -> Session | None:
        """The live session of a cookie's value (marked used now), or None."""
        if not cookie:
            return None
        session = self._sessions.get(_key(cookie))
        if session is None:
            return None
        now = self.clock()
        if self._idle(session, now):
            self.end(session, "idle")
            return None
        session.last_used = now
        self._sessions.move_to_end(session.key)
        return session

    def touch(self, session: Session) -> None:
        """The session was used now (a page of it closed, say)."""
        if not session.ended:
            session.last_used = self.clock()
            self._sessions.move_to_end(session.key)

    def end(self, session: Session, reason: str) -> None:
        """End a session (its user removed, idle, too many): its cookie logs in no more, its pages close; the store
        forgets it soon after."""
        if self._close(session, reason):
            self.journal.forget_soon([session.key.hex()])

    async def log_out(self, session: Session) -> None:
        """End a session at its user's asking: forgotten by the store before the logout is answered."""
        if self._close(session, "logged out"):
            await self.journal.forget([session.key.hex()])

    def _close(self, session: Session, reason: str) -> bool:
        """End a session in memory and close its pages; False when it had ended already."""
        if session.ended:
            return False
        session.ended = True
        self._sessions.pop(session.key, None)
        mine = self._by_user.get(session.username)
        if mine is not None:
            mine.pop(session.key, None)
            if not mine:
                del self._by_user[session.username]
        for page in list(session.pages):
            page.end(reason)
        session.pages.clear()
        return True

    def write_use(self, *, all_of_it: bool = False) -> None:
        """Write behind when sessions were last used: those used a minute or more after what the store has (or,
        `all_of_it`, anything newer). A session holding an open page is in use now."""
        now = self.clock()
        times: list[tuple[str, datetime]] = []
        for session in self._sessions.values():
            used = now if session.pages else session.last_used
            if used - session.written_use >= USE_WRITTEN_EVERY or (all_of_it and used > session.written_use):
                times.append((session.key.hex(), self._wall(used)))
                session.written_use = used
        self.journal.touch_soon(times)

    async def write_use_every_minute(self) -> None:
        """Write the sessions' use behind once a minute, until cancelled (a crash loses a minute of it at most)."""
        while True:
            await asyncio.sleep(USE_WRITTEN_EVERY)
            self.prune()
            self.write_use()

    async def stop(self) -> None:
        """The hub stops (its pages were told it goes away): when each session was last used is written, and the
        sessions stay kept for its next start."""
        self.write_use(all_of_it=True)
        await self.journal.drain()

    def prune(self) -> None:
        """End the sessions idle for too long (each is also ended when its cookie next comes)."""
        now = self.clock()
        for session in [session for session in self._sessions.values() if self._idle(session, now)]:
            self.end(session, "idle")

    def _idle(self, session: Session, now: float) -> bool:
        # An open page is use: a wall tablet showing the house stays logged in.
        return not session.pages and now - session.last_used > self.idle_seconds

    def of_user(self, username: str) -> list[Session]:
        """The sessions of a user (by the stored, lower-case name)."""
        return list(self._by_user.get(username.lower(), {}).values())

    # -- users change while the hub runs (here, another door, or the command line and `reload`) --

    def on_security_event(self, event: ev.HubEvent) -> None:
        """A user's rights changed (its sessions act with the new ones at once), or it was removed or its
        password changed (they end: a session made with a password does not outlive it)."""
        if isinstance(event, ev.UserRemoved | ev.PasswordChanged) and self._gone_while_loading is not None:
            self._gone_while_loading.add(event.username.lower())
        if isinstance(event, ev.UserRemoved):
            for session in self.of_user(event.username):
                self.end(session, "user removed")
        elif isinstance(event, ev.PasswordChanged):
            for session in self.of_user(event.username):
                self.end(session, "password changed")
        elif isinstance(event, ev.UserChanged):
            for session in self.of_user(event.user.username):
                try:
                    session.principal = self.security.principal_for_user(session.username)
                except UserFailure:  # removed meanwhile: its UserRemoved follows
                    self.end(session, "user removed")
                    continue
                for page in list(session.pages):
                    page.rights_changed()

    def watch(self, bus: ev.EventBus) -> Callable[[], None]:
        """Follow user changes on the hub's bus; answers the unlisten."""
        return bus.listen(self.on_security_event, kinds=(ev.UserChanged, ev.UserRemoved, ev.PasswordChanged))
