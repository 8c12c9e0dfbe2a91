"""mDNS (zeroconf) announcement of the doors, so clients find the hub as they find the originals.

One responder for every door: each door describes its services (nymea's `_jsonrpc._tcp` and `_ws._tcp`,
Ezlo's `_ezlo._tcp`), the composition root adds them as the doors start and withdraws them at stop.
"""

from __future__ import annotations

import ipaddress
import logging
import socket
from dataclasses import dataclass, field
from typing import Any

_LOG = logging.getLogger(__name__)

_WILDCARDS = frozenset({"", "0.0.0.0", "::"})


@dataclass(frozen=True, slots=True)
class Service:
    """One service to announce: type (e.g. "_ezlo._tcp.local."), instance name, port and TXT record."""

    type: str
    name: str
    port: int
    properties: dict[str, str] = field(default_factory=dict)


def interfaces_for(bind: str) -> list[str] | None:
    """The interfaces to announce on: only the bound address when the doors listen on one, else all (None)."""
    return None if bind in _WILDCARDS else [bind]


def _host_addresses(interfaces: list[str] | None) -> list[str]:
    """The addresses the A/AAAA records give: the bound one, or every non-loopback address of the host.

    Without them a client learns the host name only and must resolve it elsewhere (a host without
    its own mDNS responder is then not reachable by discovery).
    """
    if interfaces is not None:
        return interfaces
    import ifaddr  # zeroconf's own requirement: it finds its interfaces with it

    addresses = []
    for adapter in ifaddr.get_adapters():
        for ip in adapter.ips:
            text = ip.ip if isinstance(ip.ip, str) else ip.ip[0]
            address = ipaddress.ip_address(text.split("%")[0])
            if not (address.is_loopback or address.is_link_local):
                addresses.append(str(address))
    return addresses


class Announcer:
    """One mDNS responder for every door: `add` announces services, `close` withdraws them all."""

    def __init__(self, interfaces: list[str] | None = None) -> None:
        self._interfaces = interfaces
        self._zeroconf: Any = None
        self._services: list[Any] = []

    async def add(self, services: list[Service]) -> None:
        """Announce services (the responder starts with the first ones)."""
        # Imported here: a hub with discovery off never loads zeroconf.
        from zeroconf import ServiceInfo  # type: ignore[import-not-found, unused-ignore]
        from zeroconf.asyncio import AsyncZeroconf  # type: ignore[import-not-found, unused-ignore]

        if self._zeroconf is None:
            self._zeroconf = AsyncZeroconf(interfaces=self._interfaces) if self._interfaces else AsyncZeroconf()
        host = socket.gethostname()
        addresses = _host_addresses(self._interfaces)
        for service in services:
            info = ServiceInfo(
                service.type,
                f"{service.name}.{service.type}",
                port=service.port,
                properties=service.properties,
                server=f"{host}.local.",
                parsed_addresses=addresses,
            )
            await self._zeroconf.async_register_service(info, allow_name_change=True)
            self._services.append(info)
            _LOG.info("announced %s on port %d", service.type.removesuffix(".local."), service.port)

    @property
    def registered(self) -> list[Any]:
        """The zeroconf ServiceInfo records announced so far."""
        return list(self._services)

    async def close(self) -> None:
        """Withdraw every service and stop the responder."""
        if self._zeroconf is None:
            return
        # async_close sends the goodbyes of every service and waits for them (unregistering one by
        # one answers tasks that closing would cancel: clients would keep the hub until the TTL ends).
        self._services.clear()
        await self._zeroconf.async_close()
        self._zeroconf = None
