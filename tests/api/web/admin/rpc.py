"""Logging in through the hub's JSON-RPC door, as a nymea client does, for the administration's tests."""

from __future__ import annotations

from typing import Any

from tests.api.jsonrpc.rig import RpcClient
from tests.api.web.rig import Rig


async def rpc_login(rig: Rig, username: str, password: str) -> tuple[bool, RpcClient]:
    """JSONRPC.Authenticate with a user name and password: whether it succeeded, and the client (token kept)."""
    client = await RpcClient.tcp(rig.server.doors["jsonrpc"].tcp_port)  # type: ignore[attr-defined]
    rig.closers.append(client.close)
    await client.hello()
    reply: dict[str, Any] = await client.call(
        "JSONRPC.Authenticate", {"username": username, "password": password, "deviceName": "admin tests"}
    )
    if reply["success"]:
        client.token = reply["token"]
    return bool(reply["success"]), client
