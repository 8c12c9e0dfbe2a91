"""The `[thinknx]` section of thinggate.toml: the Integration Kit door's settings (cheap to import)."""

from __future__ import annotations

import re
from dataclasses import dataclass

# One limit in `limits` notation ("100/second", "10 per 2 minutes"): a subset of its grammar,
# checked here without importing `limits`, which the transport loads only when a request comes.
_RATE_LIMIT = re.compile(
    r"\s*[0-9]+\s*(/|\s*per\s*)\s*([0-9]+)?\s*(second|minute|hour|day|month|year)s?\s*", re.IGNORECASE
)


@dataclass(frozen=True, slots=True)
class ThinknxConfig:
    """Settings of the Thinknx Integration Kit door (REST on ports.thinknx)."""

    feedback_seconds: float = 3.0  # how long `fb` waits for the device's feedback before 500
    rate_limit: str = "100/second"  # per client address, `limits` notation; "" turns it off
    nonce_seconds: float = 300.0  # digest nonces expire (stale=true) after this long
    max_failed_logins: int = 5  # wrong credentials per address and minute before 429
    tls: bool = True  # https:// as well as http:// on the same port (the hub's certificate)
    hooks_allow_loopback: bool = False  # REST hooks may POST to this machine (a receiver on the hub's own host)

    def check(self) -> None:
        """Raise ValueError naming the first value the door cannot work with."""
        if self.rate_limit and not (isinstance(self.rate_limit, str) and _RATE_LIMIT.fullmatch(self.rate_limit)):
            raise ValueError(f'rate_limit = {self.rate_limit!r}: write e.g. "100/second"')
        for name in ("feedback_seconds", "nonce_seconds"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
                raise ValueError(f"{name} = {value!r}: must be a number of seconds above 0")
        if (
            isinstance(self.max_failed_logins, bool)
            or not isinstance(self.max_failed_logins, int)
            or (self.max_failed_logins < 1)
        ):
            raise ValueError(f"max_failed_logins = {self.max_failed_logins!r}: must be 1 or more")
