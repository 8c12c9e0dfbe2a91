"""Failed-login rate limiting per peer: counted before the password check, locked out for a growing delay."""

from __future__ import annotations

import asyncio
import collections
import contextlib
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field

from thinggate.core.errors import HubFailure


@dataclass(slots=True)
class _PeerFailures:
    times: collections.deque[float] = field(default_factory=collections.deque)
    locked_until: float = 0.0
    lockouts: int = 0
    last_failure: float = 0.0


class LoginThrottled(HubFailure):
    """A peer may not try to log in now: locked out, or too many of its logins already waiting."""

    def __init__(self, peer: str, wait: float, reason: str) -> None:
        super().__init__(f"{peer}: {reason}; try again in {wait:.0f} s")
        self.args = (peer, wait, reason)  # so that copies and pickles rebuild the same failure
        self.peer = peer
        self.wait = wait
        self.reason = reason


class LoginAttempt:
    """One password login of a peer, counted as a failure from its start until it `succeeded`."""

    __slots__ = ("_counted_at", "_done", "_limiter", "peer")

    def __init__(self, limiter: LoginLimiter, peer: str, counted_at: float) -> None:
        self._limiter = limiter
        self.peer = peer
        self._counted_at = counted_at
        self._done = False

    def succeeded(self) -> None:
        """The password was right: this attempt's count is taken back (earlier failures stay)."""
        if not self._done:
            self._done = True
            self._limiter._take_back(self.peer, self._counted_at)

    def failed(self) -> float:
        """The password was wrong (the count stays); answers the wait now in force for the peer."""
        self._done = True
        return self._limiter._settle(self.peer)


class LoginLimiter:
    """Failed-login throttle per peer: too many failures in a window lock it out for a growing delay."""

    def __init__(
        self,
        *,
        max_failures: int = 5,
        window: float = 60.0,
        base_delay: float = 10.0,
        max_delay: float = 300.0,
        forget_after: float = 3600.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._max_failures = max_failures
        self._window = window
        self._base_delay = base_delay
        self._max_delay = max_delay
        self._forget_after = forget_after
        self._clock = clock
        self._peers: dict[str, _PeerFailures] = {}
        self._last_prune = clock()
        self._turns: dict[str, asyncio.Lock] = {}  # one login in progress per peer
        self._waiting: collections.Counter[str] = collections.Counter()

    @contextlib.asynccontextmanager
    async def attempt(self, peer: str, *, max_waiting: int = 8) -> AsyncIterator[LoginAttempt]:
        """Run one password login of `peer`: its turn (one at a time per peer), counted before it runs.

        Raises LoginThrottled when the peer is locked out, or when `max_waiting` of its logins already
        wait. Counting first is what makes concurrent guesses count: checked before and counted after
        the password check, a hundred guesses at once all passed the check. An attempt that ends
        without `succeeded` (wrong, cancelled, crashed) stays counted as a failure.
        """
        wait = self.check(peer)
        if wait > 0:
            raise LoginThrottled(peer, wait, "too many failed logins")
        if self._waiting[peer] > max_waiting:
            raise LoginThrottled(peer, 1.0, "too many logins waiting")
        turn = self._turns.get(peer)
        if turn is None:
            turn = self._turns[peer] = asyncio.Lock()
        self._waiting[peer] += 1
        try:
            async with turn:
                wait = self.check(peer)  # the ones before may have locked the peer out meanwhile
                if wait > 0:
                    raise LoginThrottled(peer, wait, "too many failed logins")
                now = self._clock()
                self._count(peer, now)
                attempt = LoginAttempt(self, peer, now)
                try:
                    yield attempt
                finally:
                    if not attempt._done:
                        attempt.failed()
        finally:
            self._waiting[peer] -= 1
            if not self._waiting[peer]:
                del self._waiting[peer]
                self._turns.pop(peer, None)

    def _count(self, peer: str, now: float) -> _PeerFailures:
        self._prune(now)
        entry = self._peers.setdefault(peer, _PeerFailures())
        if entry.lockouts and now - entry.last_failure > self._forget_after and entry.locked_until <= now:
            entry.lockouts = 0  # well-behaved for long enough: start the escalation afresh
        entry.last_failure = now
        while entry.times and now - entry.times[0] > self._window:
            entry.times.popleft()
        entry.times.append(now)
        return entry

    def _settle(self, peer: str) -> float:
        now = self._clock()
        entry = self._peers.get(peer)
        if entry is None:
            return 0.0
        if len(entry.times) >= self._max_failures:
            entry.lockouts += 1
            # Doubling delay: a few mistakes cost seconds, a guessing campaign costs minutes.
            delay = min(self._max_delay, self._base_delay * 2 ** (entry.lockouts - 1))
            entry.locked_until = max(entry.locked_until, now + delay)
            entry.times.clear()
        return max(0.0, entry.locked_until - now)

    def _take_back(self, peer: str, counted_at: float) -> None:
        entry = self._peers.get(peer)
        if entry is None:
            return
        with contextlib.suppress(ValueError):
            entry.times.remove(counted_at)
        if not entry.times and not entry.lockouts and entry.locked_until <= self._clock():
            del self._peers[peer]

    def check(self, peer: str) -> float:
        """Seconds the peer must wait before it may try to log in (0 when it may now)."""
        entry = self._peers.get(peer)
        if entry is None:
            return 0.0
        return max(0.0, entry.locked_until - self._clock())

    def failed(self, peer: str) -> float:
        """Count a failed login that was not an `attempt` (a wrong key or digest); answers the wait in force."""
        self._count(peer, self._clock())
        return self._settle(peer)

    def forget(self, peer: str) -> None:
        """Forget a peer's failures and lockout (an administrator lifting it)."""
        self._peers.pop(peer, None)

    def _prune(self, now: float) -> None:
        # Bound memory against peers that fail once and never return (e.g. many addresses),
        # at most once per window so that a flood of failures does not cost O(peers) each.
        if now - self._last_prune < self._window:
            return
        self._last_prune = now
        for peer in [
            peer
            for peer, entry in self._peers.items()
            if entry.locked_until <= now
            and (
                now - entry.last_failure > self._forget_after
                or (entry.lockouts == 0 and now - entry.last_failure > self._window)
            )
        ]:
            del self._peers[peer]
