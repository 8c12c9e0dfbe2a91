"""The `[jsonrpc]` section of thinggate.toml: the nymea JSON-RPC door's settings (cheap to import)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class JsonRpcConfig:
    """Settings of the nymea JSON-RPC door (TLS and authentication are per transport, as in nymea)."""

    tcp_tls: bool = True
    tcp_authentication: bool = True
    ws_tls: bool = True
    ws_authentication: bool = True
    certificate: str | None = None  # PEM file; replaces the self-signed one (the hub's certificate, for every door)
    private_key: str | None = None
    zeroconf: bool = True
    server_name: str = "thinggate"
    lockdown_seconds: float = 3.0
    max_connections: int = 1000
    push_button_interval: float = 5.0  # seconds an address waits before asking for push-button auth again

    def check(self) -> None:
        """Raise ValueError naming the first value the door cannot work with."""
        if bool(self.certificate) != bool(self.private_key):
            raise ValueError("certificate and private_key go together: give both or neither")
        for name in ("lockdown_seconds", "push_button_interval"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
                raise ValueError(f"{name} = {value!r}: must be a number of seconds, 0 or more")
        if (
            isinstance(self.max_connections, bool)
            or not isinstance(self.max_connections, int)
            or (self.max_connections < 1)
        ):
            raise ValueError(f"max_connections = {self.max_connections!r}: must be 1 or more")
