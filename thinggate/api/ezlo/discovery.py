"""The Ezlo door's mDNS service, as Ezlo hubs announce themselves (`_ezlo._tcp`, TXT `serial`)."""

from __future__ import annotations

from thinggate import __version__
from thinggate.api.zeroconf import Service


def ezlo_service(*, serial: str, port: int) -> Service:
    """The `_ezlo._tcp` service: clients (ezlo-hub-kit) read the hub's serial from the TXT record."""
    return Service(
        type="_ezlo._tcp.local.",
        # Real hubs are named like "eZLO h2.1 controller (90030191)".
        name=f"thinggate controller ({serial})",
        port=port,
        properties={"serial": serial, "firmware": __version__, "manufacturer": "thinggate"},
    )
