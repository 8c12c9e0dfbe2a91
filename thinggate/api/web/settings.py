"""The `[web]` section of thinggate.toml: the dashboard door's settings (cheap to import)."""

from __future__ import annotations

import re
from dataclasses import dataclass

_ORIGIN = re.compile(r"https?://[^/\s?#@]+")


@dataclass(frozen=True, slots=True)
class WebConfig:
    """Settings of the dashboard door (the house page, its login and its live channel on `[ports] http`)."""

    enabled: bool = True  # false: no page, no /login, /live or /web routes
    session_idle_seconds: float = 1800.0  # a session neither used nor holding an open page this long ends
    max_sessions: int = 1000  # sessions kept in all; past it the least recently used one ends
    sessions_per_user: int = 20  # sessions of one user; past it that user's least recently used one ends
    live_per_session: int = 8  # open live channels (pages) per session; past it the oldest is closed
    max_body_bytes: int = 65536  # larger request bodies are refused with 413
    origins: tuple[str, ...] = ()  # origins besides the hub's own that pages come from (a proxy's https://...)

    def check(self) -> None:
        """Raise ValueError naming the first value the door cannot work with."""
        if not isinstance(self.enabled, bool):
            raise ValueError(f"enabled = {self.enabled!r}: must be true or false")
        value = self.session_idle_seconds
        if isinstance(value, bool) or not isinstance(value, int | float) or not 10 <= value <= 365 * 86400:
            raise ValueError(f"session_idle_seconds = {value!r}: must be a number of seconds from 10 to a year")
        bounds = {
            "max_sessions": (1, 1_000_000),
            "sessions_per_user": (1, 10_000),
            "live_per_session": (1, 1000),
            "max_body_bytes": (1024, 16 * 1024 * 1024),
        }
        for name, (low, high) in bounds.items():
            number = getattr(self, name)
            if isinstance(number, bool) or not isinstance(number, int) or not low <= number <= high:
                raise ValueError(f"{name} = {number!r}: must be a whole number from {low} to {high}")
        # TOML gives a list: either is taken.
        if not isinstance(self.origins, list | tuple):
            raise ValueError(f"origins = {self.origins!r}: must be a list of origins like https://hub.example.org")
        for origin in self.origins:
            if not isinstance(origin, str) or not _ORIGIN.fullmatch(origin):
                raise ValueError(f"origins: {origin!r}: write an origin like https://hub.example.org (no path)")
