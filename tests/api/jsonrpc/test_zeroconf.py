"""The JSON-RPC door is announced as nymea announces itself."""

from __future__ import annotations

import uuid

from thinggate.api.jsonrpc.discovery import jsonrpc_services
from thinggate.api.zeroconf import Announcer


async def test_tcp_and_websocket_services_with_nymea_txt_records() -> None:
    server_uuid = uuid.uuid4()
    announcer = Announcer(interfaces=["127.0.0.1"])
    await announcer.add(
        jsonrpc_services(
            name="office hub", server_uuid=server_uuid, listeners=[("tcp", 2222, True), ("ws", 4444, False)]
        )
    )
    try:
        registry = announcer._zeroconf.zeroconf.registry
        (tcp,) = registry.async_get_infos_type("_jsonrpc._tcp.local.")
        (ws,) = registry.async_get_infos_type("_ws._tcp.local.")
        assert (tcp.port, ws.port) == (2222, 4444)
        assert tcp.properties[b"jsonrpcVersion"] == b"9.0"
        assert tcp.properties[b"uuid"] == f"{{{server_uuid}}}".encode()
        assert tcp.properties[b"name"] == b"office hub"
        assert (tcp.properties[b"sslEnabled"], ws.properties[b"sslEnabled"]) == (b"true", b"false")
    finally:
        await announcer.close()
    assert not registry.async_get_infos_type("_jsonrpc._tcp.local.")
