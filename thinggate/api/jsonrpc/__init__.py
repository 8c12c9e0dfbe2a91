"""The nymea JSON-RPC door (protocol 9.0): JSONRPC, Integrations and Users over TCP and WebSocket."""

from thinggate.api.jsonrpc.door import ANONYMOUS, JsonRpcDoor, JsonRpcSettings
from thinggate.api.jsonrpc.transports import JsonRpcServer, Listener

__all__ = ["ANONYMOUS", "JsonRpcDoor", "JsonRpcServer", "JsonRpcSettings", "Listener"]
