"""Zeroconf announcement of the JSON-RPC listeners, as nymea makes it (`_jsonrpc._tcp`, `_ws._tcp`).

Optional: it runs only when the `zeroconf` package is installed and the setting is on.
"""

from __future__ import annotations

import logging
import socket
import uuid
from typing import Any

from thinggate import __version__
from thinggate.api.jsonrpc.packing import braced
from thinggate.api.jsonrpc.schema import PROTOCOL_VERSION

_LOG = logging.getLogger(__name__)


class Announcement:
    """Registered zeroconf services; `close` withdraws them."""

    def __init__(self, zeroconf: Any, services: list[Any]) -> None:
        self._zeroconf = zeroconf
        self._services = services

    async def close(self) -> None:
        """Withdraw the services."""
        for service in self._services:
            await self._zeroconf.async_unregister_service(service)
        await self._zeroconf.async_close()


async def announce(
    *,
    name: str,
    server_uuid: uuid.UUID,
    listeners: list[tuple[str, int, bool]],
    interfaces: list[str] | None = None,
) -> Announcement | None:
    """Announce (kind "tcp" or "ws", port, TLS) listeners; None when zeroconf is not installed."""
    try:
        from zeroconf import ServiceInfo  # type: ignore[import-not-found, unused-ignore]
        from zeroconf.asyncio import AsyncZeroconf  # type: ignore[import-not-found, unused-ignore]
    except ImportError:
        _LOG.info("zeroconf is not installed: the JSON-RPC door is not announced")
        return None
    zeroconf = AsyncZeroconf(interfaces=interfaces) if interfaces else AsyncZeroconf()
    host = socket.gethostname()
    services = []
    for kind, port, tls in listeners:
        service_type = "_jsonrpc._tcp.local." if kind == "tcp" else "_ws._tcp.local."
        info = ServiceInfo(
            service_type,
            # nymea names its services nymea-<tcp|ws>-<id>; the server id keeps two hubs apart.
            f"thinggate-{kind}-{str(server_uuid)[:8]}.{service_type}",
            port=port,
            properties={
                "jsonrpcVersion": PROTOCOL_VERSION,
                "serverVersion": __version__,
                "manufacturer": "thinggate",
                "uuid": braced(server_uuid),
                "name": name,
                "sslEnabled": "true" if tls else "false",
            },
            server=f"{host}.local.",
        )
        await zeroconf.async_register_service(info, allow_name_change=True)
        services.append(info)
    return Announcement(zeroconf, services)
