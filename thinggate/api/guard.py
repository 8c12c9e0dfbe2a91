"""How every listener defends itself: caps on connections that have not logged in, and their deadlines.

One ConnectionGuard serves all the doors of a hub, so an address's budget of connections that have
not authenticated is counted across every port: a client that floods one door cannot take the
file descriptors, memory or CPU that another client needs to log in at any door.

- A connection is *admitted* at accept. An address may hold `unauthenticated_per_address` of them
  at once; past that a new one is closed at once (it costs nothing but the accept).
- It must authenticate within `login_seconds` (JSON-RPC Hello and Authenticate, the Ezlo login, a
  Thinknx request with good credentials), else it is aborted. The door calls `authenticated`.
- TLS handshakes run at most `tls_handshakes_per_address` per address and `tls_handshakes` in all,
  each for `tls_handshake_seconds`.
- Open connections stay under the open-file limit less a reserve (`max_open`): at the cap the oldest
  connection that has not authenticated is dropped for the new one; when none is left to drop the
  new one is refused. So the process never runs out of descriptors and never spins on accept.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
import resource
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

_LOG = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ListenerLimits:
    """The limits every listener applies (the `[limits]` section of thinggate.toml)."""

    unauthenticated_per_address: int = 32
    login_seconds: float = 10.0
    idle_seconds: float = 15.0
    """HTTP: a connection without a complete request head for this long is closed (keep-alive timeout too)."""
    tls_handshake_seconds: float = 10.0
    tls_handshakes_per_address: int = 8
    tls_handshakes: int = 128
    file_reserve: int = 64
    """Descriptors kept free of connections: the database, logs and the hub's own files need some."""
    password_checks: int = 1
    """argon2 checks running at once in the process (each takes 64 MiB for a moment)."""
    logins_waiting_per_address: int = 8
    """Password logins of one address queued behind the one in progress; past this they are refused."""

    def check(self) -> None:
        """Raise ValueError naming the first value that cannot work."""
        for name in ("unauthenticated_per_address", "tls_handshakes_per_address", "tls_handshakes", "password_checks"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ValueError(f"[limits] {name} = {value!r}: must be a whole number of 1 or more")
        for name in ("file_reserve", "logins_waiting_per_address"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise ValueError(f"[limits] {name} = {value!r}: must be a whole number of 0 or more")
        for name in ("login_seconds", "idle_seconds", "tls_handshake_seconds"):
            value = getattr(self, name)
            if not isinstance(value, int | float) or isinstance(value, bool) or not value > 0:
                raise ValueError(f"[limits] {name} = {value!r}: must be a number of seconds above 0")


def raise_file_limit() -> int:
    """Raise the open-file soft limit to the hard limit (a hub holds a socket per client); answers the limit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and soft < hard:
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
            soft = hard
    elif hard == resource.RLIM_INFINITY and soft != resource.RLIM_INFINITY and soft < 1 << 20:
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (1 << 20, hard))
            soft = 1 << 20
    return int(soft) if soft != resource.RLIM_INFINITY else 1 << 20


class Admission:
    """One accepted connection, from accept until it closes."""

    __slots__ = ("_deadline", "address", "authenticated", "expired", "key", "opened", "transport")

    def __init__(self, address: str, opened: float) -> None:
        self.address = address
        self.opened = opened
        self.authenticated = False
        self.expired = False
        self.transport: asyncio.BaseTransport | None = None
        self.key: tuple[Any, Any] | None = None
        self._deadline: asyncio.TimerHandle | None = None

    @property
    def open(self) -> bool:
        """Whether the connection is still there (a handed-over one: its transport is not closing)."""
        return self.transport is None or not self.transport.is_closing()

    def drop(self) -> None:
        """Abort the connection."""
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None
        if self.transport is not None:
            abort = getattr(self.transport, "abort", None)
            if abort is not None:
                abort()
            else:
                self.transport.close()


class ConnectionGuard:
    """Counts connections per address and in all, and closes those that do not log in in time."""

    def __init__(self, limits: ListenerLimits | None = None, *, max_open: int | None = None) -> None:
        self.limits = limits or ListenerLimits()
        if max_open is None:
            max_open = raise_file_limit() - self.limits.file_reserve
        self.max_open = max(16, max_open)
        self._pending: dict[str, list[Admission]] = {}  # not yet authenticated, by address
        self._by_key: dict[tuple[Any, Any], Admission] = {}  # handed over, by (sockname, peername)
        self._all: set[Admission] = set()
        self._handshakes: collections.Counter[str] = collections.Counter()
        self._handshakes_total = 0
        self.refused = 0
        self._refusals_logged_at = 0.0
        self._next_sweep = 1024

    # -- accept ----------------------------------------------------------------------------------

    def admit(self, address: str) -> Admission | None:
        """A new connection from `address`, or None when it must be closed at once."""
        pending = self._prune_address(address)
        if len(pending) >= self.limits.unauthenticated_per_address:
            self._refuse(f"{address} has {len(pending)} connections that have not logged in")
            return None
        if len(self._all) >= self.max_open:
            self._all = {admission for admission in self._all if admission.open}
            if len(self._all) >= self.max_open and not self._evict_oldest():
                self._refuse(f"{len(self._all)} connections open, the most this process can hold")
                return None
        if len(self._all) >= self._next_sweep:
            # Closed connections leave their admission behind until a sweep: sweep as the set doubles.
            self._all = {admission for admission in self._all if admission.open}
            self._next_sweep = max(1024, 2 * len(self._all))
        admission = Admission(address, time.monotonic())
        pending.append(admission)
        self._pending[address] = pending
        self._all.add(admission)
        return admission

    def register(self, admission: Admission, sockname: Any, peername: Any) -> None:
        """The connection's addresses are known: its login deadline (from accept) starts to count."""
        key = (sockname, peername)
        admission.key = key
        self._by_key[key] = admission
        loop = asyncio.get_running_loop()
        delay = max(0.0, admission.opened + self.limits.login_seconds - time.monotonic())
        admission._deadline = loop.call_at(loop.time() + delay, self._expire, admission)

    def handed_over(self, admission: Admission, transport: asyncio.BaseTransport) -> None:
        """The connection's protocol runs now on `transport`."""
        admission.transport = transport
        if admission.expired and not admission.authenticated:
            admission.drop()

    def closed(self, admission: Admission) -> None:
        """The connection ended before it was handed over (a failed handshake, silence)."""
        self._forget(admission)
        self._all.discard(admission)

    # -- login -----------------------------------------------------------------------------------

    def authenticated(self, transport: asyncio.BaseTransport | None) -> None:
        """The connection on `transport` has logged in: no deadline, and no longer counted as pending."""
        if transport is None or not self._by_key:
            return
        key = (transport.get_extra_info("sockname"), transport.get_extra_info("peername"))
        admission = self._by_key.get(key)
        if admission is None:
            return
        admission.authenticated = True
        self._forget(admission)

    def pending_count(self, address: str) -> int:
        """Connections from `address` that are open and have not logged in."""
        return len(self._prune_address(address))

    @property
    def open_count(self) -> int:
        """Connections admitted and still open."""
        return sum(1 for admission in self._all if admission.open)

    # -- TLS handshakes --------------------------------------------------------------------------

    @contextlib.contextmanager
    def handshake(self, address: str) -> Iterator[bool]:
        """Whether a TLS handshake for `address` may run now; counted while the block runs."""
        limits = self.limits
        if self._handshakes[address] >= limits.tls_handshakes_per_address or self._handshakes_total >= (
            limits.tls_handshakes
        ):
            self._refuse(f"too many TLS handshakes running ({address}: {self._handshakes[address]})")
            yield False
            return
        self._handshakes[address] += 1
        self._handshakes_total += 1
        try:
            yield True
        finally:
            self._handshakes_total -= 1
            self._handshakes[address] -= 1
            if not self._handshakes[address]:
                del self._handshakes[address]

    # -- inside ----------------------------------------------------------------------------------

    def _expire(self, admission: Admission) -> None:
        admission._deadline = None
        if admission.authenticated:
            return
        admission.expired = True
        _LOG.debug("dropping a connection from %s: no login within %g s", admission.address, self.limits.login_seconds)
        self._forget(admission)
        admission.drop()

    def _forget(self, admission: Admission) -> None:
        if admission._deadline is not None:
            admission._deadline.cancel()
            admission._deadline = None
        if admission.key is not None:
            self._by_key.pop(admission.key, None)
            admission.key = None
        pending = self._pending.get(admission.address)
        if pending is not None:
            with contextlib.suppress(ValueError):
                pending.remove(admission)
            if not pending:
                del self._pending[admission.address]

    def _prune_address(self, address: str) -> list[Admission]:
        pending = self._pending.get(address)
        if pending is None:
            return []
        alive = [admission for admission in pending if admission.open]
        if len(alive) != len(pending):
            for admission in pending:
                if not admission.open:
                    if admission.key is not None:
                        self._by_key.pop(admission.key, None)
                    if admission._deadline is not None:
                        admission._deadline.cancel()
                    self._all.discard(admission)
            if alive:
                self._pending[address] = alive
            else:
                del self._pending[address]
        return alive

    def _evict_oldest(self) -> bool:
        oldest: Admission | None = None
        for pending in self._pending.values():
            for admission in pending:
                if (
                    admission.transport is not None
                    and admission.open
                    and (oldest is None or admission.opened < oldest.opened)
                ):
                    oldest = admission
        if oldest is None:
            return False
        _LOG.debug("at the connection cap: dropping the oldest connection not logged in (%s)", oldest.address)
        self._forget(oldest)
        self._all.discard(oldest)
        oldest.drop()
        return True

    def _refuse(self, why: str) -> None:
        # Refusals come in floods during an attack: one log line every 10 s says how many.
        self.refused += 1
        now = time.monotonic()
        if now - self._refusals_logged_at >= 10.0:
            self._refusals_logged_at = now
            _LOG.warning("refusing connections (%d so far): %s", self.refused, why)
