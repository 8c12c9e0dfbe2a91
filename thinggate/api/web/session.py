"""Dashboard sessions: in memory, keyed by a hash of the cookie, ended when idle, at logout or with their user.

A login makes a random session id (the cookie's value) and a random CSRF token. Only the
SHA-256 of the id is kept, so what the hub holds in memory cannot be replayed as a cookie. A
session ends when it has been neither used nor held by an open page for `idle_seconds`, at
logout, when its user is removed, and when too many sessions (in all, or of one user) would be
kept; the least recently used goes first. A change of the user's rights replaces the session's
principal at once. Sessions live in memory only: a hub restart logs every page out.
"""

from __future__ import annotations

import collections
import hashlib
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from thinggate.core import events as ev
from thinggate.core.errors import UserFailure
from thinggate.core.security import Principal, SecurityManager

COOKIE = "thinggate_session"
"""The session cookie's name."""


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
    pages: list[Page] = field(default_factory=list)
    ended: bool = False


def _key(cookie: str) -> bytes:
    return hashlib.sha256(cookie.encode("utf-8", "surrogatepass")).digest()


class Sessions:
    """The dashboard's sessions, by the hash of their cookie."""

    def __init__(
        self,
        security: SecurityManager,
        *,
        idle_seconds: float,
        max_sessions: int,
        per_user: int,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.security = security
        self.idle_seconds = idle_seconds
        self.max_sessions = max_sessions
        self.per_user = per_user
        self.clock = clock
        # Least recently used first: the one to end when too many are kept.
        self._sessions: collections.OrderedDict[bytes, Session] = collections.OrderedDict()
        self._by_user: dict[str, dict[bytes, Session]] = {}

    def __len__(self) -> int:
        return len(self._sessions)

    def start(self, principal: Principal) -> tuple[str, Session]:
        """A new session of the principal's user: the cookie's value (the only copy) and the session."""
        self.prune()
        cookie = secrets.token_urlsafe(32)
        session = Session(
            key=_key(cookie),
            username=principal.name,
            principal=principal,
            csrf_token=secrets.token_urlsafe(32),
            last_used=self.clock(),
        )
        mine = self._by_user.setdefault(principal.name, {})
        while len(mine) >= self.per_user:
            self.end(min(mine.values(), key=lambda other: other.last_used), "too many sessions of this user")
        while len(self._sessions) >= self.max_sessions:
            self.end(next(iter(self._sessions.values())), "too many sessions")
        self._sessions[session.key] = session
        mine[session.key] = session
        return cookie, session

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
        """End a session (logout, its user removed, idle, too many): its cookie logs in no more, its pages close."""
        if session.ended:
            return
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

    def end_all(self, reason: str) -> None:
        """End every session (the door stops)."""
        for session in list(self._sessions.values()):
            self.end(session, reason)

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
