"""The `[ezlo]` section of thinggate.toml: the Ezlo door's settings (cheap to import)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class EzloConfig:
    """Settings of the Ezlo door: wss:// always, ws:// only with insecure access, login unless anonymous."""

    tls: bool = True
    insecure_access: bool = False  # plain ws:// on the same port
    anonymous_access: bool = False  # no hub.offline.login.ui needed
    certificate: str | None = None  # PEM file; replaces the self-signed one (CN = hub serial)
    private_key: str | None = None
    zeroconf: bool = True  # announce _ezlo._tcp (TXT serial) as Ezlo hubs do

    def check(self) -> None:
        """Raise ValueError naming the first value the door cannot work with."""
        if bool(self.certificate) != bool(self.private_key):
            raise ValueError("certificate and private_key go together: give both or neither")
