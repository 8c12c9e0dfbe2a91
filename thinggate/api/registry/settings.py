"""The `[registry]` section of thinggate.toml: the registry door's settings (cheap to import)."""

from __future__ import annotations

import re
from dataclasses import dataclass

# A plain path segment: MIC's stacks are named like `prod`; the door serves under /<stack_name>/.
_STACK_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")


@dataclass(frozen=True, slots=True)
class RegistryConfig:
    """Settings of the registry door (Managed IoT Cloud REST API on `[ports] http`)."""

    enabled: bool = True  # false: no registry routes (the HTTP port opens only if another door has routes)
    stack_name: str = "thinggate"  # every MIC route is served under /<stack_name>/
    access_token_seconds: float = 3600.0  # how long a login's token is valid
    refresh_token_days: float = 30.0  # how long its refresh token is valid
    publish_api_key: bool = True  # /<stack>/metadata/manifest hands out an API key (MIC's SDKs discover it there)
    public_url: str = ""  # ApiGatewayRootUrl in /manifest; "" = the origin the client used (scheme and Host)
    max_body_bytes: int = 262144  # larger request bodies are refused with 413 PAYLOAD_TOO_LARGE
    event_retention_days: float = 30.0  # lifecycle events are kept (for /events) this long, published or not
    list_cache_bytes: int = 16 * 1024 * 1024  # GET /thingtypes answers kept for repeats, in all; 0: none kept

    def check(self) -> None:
        """Raise ValueError naming the first value the door cannot work with."""
        if not isinstance(self.stack_name, str) or not _STACK_NAME.fullmatch(self.stack_name):
            raise ValueError(f"stack_name = {self.stack_name!r}: one path segment of A-Z, a-z, 0-9, _ . - (1-64)")
        if self.stack_name in ("manifest", "openapi.json"):
            raise ValueError(f"stack_name = {self.stack_name!r}: that path is the door's own")
        for name in ("access_token_seconds", "refresh_token_days", "event_retention_days"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
                raise ValueError(f"{name} = {value!r}: must be a number above 0")
        if (
            isinstance(self.max_body_bytes, bool)
            or not isinstance(self.max_body_bytes, int)
            or self.max_body_bytes < 1024
        ):
            raise ValueError(f"max_body_bytes = {self.max_body_bytes!r}: must be a whole number of bytes, 1024 or more")
        if (
            isinstance(self.list_cache_bytes, bool)
            or not isinstance(self.list_cache_bytes, int)
            or self.list_cache_bytes < 0
        ):
            raise ValueError(
                f"list_cache_bytes = {self.list_cache_bytes!r}: must be a whole number of bytes, 0 or more"
            )
        if self.public_url and not re.fullmatch(r"https?://[^/\s?#]+", self.public_url):
            raise ValueError(
                f"public_url = {self.public_url!r}: write an origin like https://hub.example.org (no path)"
            )
        for name in ("enabled", "publish_api_key"):
            if not isinstance(getattr(self, name), bool):
                raise ValueError(f"{name} = {getattr(self, name)!r}: must be true or false")
