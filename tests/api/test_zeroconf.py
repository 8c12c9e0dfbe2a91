"""Discovery in a default install: a started hub is found by a real mDNS browser on the loopback.

The hub (the composition root, bound to 127.0.0.1 so the announcement stays on the loopback)
announces nymea's `_jsonrpc._tcp` and `_ws._tcp` and, as Ezlo hubs do, `_ezlo._tcp` with the hub
serial in TXT `serial`. A second zeroconf instance browses for them as a client would.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from zeroconf import ServiceStateChange, Zeroconf
from zeroconf.asyncio import AsyncServiceBrowser, AsyncServiceInfo, AsyncZeroconf

from thinggate.api.ezlo.ids import hub_serial
from thinggate.api.ezlo.settings import EzloConfig
from thinggate.api.jsonrpc.settings import JsonRpcConfig
from thinggate.config import Config, Ports, VirtualConfig
from thinggate.server import Server, start_server

TYPES = ("_ezlo._tcp.local.", "_jsonrpc._tcp.local.", "_ws._tcp.local.")


@pytest.fixture
async def server(tmp_path: Path) -> AsyncIterator[Server]:
    # Default discovery settings: nothing here turns zeroconf on.
    config = Config(
        data_dir=tmp_path,
        bind="127.0.0.1",
        ports=Ports(jsonrpc_tcp=0, jsonrpc_ws=0, ezlo=0, thinknx=None, http=None),
        doors={
            "jsonrpc": JsonRpcConfig(tcp_tls=False, ws_tls=False),
            "ezlo": EzloConfig(tls=False, insecure_access=True),
        },
        virtual=VirtualConfig(),
    )
    running = await start_server(config)
    try:
        yield running
    finally:
        await running.stop()


class Browser:
    """A zeroconf client on the loopback: which services of TYPES came and went, by name."""

    def __init__(self) -> None:
        self.zeroconf = AsyncZeroconf(interfaces=["127.0.0.1"])
        self.events: asyncio.Queue[tuple[ServiceStateChange, str, str]] = asyncio.Queue()
        self.browser = AsyncServiceBrowser(self.zeroconf.zeroconf, list(TYPES), handlers=[self._on_change])

    def _on_change(self, zeroconf: Zeroconf, service_type: str, name: str, state_change: ServiceStateChange) -> None:
        self.events.put_nowait((state_change, service_type, name))

    async def resolve(self, service_type: str, name: str) -> AsyncServiceInfo:
        """The service's SRV, TXT and address records, asked for as a client does."""
        info = AsyncServiceInfo(service_type, name)
        assert await info.async_request(self.zeroconf.zeroconf, 3000), name
        return info

    async def found(self, wanted: dict[str, str], within: float = 10.0) -> dict[str, AsyncServiceInfo]:
        """Wait until services of each type are announced whose name holds `wanted[type]`."""
        seen: dict[str, AsyncServiceInfo] = {}
        async with asyncio.timeout(within):
            while len(seen) < len(wanted):
                change, service_type, name = await self.events.get()
                if change is ServiceStateChange.Added and wanted.get(service_type, "\0") in name:
                    seen[service_type] = await self.resolve(service_type, name)
        return seen

    async def removed(self, service_type: str, name: str, within: float = 10.0) -> None:
        """Wait until that service is withdrawn."""
        async with asyncio.timeout(within):
            while (await self.events.get()) != (ServiceStateChange.Removed, service_type, name):
                pass

    async def close(self) -> None:
        await self.browser.async_cancel()
        await self.zeroconf.async_close()


async def test_every_door_is_found_by_an_mdns_browser_ezlo_with_its_serial(server: Server) -> None:
    assert server.doors["jsonrpc"] is not None and server.doors["ezlo"] is not None
    serial = hub_serial(server.server_uuid)
    short_id = str(server.server_uuid)[:8]
    browser = Browser()
    try:
        found = await browser.found(
            {"_ezlo._tcp.local.": f"({serial})", "_jsonrpc._tcp.local.": short_id, "_ws._tcp.local.": short_id}
        )
        ezlo = found["_ezlo._tcp.local."]
        assert ezlo.properties[b"serial"] == serial.encode()
        assert ezlo.port == server.doors["ezlo"].port
        assert "127.0.0.1" in ezlo.parsed_addresses()
        assert found["_jsonrpc._tcp.local."].port == server.doors["jsonrpc"].tcp_port
        assert found["_ws._tcp.local."].port == server.doors["jsonrpc"].ws_port
        assert found["_jsonrpc._tcp.local."].properties[b"uuid"] == f"{{{server.server_uuid}}}".encode()

        await server.stop()  # the fixture's second stop finds nothing left to withdraw
        await browser.removed("_ezlo._tcp.local.", ezlo.name)
    finally:
        await browser.close()
