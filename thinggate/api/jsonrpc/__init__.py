"""The nymea JSON-RPC door (protocol 9.0): JSONRPC, Integrations and Users over TCP and WebSocket."""

from __future__ import annotations

from typing import TYPE_CHECKING

from thinggate.api.lazy import lazy_exports

if TYPE_CHECKING:
    from thinggate.api.jsonrpc.door import ANONYMOUS, JsonRpcDoor, JsonRpcSettings
    from thinggate.api.jsonrpc.transports import JsonRpcServer, Listener

__all__ = ["ANONYMOUS", "JsonRpcDoor", "JsonRpcServer", "JsonRpcSettings", "Listener"]

_HOMES = {
    "ANONYMOUS": "thinggate.api.jsonrpc.door",
    "JsonRpcDoor": "thinggate.api.jsonrpc.door",
    "JsonRpcSettings": "thinggate.api.jsonrpc.door",
    "JsonRpcServer": "thinggate.api.jsonrpc.transports",
    "Listener": "thinggate.api.jsonrpc.transports",
}


# Loaded on first use: reading the door's settings (thinggate.doors) must not load the door itself.
__getattr__ = lazy_exports(__name__, _HOMES)
