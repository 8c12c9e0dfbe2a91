"""nymea's protocol texts and the helpers the JSON-RPC protocol tests share.

Those tests (test_hello, test_messages, test_authentication, test_notifications, test_introspection,
test_permissions, test_transports and part of test_push_button) check nymea's JSON-RPC protocol rules
(reference/nymea-jsonrpc.md §1-§3, §6 items 1-17 and 55-57) over real sockets: every test talks to a
running door through real TCP or WebSocket connections, and checks the exact statuses and error texts
nymea sends (§2's table). The rig checks every reply and notification against nymea-api.json, so a
reply of the wrong shape becomes an "Internal error" that call() catches. Framing fuzzing lives in
test_framing.py.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import thinggate
import thinggate.api.jsonrpc
from tests.api.jsonrpc.rig import Closed, Rig, RpcClient
from tests.hubtools import param_id, things_named
from thinggate.core.security import SYSTEM, Scope
from thinggate.integrations.virtual.testbed import AUTO_MOCK, MOCK

API_FILE = Path(thinggate.api.jsonrpc.__file__).parent / "nymea-api.json"
API_SHA256 = "d7d97893e6e69869cede3526f8557019aa8b23762aa5cf01a3f753adb4aafa51"
IMPLEMENTED = ("JSONRPC", "Integrations", "Users")
NO_ERROR = "ThingErrorNoError"
GUEST = "guest"
GUEST_PASSWORD = "GuestPW1!"

HANDSHAKE_REQUIRED = "Handshake required. Call JSONRPC.Hello first."
INITIAL_SETUP_REQUIRED = "Initial setup required. Call JSONRPC.CreateUser first."
INVALID_TOKEN = "Forbidden: Invalid token."
TOKEN_CHANGED = "Changing the user (token) requires a new handshake. Call JSONRPC.Hello."
PERMISSION_DENIED = "Permission denied."
MISSING_ID = "Error parsing command. Missing 'id'"
PARSE_FAILED = "Failed to parse JSON data: "


def cid(value: Any) -> str:
    """A UUID in one spelling (nymea sends some with braces, some without)."""
    return str(uuid.UUID(str(value)))


def request_bytes(request_id: int, method: str, params: dict[str, Any] | None = None, token: str = "") -> bytes:
    """One request as a client would frame it (without the newline)."""
    message: dict[str, Any] = {"id": request_id, "method": method}
    if params is not None:
        message["params"] = params
    if token:
        message["token"] = token
    return json.dumps(message).encode()


async def raw_reply(client: RpcClient, request_id: int, data: bytes | str, within: float = 5.0) -> dict[str, Any]:
    """Send raw bytes and wait for the reply carrying `request_id`."""
    future = client.expect(request_id)
    await client.send_raw(data)
    return await asyncio.wait_for(future, within)


async def until(condition: Callable[[], bool], within: float = 5.0, what: str = "condition") -> None:
    """Wait until `condition()` holds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while not condition():
        if loop.time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.01)


async def unmatched(client: RpcClient, count: int, within: float = 5.0) -> list[dict[str, Any]]:
    """Wait until `count` replies nobody waited for (ids -1/0 to garbage) have arrived; they are returned."""
    await until(lambda: len(client.unmatched) >= count or client.closed.is_set(), within, f"{count} unmatched replies")
    assert len(client.unmatched) >= count, f"the server dropped the connection instead of answering: {client.unmatched}"
    return client.unmatched[:count]


async def alive(client: RpcClient) -> None:
    """The connection is still open and served (KeepAlive echoes)."""
    reply = await client.call("JSONRPC.KeepAlive", {"sessionId": "still-there"}, within=3)
    assert reply == {"success": True, "sessionId": "still-there"}


async def settled(client: RpcClient, within: float = 0.2) -> None:
    """Wait a little and check that nothing unexpected came back."""
    await asyncio.sleep(within)
    assert client.unmatched == [], client.unmatched


async def add_mock(rig: Rig, port: int, name: str = "Mock") -> uuid.UUID:
    """A `mock` thing added by the core (not through the door)."""
    result = await rig.hub.add_thing(
        SYSTEM, name=name, thing_class_id=MOCK.id, params=[(param_id(MOCK, "httpport"), port)]
    )
    assert result.ok, result
    thing_id = result.value
    assert isinstance(thing_id, uuid.UUID)
    return thing_id


def auto_thing(rig: Rig) -> uuid.UUID:
    """The virtual integration's auto-created thing."""
    [thing] = things_named(rig.hub, AUTO_MOCK.name)
    return thing.id


def control(rig: Rig) -> Any:
    """The virtual integration's test-control hook."""
    assert rig.virtual.test_control is not None
    return rig.virtual.test_control


async def wait_lockdown(seconds: float = 0.05) -> None:
    """Let the peer's lockdown (started by an auth failure) pass."""
    await asyncio.sleep(seconds * 2 + 0.02)


async def refused(client: RpcClient) -> None:
    """The server closed a fresh connection without saying anything."""
    await client.wait_closed(within=3)
    assert client.raw == []


async def hello_from(address: str, port: int) -> dict[str, Any]:
    """A Hello over plain TCP from another loopback address; its reply."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port, local_addr=(address, 0))
    try:
        writer.write(request_bytes(1, "JSONRPC.Hello") + b"\n")
        line = await asyncio.wait_for(reader.readline(), 5)
        assert line, f"the server refused a connection from {address}"
        reply: dict[str, Any] = json.loads(line)
        return reply
    finally:
        writer.close()


async def outcome(client: RpcClient, method: str, params: dict[str, Any] | None = None) -> dict[str, Any] | None:
    """The reply to a request, or None if the server dropped the connection instead."""
    if client.closed.is_set():
        return None
    request = asyncio.ensure_future(client.request(method, params, within=10))
    gone = asyncio.ensure_future(client.closed.wait())
    done, _ = await asyncio.wait({request, gone}, return_when=asyncio.FIRST_COMPLETED, timeout=10)
    gone.cancel()
    if request in done:
        with contextlib.suppress(Closed, ConnectionError):
            return request.result()
        return None
    request.cancel()
    with contextlib.suppress(BaseException):
        await request
    assert done, f"{method}: neither a reply nor a drop"
    return None


def notification_ids(client: RpcClient) -> list[int]:
    """The ids of the notifications a client has received, in order."""
    messages = [json.loads(line) for line in client.raw]
    return [message["id"] for message in messages if "notification" in message]


async def login_guest(rig: Rig, allowed: list[uuid.UUID] | None = None, scopes: Scope = Scope.CONTROL_THINGS) -> Any:
    """A connection of a restricted user (created here)."""
    await rig.security.create_user(GUEST, GUEST_PASSWORD, scopes=scopes, allowed_thing_ids=allowed or ())
    client = await rig.connect()
    await client.login(GUEST, GUEST_PASSWORD)
    return client
