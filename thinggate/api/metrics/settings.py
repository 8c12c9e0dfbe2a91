"""The `[metrics]` section of thinggate.toml: the metrics door's settings (cheap to import)."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class MetricsConfig:
    """Settings of the metrics door (`GET /metrics` on `[ports] http`)."""

    enabled: bool = False  # true serves /metrics and counts every door's requests
    # Who may read /metrics (addresses or networks); anyone else is answered 403. The page tells how busy
    # the hub is, how many things it has and which links are down: not for the whole network by default.
    allowed_networks: tuple[str, ...] | list[str] = ("127.0.0.0/8", "::1/128")

    def check(self) -> None:
        """Raise ValueError naming the first value the door cannot work with."""
        if not isinstance(self.enabled, bool):
            raise ValueError(f"enabled = {self.enabled!r}: must be true or false")
        if not isinstance(self.allowed_networks, tuple | list):
            raise ValueError(f"allowed_networks = {self.allowed_networks!r}: must be a list of addresses or networks")
        for network in self.allowed_networks:
            try:
                ipaddress.ip_network(network, strict=False)
            except (TypeError, ValueError):
                raise ValueError(
                    f"allowed_networks: {network!r} is not an address or network (like 192.168.1.0/24)"
                ) from None
