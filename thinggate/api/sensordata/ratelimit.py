"""Requests per minute per OAuth client: a fixed window of 60 s, counted in memory (one entry per client)."""

from __future__ import annotations

import math
import time
from collections.abc import Callable

WINDOW_SECONDS = 60.0


class ClientRateLimit:
    """Counts each client's requests in the current minute; past the limit a request must wait for the next."""

    def __init__(self, per_minute: int, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.per_minute = per_minute
        self.clock = clock
        self._windows: dict[str, tuple[float, int]] = {}  # client id -> (window start, requests in it)

    def take(self, client_id: str) -> tuple[int, int]:
        """Count one request: (calls left in this window, 0) when allowed, else (0, seconds to wait)."""
        now = self.clock()
        start, count = self._windows.get(client_id, (now, 0))
        if now - start >= WINDOW_SECONDS:
            start, count = now, 0
        if count >= self.per_minute:
            return 0, max(1, math.ceil(start + WINDOW_SECONDS - now))
        self._windows[client_id] = (start, count + 1)
        return self.per_minute - count - 1, 0

    def forget(self, known: set[str]) -> None:
        """Drop the counts of clients no longer known (revoked ones)."""
        for client_id in [client_id for client_id in self._windows if client_id not in known]:
            del self._windows[client_id]
