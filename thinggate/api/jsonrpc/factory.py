"""Builds the nymea JSON-RPC door from the shared door context and its `[jsonrpc]` settings."""

from __future__ import annotations

import json
from typing import Any

from thinggate.api.door import ControlCommand, DoorContext
from thinggate.api.jsonrpc.discovery import jsonrpc_services
from thinggate.api.jsonrpc.door import JsonRpcDoor, JsonRpcSettings
from thinggate.api.jsonrpc.pushbutton import PushButtonAuth, WaitingRequest
from thinggate.api.jsonrpc.settings import JsonRpcConfig
from thinggate.api.jsonrpc.transports import JsonRpcServer, Listener
from thinggate.api.tls import server_context


async def build(context: DoorContext, settings: JsonRpcConfig) -> JsonRpcServer | None:
    """The door on `[ports] jsonrpc_tcp` and `jsonrpc_ws` (None when both are closed), started."""
    ports = context.ports
    if ports.jsonrpc_tcp is None and ports.jsonrpc_ws is None:
        return None
    door = JsonRpcDoor(
        hub=context.hub,
        security=context.security,
        server_uuid=context.server_uuid,
        settings=JsonRpcSettings(
            server_name=settings.server_name,
            lockdown_seconds=settings.lockdown_seconds,
            max_connections=settings.max_connections,
            logins_waiting=context.guard.limits.logins_waiting_per_address,
            push_button_interval=settings.push_button_interval,
        ),
        limiter=context.login_limiter,
    )
    door.meter = context.request_meter
    tls = server_context(context.hub_certificate()) if settings.tcp_tls or settings.ws_tls else None
    tcp = ws = None
    if ports.jsonrpc_tcp is not None:
        tcp = Listener(ports.jsonrpc_tcp, tls if settings.tcp_tls else None, settings.tcp_authentication)
    if ports.jsonrpc_ws is not None:
        ws = Listener(ports.jsonrpc_ws, tls if settings.ws_tls else None, settings.ws_authentication)
    server = JsonRpcServer(door, host=context.bind, tcp=tcp, websocket=ws, guard=context.guard)
    await server.start()
    context.control_commands["pushbutton"] = push_button_command(door.push_button)
    if settings.zeroconf:
        listeners = []
        if server.tcp_port is not None:
            listeners.append(("tcp", server.tcp_port, settings.tcp_tls))
        if server.ws_port is not None:
            listeners.append(("ws", server.ws_port, settings.ws_tls))
        await context.announcer.add(
            jsonrpc_services(name=settings.server_name, server_uuid=context.server_uuid, listeners=listeners)
        )
    return server


def _waiting_json(request: WaitingRequest) -> dict[str, Any]:
    return {
        "transactionId": request.transaction_id,
        "address": request.address,
        "deviceName": request.device_name,
        "since": request.since.isoformat(),
    }


def push_button_command(push_button: PushButtonAuth) -> ControlCommand:
    """Control command `pushbutton list` (JSON) and `pushbutton grant TRANSACTION_ID`."""

    async def command(args: list[str]) -> str:
        if args == ["list"]:
            return json.dumps({"waiting": [_waiting_json(request) for request in push_button.waiting()]})
        if len(args) == 2 and args[0] == "grant":
            try:
                transaction_id = int(args[1])
            except ValueError:
                raise ValueError(f"not a transaction id: {args[1]!r}") from None
            granted = await push_button.grant(transaction_id)  # LookupError: answered as an error line
            return json.dumps({"granted": _waiting_json(granted)})
        raise ValueError("use: pushbutton list | pushbutton grant TRANSACTION_ID")

    return command
