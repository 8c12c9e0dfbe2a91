"""The JSON-RPC door's mDNS services, as nymea announces itself (`_jsonrpc._tcp`, `_ws._tcp`)."""

from __future__ import annotations

import uuid

from thinggate import __version__
from thinggate.api.jsonrpc.packing import braced
from thinggate.api.jsonrpc.schema import PROTOCOL_VERSION
from thinggate.api.zeroconf import Service


def jsonrpc_services(*, name: str, server_uuid: uuid.UUID, listeners: list[tuple[str, int, bool]]) -> list[Service]:
    """The services of (kind "tcp" or "ws", port, TLS) listeners, with nymea's TXT record."""
    services = []
    for kind, port, tls in listeners:
        services.append(
            Service(
                type="_jsonrpc._tcp.local." if kind == "tcp" else "_ws._tcp.local.",
                # nymea names its services nymea-<tcp|ws>-<id>; the server id keeps two hubs apart.
                name=f"thinggate-{kind}-{str(server_uuid)[:8]}",
                port=port,
                properties={
                    "jsonrpcVersion": PROTOCOL_VERSION,
                    "serverVersion": __version__,
                    "manufacturer": "thinggate",
                    "uuid": braced(server_uuid),
                    "name": name,
                    "sslEnabled": "true" if tls else "false",
                },
            )
        )
    return services
