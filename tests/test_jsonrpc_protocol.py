"""nymea's JSON-RPC protocol rules (reference/nymea-jsonrpc.md §1-§3, §6 items 1-17 and 55-57) over real sockets.

Every test talks to a running door through real TCP or WebSocket connections, and checks the exact
statuses and error texts nymea sends (§2's table). The rig checks every reply and notification
against nymea-api.json, so a reply of the wrong shape becomes an "Internal error" that call() catches.
Framing fuzzing lives in test_jsonrpc_framing.py.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import socket
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import aiohttp
import pytest

import thinggate
import thinggate.api.jsonrpc
from tests.hubtools import param_id, state_id, things_named
from tests.jsonrpc_tools import ADMIN, ADMIN_PASSWORD, SERVER_UUID, Closed, Rig, RpcClient, jsonrpc_rig
from thinggate.api.guard import ListenerLimits
from thinggate.api.jsonrpc import JsonRpcSettings
from thinggate.api.jsonrpc.framing import MAX_BUFFER, PRE_LOGIN_BUFFER
from thinggate.api.jsonrpc.schema import Schema, ValidationError
from thinggate.api.jsonrpc.session import MAX_WRITE_BUFFER
from thinggate.core.security import SYSTEM, Scope
from thinggate.integrations.virtual import PLUGIN
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


# ---------------------------------------------------------------- helpers


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
    assert rig.virtual.control is not None
    return rig.virtual.control


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


# ---------------------------------------------------------------- §6.1-2: Hello


def test_defaults_are_nymeas_timings_and_limits() -> None:
    settings = JsonRpcSettings()
    assert settings.hello_timeout == 10.0  # §3.1
    assert settings.lockdown_seconds == 3.0  # §3.2
    assert MAX_BUFFER == 1024 * 1024  # §1


async def test_hello_without_token_reports_the_nymea_handshake_fields(tmp_path: Path) -> None:
    async with jsonrpc_rig(tmp_path) as rig:
        await rig.ensure_admin()
        client = await rig.connect()
        hello = await client.hello()
        assert hello["server"] == "nymea"
        assert hello["name"] == rig.door.settings.server_name
        assert hello["version"] == thinggate.__version__
        assert hello["uuid"] == "{" + SERVER_UUID + "}"
        assert hello["locale"] == "en_US"
        assert hello["language"] == "en_US"
        assert hello["protocol version"] == "9.0"
        assert hello["initialSetupRequired"] is False
        assert hello["authenticationRequired"] is True
        assert isinstance(hello["pushButtonAuthAvailable"], bool)
        # Without a token, nothing is said about a user.
        assert "authenticated" not in hello and "username" not in hello and "permissionScopes" not in hello
        # Hello may be repeated at any time.
        assert (await client.hello())["uuid"] == hello["uuid"]


async def test_hello_with_a_token_reports_the_user_and_its_scopes(tmp_path: Path) -> None:
    async with jsonrpc_rig(tmp_path) as rig:
        client = await rig.admin()
        hello = await client.hello()
        assert hello["authenticated"] is True
        assert hello["username"] == ADMIN
        assert "PermissionScopeAdmin" in hello["permissionScopes"]
        version = await client.call("JSONRPC.Version")
        assert version["version"] == hello["version"] == thinggate.__version__


async def test_hello_on_a_transport_without_authentication_requires_no_setup(tmp_path: Path) -> None:
    async with jsonrpc_rig(tmp_path, authentication=False) as rig:
        client = await rig.connect()
        hello = await client.hello()
        # No user exists, but initial setup is only required where authentication is on.
        assert hello["initialSetupRequired"] is False
        assert hello["authenticationRequired"] is False
        await client.call("Integrations.GetThings")


async def test_hello_locale_de_DE_translates_thing_class_display_names(tmp_path: Path) -> None:
    async with jsonrpc_rig(tmp_path) as rig:
        german = await rig.admin()
        english = await rig.admin()

        def names(reply: dict[str, Any]) -> dict[str, str]:
            return {cid(c["id"]): c["displayName"] for c in reply["thingClasses"]}

        before = names(await german.call("Integrations.GetThingClasses"))
        assert before[str(MOCK.id)] == "Virtual test thing"
        assert before[str(AUTO_MOCK.id)] == "Virtual auto thing"

        hello = await german.hello(locale="de_DE")
        assert hello["locale"] == "de_DE"
        assert hello["language"] == "de_DE"
        translated = names(await german.call("Integrations.GetThingClasses"))
        assert translated[str(MOCK.id)] == "Virtuelles Testgerät"
        assert translated[str(AUTO_MOCK.id)] == "Virtuelles Gerät (automatisch erstellt)"

        # The locale belongs to the connection.
        assert names(await english.call("Integrations.GetThingClasses")) == before
        # de_AT is German too (nymea's integration tests use it).
        assert (await german.hello(locale="de_AT"))["locale"] == "de_AT"
        assert names(await german.call("Integrations.GetThingClasses"))[str(MOCK.id)] == "Virtuelles Testgerät"
        # And back.
        await german.hello(locale="en_US")
        assert names(await german.call("Integrations.GetThingClasses")) == before


# ---------------------------------------------------------------- §6.3, 7, 8: framing


@pytest.mark.parametrize("kind", ["tcp", "ws"])
@pytest.mark.parametrize("ending", ["", "\n", "\n\n\n\n"], ids=["bare", "newline", "newlines"])
async def test_request_with_or_without_trailing_newlines_is_answered(tmp_path: Path, kind: str, ending: str) -> None:
    async with jsonrpc_rig(tmp_path) as rig:
        client = await rig.admin(kind)
        for request_id in (42, 43):
            data = request_bytes(request_id, "JSONRPC.Version", token=client.token) + ending.encode()
            reply = await raw_reply(client, request_id, data)
            assert reply["id"] == request_id
            assert reply["status"] == "success"
            assert reply["params"]["protocol version"] == "9.0"
        await settled(client)


@pytest.mark.parametrize("kind", ["tcp", "ws"])
@pytest.mark.parametrize("pieces", [2, 3])
async def test_message_split_over_packets_gets_exactly_one_reply(tmp_path: Path, kind: str, pieces: int) -> None:
    async with jsonrpc_rig(tmp_path) as rig:
        client = await rig.admin(kind)
        data = request_bytes(7, "JSONRPC.KeepAlive", {"sessionId": "fragmented ✓"}, client.token) + b"\n"
        size = len(data) // pieces
        cuts = [data[i * size : (i + 1) * size] for i in range(pieces - 1)] + [data[(pieces - 1) * size :]]
        future = client.expect(7)
        lines_before = len(client.raw)
        for cut in cuts:
            await client.send_raw(cut)
            await asyncio.sleep(0.05)  # separate reads on the server
        reply = await asyncio.wait_for(future, 5)
        assert reply == {"id": 7, "status": "success", "params": {"success": True, "sessionId": "fragmented ✓"}}
        await settled(client)
        assert len(client.raw) == lines_before + 1


@pytest.mark.parametrize("kind", ["tcp", "ws"])
async def test_complete_message_followed_by_a_partial_one_answers_the_first(tmp_path: Path, kind: str) -> None:
    async with jsonrpc_rig(tmp_path) as rig:
        client = await rig.admin(kind)
        second = request_bytes(2, "JSONRPC.KeepAlive", {"sessionId": "two"}, client.token) + b"\n"
        first = client.expect(1)
        later = client.expect(2)
        head = request_bytes(1, "JSONRPC.KeepAlive", {"sessionId": "one"}, client.token) + b"\n" + second[:20]
        await client.send_raw(head)
        assert (await asyncio.wait_for(first, 5))["params"] == {"success": True, "sessionId": "one"}
        await asyncio.sleep(0.1)
        assert not later.done()
        await client.send_raw(second[20:])
        assert (await asyncio.wait_for(later, 5))["params"] == {"success": True, "sessionId": "two"}
        await settled(client)


@pytest.mark.parametrize("kind", ["tcp", "ws"])
async def test_more_than_one_mib_of_garbage_drops_the_connection(tmp_path: Path, kind: str) -> None:
    async with jsonrpc_rig(tmp_path) as rig:
        bystander = await rig.admin()
        client = await rig.admin(kind)
        chunk = b"{" + b"garbage " * 8192  # never a complete message
        sent = 0
        with contextlib.suppress(ConnectionError, RuntimeError, OSError):
            while sent <= MAX_BUFFER + len(chunk) and not client.closed.is_set():
                await client.send_raw(chunk)
                sent += len(chunk)
        await client.wait_closed(within=5)
        assert client.unmatched == []  # dropped, not answered
        await alive(bystander)
        await until(lambda: len(rig.door.sessions) == 1, what="the dropped session to go")


@pytest.mark.parametrize("kind", ["tcp", "ws"])
async def test_before_login_a_client_gets_64_kib_of_patience_not_one_mib(tmp_path: Path, kind: str) -> None:
    # Issue 11: 20 clients streaming an endless message each made the hub hold and scan 1 MiB apiece.
    async with jsonrpc_rig(tmp_path) as rig:
        await rig.ensure_admin()
        stranger = await rig.connect(kind)
        await stranger.hello()
        chunk = b"{" + b"garbage " * 1024
        with contextlib.suppress(ConnectionError, RuntimeError, OSError):
            for _ in range(PRE_LOGIN_BUFFER // len(chunk) + 2):
                await stranger.send_raw(chunk)
        await stranger.wait_closed(within=5)
        member = await rig.admin(kind)  # logged in: the same bytes and more are kept
        for _ in range(PRE_LOGIN_BUFFER // len(chunk) + 2):
            await member.send_raw(chunk)
        await asyncio.sleep(0.2)
        assert not member.closed.is_set()


async def test_garbage_below_one_mib_is_kept_until_it_completes(tmp_path: Path) -> None:
    async with jsonrpc_rig(tmp_path) as rig:
        client = await rig.admin()
        chunk = b"garbage " * 8192
        await client.send_raw(b"{")
        for _ in range((MAX_BUFFER - 64 * 1024) // len(chunk)):
            await client.send_raw(chunk)
        await asyncio.sleep(0.2)
        assert not client.closed.is_set()
        # Once it ends in a closing brace it is a (broken) message: a parse error, and the buffer is clear.
        await client.send_raw(b"}\n")
        [reply] = await unmatched(client, 1)
        assert reply["id"] == -1 and reply["status"] == "error" and reply["error"].startswith(PARSE_FAILED)
        await alive(client)


@pytest.mark.parametrize("kind", ["tcp", "ws"])
async def test_oversized_message_drops_the_connection(tmp_path: Path, kind: str) -> None:
    async with jsonrpc_rig(tmp_path) as rig:
        bystander = await rig.admin()
        client = await rig.admin(kind)
        # Just below the limit is fine (and answered in full)...
        big = "x" * (MAX_BUFFER - 1024)
        reply = await client.call("JSONRPC.KeepAlive", {"sessionId": big})
        assert reply == {"success": True, "sessionId": big}
        # ...one message beyond 1 MiB is not.
        huge = request_bytes(99, "JSONRPC.KeepAlive", {"sessionId": "x" * (MAX_BUFFER + 200_000)}, client.token)
        future = client.expect(99)
        with contextlib.suppress(ConnectionError, RuntimeError, OSError):
            await client.send_raw(huge + b"\n")
        await client.wait_closed()
        with pytest.raises(Closed):
            await future
        await alive(bystander)


# ---------------------------------------------------------------- §6.4-6: bad requests


@pytest.mark.parametrize("kind", ["tcp", "ws"])
async def test_missing_or_non_integer_id_gives_error_with_id_0(tmp_path: Path, kind: str) -> None:
    async with jsonrpc_rig(tmp_path) as rig:
        client = await rig.admin(kind)
        for message in (
            {"method": "JSONRPC.Version", "token": client.token},
            {"id": "abc", "method": "JSONRPC.Version", "token": client.token},
            {"id": None, "method": "JSONRPC.Version", "token": client.token},
        ):
            client.unmatched.clear()
            await client.send_raw(json.dumps(message) + "\n")
            [reply] = await unmatched(client, 1)
            assert reply == {"id": 0, "status": "error", "error": MISSING_ID}
        await alive(client)


@pytest.mark.parametrize("kind", ["tcp", "ws"])
async def test_broken_json_gives_parse_error_with_id_minus_1(tmp_path: Path, kind: str) -> None:
    async with jsonrpc_rig(tmp_path) as rig:
        client = await rig.admin(kind)
        for broken in ('{"id": 1, "method": "JSONRPC.Version",}\n', '{"id": 1 "method": "JSONRPC.Version"}\n'):
            client.unmatched.clear()
            await client.send_raw(broken)
            [reply] = await unmatched(client, 1)
            assert reply["id"] == -1
            assert reply["status"] == "error"
            assert reply["error"].startswith(PARSE_FAILED), reply
        await alive(client)


async def test_invalid_utf8_gets_a_parse_error_and_the_connection_stays(tmp_path: Path) -> None:
    async with jsonrpc_rig(tmp_path) as rig:
        bystander = await rig.admin()
        client = await rig.admin()  # TCP: a WebSocket text frame cannot carry invalid UTF-8 at all
        for broken in (
            b'{"id": 5, "method": "JSONRPC.KeepAlive", "params": {"sessionId": "\x80"}}\n',
            b'{"\xff": 1}\n',
        ):
            client.unmatched.clear()
            await client.send_raw(broken)
            [reply] = await unmatched(client, 1)
            assert reply["id"] == -1
            assert reply["status"] == "error"
            assert reply["error"].startswith(PARSE_FAILED), reply
        await alive(client)
        await alive(bystander)


@pytest.mark.parametrize("value", ["[1, 2, 3]", "42", '"hello"', "null", "[{}]"])
async def test_json_that_is_not_an_object_gets_an_error_and_the_connection_stays(tmp_path: Path, value: str) -> None:
    async with jsonrpc_rig(tmp_path) as rig:
        client = await rig.admin()
        await client.send_raw(value + "\n")
        [reply] = await unmatched(client, 1)
        assert reply["status"] == "error"
        assert reply["id"] in (-1, 0)
        assert reply["error"] == MISSING_ID or reply["error"].startswith(PARSE_FAILED), reply
        await alive(client)


async def test_bad_method_forms_unknown_namespaces_and_methods_get_errors_with_the_same_id(tmp_path: Path) -> None:
    async with jsonrpc_rig(tmp_path) as rig:
        client = await rig.admin()
        token = client.token
        cases: list[tuple[dict[str, Any], str]] = [
            ({"id": 11, "token": token}, "Error parsing method. Got: ''', Expected: 'Namespace.method'"),
            (
                {"id": 12, "method": "JSONRPCIntrospect", "token": token},
                "Error parsing method. Got: 'JSONRPCIntrospect'', Expected: 'Namespace.method'",
            ),
            (
                {"id": 13, "method": "JSONRPC.Introspect.Now", "token": token},
                "Error parsing method. Got: 'JSONRPC.Introspect.Now'', Expected: 'Namespace.method'",
            ),
            ({"id": 14, "method": "FOO.Introspect", "token": token}, "No such namespace"),
            ({"id": 15, "method": "JSONRPC.Foobar", "token": token}, "No such method"),
        ]
        for message, text in cases:
            reply = await raw_reply(client, message["id"], json.dumps(message) + "\n")
            assert reply == {"id": message["id"], "status": "error", "error": text}
        await alive(client)


async def test_unknown_param_key_and_wrong_param_types_give_invalid_params(tmp_path: Path) -> None:
    async with jsonrpc_rig(tmp_path) as rig:
        client = await rig.admin()
        reply = await client.request("JSONRPC.Introspect", {"törööö": "chooo-chooo"})
        assert reply["status"] == "error"
        assert reply["error"] == "Invalid params: Invalid key: törööö in JSONRPC.Introspect, param törööö"

        reply = await client.request("Integrations.GetStateValue", {"thingId": str(auto_thing(rig))})
        assert reply == {
            "id": reply["id"],
            "status": "error",
            "error": "Invalid params: Missing required key: stateTypeId in Integrations.GetStateValue, "
            "param stateTypeId",
        }
        wrong_types: list[tuple[str, dict[str, Any], str]] = [
            ("Integrations.GetThings", {"thingId": 5}, "thingId"),
            ("Integrations.GetThings", {"thingId": {"id": 1}}, "thingId"),
            ("JSONRPC.SetNotificationStatus", {"namespaces": "Integrations"}, "namespaces"),
            ("JSONRPC.KeepAlive", {"sessionId": {"a": 1}}, "sessionId"),
            ("Integrations.GetThingClasses", {"thingClassIds": [str(MOCK.id), [1]]}, "thingClassIds"),
            # §6.26: Param.value is required.
            (
                "Integrations.AddThing",
                {"name": "x", "thingClassId": str(MOCK.id), "thingParams": [{"paramTypeId": str(uuid.uuid4())}]},
                "thingParams",
            ),
        ]
        for method, params, path in wrong_types:
            reply = await client.request(method, params)
            assert reply["status"] == "error", (method, params, reply)
            assert reply["error"].startswith("Invalid params: "), reply
            assert f" in {method}, param {path}" in reply["error"], reply
        # Domain errors are not protocol errors.
        reply = await client.request("Integrations.GetThings", {"thingId": str(uuid.uuid4())})
        assert reply["status"] == "success"
        assert reply["params"] == {"thingError": "ThingErrorThingNotFound"}
        await alive(client)


# What the door takes as it is (no walk, no copy) must be exactly what check_params returns unchanged.
_CANONICAL: dict[str, Any] = {
    "Uuid": "{8c2d4d70-8c88-4d0c-9a1c-0d1f2f4b1a11}",
    "String": "text",
    "StringList": ["a", "b"],
    "Int": -7,
    "Uint": 7,
    "Double": 1.5,
    "Bool": True,
    "Variant": {"any": [1, "thing"]},
    "Color": "#ff0000",
    "Time": "12:30",
    "Object": {"key": 1},
}
# Per basic type, values the checker converts (so they are not as they are) or refuses.
_NOT_AS_IS: dict[str, list[Any]] = {
    "Uuid": [5, None],
    "String": [5, True, None, ["x"]],
    "StringList": ["a", [1], None],
    "Int": ["7", 7.0, True, 2**63, None],
    "Uint": [-1, "7", 7.0, False],
    "Double": ["1.5", True, None],
    "Bool": ["true", 1, None],
    "Variant": [],
    "Color": ["red", 5],
    "Time": ["25:00", 1230],
    "Object": [[], "x"],
}


def _examples(schema: Any, definition: Any, depth: int = 0) -> tuple[Any, list[Any]]:
    """A value of the definition with every key, in canonical form; and values that differ from it in one place
    so that check_params would convert or refuse them."""
    if isinstance(definition, str) and definition.startswith("$ref:"):
        name = definition[5:]
        if name in schema.enums:
            return schema.enums[name][0], ["NotAnEnumValue", 0]
        if name in schema.flags:
            return _examples(schema, schema.flags[name], depth)
        return _examples(schema, schema.types[name], depth + 1)
    if isinstance(definition, str):
        return _CANONICAL[definition], list(_NOT_AS_IS[definition])
    if isinstance(definition, list):
        item, wrong_items = _examples(schema, definition[0], depth)
        return [item, item], [{"not": "a list"}] + [[item, wrong] for wrong in wrong_items]
    value: dict[str, Any] = {}
    fields: list[tuple[str, Any, bool]] = []
    for raw_key, sub in definition.items():
        flags = ""
        key = raw_key
        while len(key) > 2 and key[1] == ":" and key[0] in "ord":
            flags, key = flags + key[0], key[2:]
        if depth > 3 and "o" in flags:
            continue  # types that nest in themselves: deep enough
        fields.append((key, sub, "o" not in flags and "r" not in flags))
    for key, sub, _ in fields:
        value[key], _ = _examples(schema, sub, depth)
    wrong: list[Any] = [["not", "an object"], {**value, "noSuchKey": 1}]
    for key, sub, required in fields:
        _, wrong_values = _examples(schema, sub, depth)
        wrong.extend({**value, key: bad} for bad in wrong_values)
        if required:
            wrong.append({k: v for k, v in value.items() if k != key})
    return value, wrong


def test_params_taken_as_they_are_are_exactly_those_check_params_returns_unchanged() -> None:
    schema = Schema.load()
    for name, spec in schema.methods.items():
        example, wrong = _examples(schema, spec.params)
        as_is = schema.params_test(name)
        assert as_is(example), name
        assert json.dumps(spec.check_params(example, "")) == json.dumps(example), name
        for value in wrong:
            assert not as_is(value), (name, value)
            try:
                checked = spec.check_params(value, "")
            except ValidationError:
                continue
            assert json.dumps(checked) != json.dumps(value), (name, value)  # converted, so not as it was


# ---------------------------------------------------------------- §3.1: the handshake


@pytest.mark.parametrize("kind", ["tcp", "ws"])
async def test_client_that_never_says_hello_is_dropped_after_the_hello_timeout(tmp_path: Path, kind: str) -> None:
    async with jsonrpc_rig(tmp_path, hello_timeout=0.3) as rig:
        await rig.ensure_admin()
        polite = await rig.admin(kind)
        silent = await rig.connect(kind)
        await silent.wait_closed(within=3)
        assert silent.raw == []
        # A client that said Hello in time stays past the timeout.
        await asyncio.sleep(0.4)
        await alive(polite)
        await until(lambda: len(rig.door.sessions) == 1, what="the silent session to go")


@pytest.mark.parametrize("method", ["Integrations.GetThings", "JSONRPC.Introspect", "JSONRPC.Authenticate"])
async def test_call_before_hello_gets_handshake_required_and_a_disconnect(tmp_path: Path, method: str) -> None:
    async with jsonrpc_rig(tmp_path) as rig:
        await rig.ensure_admin()
        client = await rig.connect()
        params = {"username": ADMIN, "password": ADMIN_PASSWORD, "deviceName": "x"} if "Auth" in method else None
        reply = await client.request(method, params)
        assert reply == {"id": reply["id"], "status": "error", "error": HANDSHAKE_REQUIRED}
        await client.wait_closed()


# ---------------------------------------------------------------- §6.9: initial setup


async def test_initial_setup_flow(tmp_path: Path) -> None:
    async with jsonrpc_rig(tmp_path) as rig:
        assert not rig.security.has_users
        # Anything but Hello, CreateUser and RequestPushButtonAuth is refused, with a disconnect.
        for method in ("JSONRPC.Introspect", "Integrations.GetThings"):
            client = await rig.connect()
            hello = await client.hello()
            assert hello["initialSetupRequired"] is True
            assert hello["authenticationRequired"] is True
            reply = await client.request(method)
            assert reply == {"id": reply["id"], "status": "unauthorized", "error": INITIAL_SETUP_REQUIRED}
            await client.wait_closed()
            await wait_lockdown()

        client = await rig.connect()
        await client.hello()
        bad_name = await client.request("JSONRPC.CreateUser", {"username": "a", "password": ADMIN_PASSWORD})
        assert bad_name["status"] == "success"
        assert bad_name["params"] == {"error": "UserErrorInvalidUserId"}
        bad_password = await client.request("JSONRPC.CreateUser", {"username": "Dummy", "password": "weak"})
        assert bad_password["status"] == "success"
        assert bad_password["params"] == {"error": "UserErrorBadPassword"}
        assert not rig.security.has_users
        assert (await client.hello())["initialSetupRequired"] is True

        created = await client.call("JSONRPC.CreateUser", {"username": "Dummy", "password": ADMIN_PASSWORD})
        assert created == {"error": "UserErrorNoError"}
        assert (await client.hello())["initialSetupRequired"] is False
        # The new user is an admin who can log in (the user name in lower case).
        token = await client.login("dummy", ADMIN_PASSWORD)
        assert token
        assert (await client.call("Users.GetUserInfo"))["userInfo"]["username"].lower() == "dummy"

        # Once a user exists, CreateUser without a token is unauthorized.
        late = await rig.connect()
        await late.hello()
        reply = await late.request("JSONRPC.CreateUser", {"username": "Other", "password": ADMIN_PASSWORD})
        assert reply == {"id": reply["id"], "status": "unauthorized", "error": INVALID_TOKEN}
        await late.wait_closed()
        assert [u.username for u in rig.security.users()] == ["dummy"]


# ---------------------------------------------------------------- §6.10-12: tokens


async def test_authenticate_right_and_wrong(tmp_path: Path) -> None:
    async with jsonrpc_rig(tmp_path, lockdown_seconds=1.0) as rig:
        await rig.security.create_user("Dummy", ADMIN_PASSWORD)
        for username in ("dummy", "DUMMY"):
            client = await rig.connect()
            await client.hello()
            reply = await client.call(
                "JSONRPC.Authenticate", {"username": username, "password": ADMIN_PASSWORD, "deviceName": "tests"}
            )
            assert reply["success"] is True
            assert isinstance(reply["token"], str) and reply["token"]
            client.token = reply["token"]
            assert (await client.call("Integrations.GetThings"))["thingError"] == NO_ERROR

        client = await rig.connect()
        await client.hello()
        wrong_password = await client.call(
            "JSONRPC.Authenticate", {"username": "dummy", "password": "WrongPW1!", "deviceName": "tests"}
        )
        assert wrong_password == {"success": False}
        # Still connected: Hello needs no token.
        assert (await client.hello())["initialSetupRequired"] is False
        # A second failure during the lockdown: success:false, then the connection is dropped.
        wrong_user = await client.call(
            "JSONRPC.Authenticate", {"username": "nobody", "password": ADMIN_PASSWORD, "deviceName": "tests"}
        )
        assert wrong_user == {"success": False}
        await client.wait_closed()


async def test_token_mismatch_is_unauthorized_drops_and_locks_down_new_connections(tmp_path: Path) -> None:
    lockdown = 1.0
    async with jsonrpc_rig(tmp_path, lockdown_seconds=lockdown) as rig:
        bystander = await rig.admin()
        client = await rig.admin()
        reply = await client.request("Integrations.GetThings", token="not-the-token-from-hello")
        assert reply == {"id": reply["id"], "status": "unauthorized", "error": TOKEN_CHANGED}
        await client.wait_closed()
        started = asyncio.get_running_loop().time()

        # New connections from this peer are refused during the lockdown...
        await refused(await rig.connect("tcp"))
        await refused(await rig.connect("ws"))
        # ...while connections that were already there go on,
        await alive(bystander)
        # and other peers are not locked out (the lockdown is per peer address).
        assert (await hello_from("127.0.0.2", rig.tcp_port))["status"] == "success"

        left = lockdown - (asyncio.get_running_loop().time() - started)
        await asyncio.sleep(max(0.0, left) + 0.1)
        after = await rig.admin()
        await alive(after)

        # A request without a token after a Hello with one is a mismatch too (absent == "").
        reply = await after.request("JSONRPC.KeepAlive", {"sessionId": "x"}, token="")
        assert reply == {"id": reply["id"], "status": "unauthorized", "error": TOKEN_CHANGED}
        await after.wait_closed()


async def test_removed_token_is_refused_in_hello_and_calls(tmp_path: Path) -> None:
    async with jsonrpc_rig(tmp_path) as rig:
        admin = await rig.admin()
        victim = await rig.admin()
        token = victim.token
        info = rig.security.token_info(token)
        assert info is not None
        tokens = await admin.call("Users.GetTokens")
        assert cid(info.id) in {cid(t["id"]) for t in tokens["tokenInfoList"]}
        await victim.close()

        removed = await admin.call("Users.RemoveToken", {"tokenId": str(info.id)})
        assert removed == {"error": "UserErrorNoError"}

        client = await rig.connect()
        client.token = token
        hello = await client.hello()
        assert hello["authenticated"] is False
        assert "username" not in hello
        await wait_lockdown()  # the bad token in Hello started a lockdown
        reply = await client.request("Integrations.GetThings")
        assert reply == {"id": reply["id"], "status": "unauthorized", "error": INVALID_TOKEN}
        await client.wait_closed()
        await alive(admin)


async def test_revoking_a_token_in_use_closes_that_connection_at_once(tmp_path: Path) -> None:
    async with jsonrpc_rig(tmp_path) as rig:
        admin = await rig.admin()
        victim = await rig.admin("ws")
        bystander = await rig.admin()  # the same user with another token keeps its connection
        await victim.notify("Integrations")
        thing_id = auto_thing(rig)
        control(rig).set_state(thing_id, "int", 11)
        assert (await victim.notification("Integrations.StateChanged"))["value"] == 11

        info = rig.security.token_info(victim.token)
        assert info is not None
        assert await admin.call("Users.RemoveToken", {"tokenId": str(info.id)}) == {"error": "UserErrorNoError"}
        await victim.wait_closed()  # without a call of its own

        await admin.notify("Integrations")
        control(rig).set_state(thing_id, "int", 12)
        assert (await admin.notification("Integrations.StateChanged"))["value"] == 12
        await victim.no_notification(0.1)
        await alive(admin)
        await alive(bystander)


async def test_a_client_revoking_its_own_token_gets_the_reply_then_is_closed(tmp_path: Path) -> None:
    async with jsonrpc_rig(tmp_path) as rig:
        client = await rig.admin()
        info = rig.security.token_info(client.token)
        assert info is not None
        assert await client.call("Users.RemoveToken", {"tokenId": str(info.id)}) == {"error": "UserErrorNoError"}
        await client.wait_closed()


# ---------------------------------------------------------------- §6.13-15: notifications


async def test_set_notification_status_enabled_and_namespaces(tmp_path: Path) -> None:
    async with jsonrpc_rig(tmp_path) as rig:
        client = await rig.admin()
        on = await client.call("JSONRPC.SetNotificationStatus", {"enabled": True})
        assert on["enabled"] is True
        assert sorted(on["namespaces"]) == sorted(IMPLEMENTED)
        off = await client.call("JSONRPC.SetNotificationStatus", {"enabled": False})
        assert off == {"namespaces": [], "enabled": False}
        some = await client.call(
            "JSONRPC.SetNotificationStatus", {"namespaces": ["Integrations", "NoSuchNamespace", "Users"]}
        )
        assert sorted(some["namespaces"]) == ["Integrations", "Users"]
        assert some["enabled"] is True
        none = await client.call("JSONRPC.SetNotificationStatus", {"namespaces": []})
        assert none == {"namespaces": [], "enabled": False}

        # Only the listed namespaces are heard.
        await client.notify("Users")
        control(rig).set_state(auto_thing(rig), "int", 99)
        await rig.security.create_user("someone", "SomeonePW1!")
        added = await client.notification("Users.UserAdded")
        assert added["userInfo"]["username"] == "someone"
        await client.no_notification(0.2)


async def test_state_changes_are_notified_only_while_notifications_are_on(tmp_path: Path) -> None:
    async with jsonrpc_rig(tmp_path) as rig:
        client = await rig.admin()
        thing_id = auto_thing(rig)
        int_state = str(state_id(AUTO_MOCK, "int"))
        # Off by default on a new connection.
        control(rig).set_state(thing_id, "int", 41)
        await client.no_notification(0.3)

        await client.notify("Integrations")
        control(rig).set_state(thing_id, "int", 42)
        changed = await client.notification("Integrations.StateChanged")
        assert set(changed) == {"thingId", "stateTypeId", "value", "minValue", "maxValue", "possibleValues"}
        assert cid(changed["thingId"]) == str(thing_id)
        assert cid(changed["stateTypeId"]) == int_state
        assert changed["value"] == 42

        await client.call("JSONRPC.SetNotificationStatus", {"enabled": False})
        control(rig).set_state(thing_id, "int", 43)
        await client.no_notification(0.5)
        value = await client.call("Integrations.GetStateValue", {"thingId": str(thing_id), "stateTypeId": int_state})
        assert value == {"thingError": NO_ERROR, "value": 43}


async def test_set_plugin_configuration_sends_plugin_configuration_changed(tmp_path: Path) -> None:
    async with jsonrpc_rig(tmp_path) as rig:
        client = await rig.admin()
        await client.notify("Integrations")
        config_int = str(PLUGIN.param_types[0].id)
        reply = await client.call(
            "Integrations.SetPluginConfiguration",
            {"pluginId": str(PLUGIN.id), "configuration": [{"paramTypeId": config_int, "value": 13}]},
        )
        assert reply == {"thingError": NO_ERROR}
        changed = await client.notification("Integrations.PluginConfigurationChanged")
        assert cid(changed["pluginId"]) == str(PLUGIN.id)
        assert {cid(p["paramTypeId"]): p["value"] for p in changed["configuration"]}[config_int] == 13


# ---------------------------------------------------------------- §6.16: push button


async def test_push_button_auth_gives_the_requester_a_token(tmp_path: Path) -> None:
    async with jsonrpc_rig(tmp_path) as rig:
        await rig.ensure_admin()
        other = await rig.admin()
        await other.notify(*IMPLEMENTED)
        client = await rig.connect()
        await client.hello()
        requested = await client.call("JSONRPC.RequestPushButtonAuth", {"deviceName": "pb client"})
        assert requested["success"] is True
        transaction_id = requested["transactionId"]
        assert isinstance(transaction_id, int) and not isinstance(transaction_id, bool)

        assert [r.transaction_id for r in rig.door.push_button.waiting()] == [transaction_id]
        await rig.door.push_button.grant(transaction_id)
        # To the requester, although it never turned notifications on.
        finished = await client.notification("JSONRPC.PushButtonAuthFinished")
        assert finished["success"] is True
        assert finished["transactionId"] == transaction_id
        assert isinstance(finished["token"], str) and finished["token"]
        await other.no_notification(0.2)

        # The connection now acts with the new token.
        client.token = finished["token"]
        assert (await client.call("Integrations.GetThings"))["thingError"] == NO_ERROR
        fresh = await rig.connect()
        fresh.token = finished["token"]
        assert (await fresh.hello())["authenticated"] is True


async def test_a_second_push_button_request_waits_beside_the_first(tmp_path: Path) -> None:
    async with jsonrpc_rig(tmp_path) as rig:
        await rig.ensure_admin()
        first = await rig.connect()
        await first.hello()
        second = await rig.connect("ws")
        await second.hello()
        first_id = (await first.call("JSONRPC.RequestPushButtonAuth", {"deviceName": "one"}))["transactionId"]
        second_id = (await second.call("JSONRPC.RequestPushButtonAuth", {"deviceName": "two"}))["transactionId"]
        assert first_id != second_id
        # Unlike nymea, the second request does not cancel the first: the owner chooses.
        assert [(r.transaction_id, r.device_name) for r in rig.door.push_button.waiting()] == [
            (first_id, "one"),
            (second_id, "two"),
        ]
        await first.no_notification(0.1)

        await rig.door.push_button.grant(second_id)
        finished = await second.notification("JSONRPC.PushButtonAuthFinished")
        assert finished["success"] is True and finished["transactionId"] == second_id
        assert finished["token"]
        await first.no_notification(0.1)
        assert [r.transaction_id for r in rig.door.push_button.waiting()] == [first_id]


async def test_asking_again_replaces_the_connections_own_request(tmp_path: Path) -> None:
    async with jsonrpc_rig(tmp_path) as rig:
        await rig.ensure_admin()
        client = await rig.connect()
        await client.hello()
        old_id = (await client.call("JSONRPC.RequestPushButtonAuth", {"deviceName": "old"}))["transactionId"]
        new_id = (await client.call("JSONRPC.RequestPushButtonAuth", {"deviceName": "new"}))["transactionId"]
        ended = await client.notification("JSONRPC.PushButtonAuthFinished")
        assert ended == {"success": False, "transactionId": old_id}
        assert [(r.transaction_id, r.device_name) for r in rig.door.push_button.waiting()] == [(new_id, "new")]
        with pytest.raises(LookupError):
            await rig.door.push_button.grant(old_id)
        await rig.door.push_button.grant(new_id)
        finished = await client.notification("JSONRPC.PushButtonAuthFinished")
        assert finished["success"] is True and finished["transactionId"] == new_id


async def test_push_button_request_of_a_disconnected_client_is_cancelled(tmp_path: Path) -> None:
    async with jsonrpc_rig(tmp_path) as rig:
        await rig.ensure_admin()
        watcher = await rig.admin()
        await watcher.notify(*IMPLEMENTED)
        leaving = await rig.connect()
        await leaving.hello()
        left_id = (await leaving.call("JSONRPC.RequestPushButtonAuth", {"deviceName": "leaving"}))["transactionId"]
        await leaving.close()
        await until(lambda: len(rig.door.sessions) == 1, what="the leaving session to go")
        assert rig.door.push_button.waiting() == []
        with pytest.raises(LookupError):
            await rig.door.push_button.grant(left_id)
        await watcher.no_notification(0.2)
        tokens_before = len(rig.security.tokens(ADMIN))

        staying = await rig.connect()
        await staying.hello()
        transaction_id = (await staying.call("JSONRPC.RequestPushButtonAuth", {"deviceName": "s"}))["transactionId"]
        await rig.door.push_button.grant(transaction_id)
        finished = await staying.notification("JSONRPC.PushButtonAuthFinished")
        assert finished["success"] is True and finished["transactionId"] == transaction_id
        assert len(rig.security.tokens(ADMIN)) == tokens_before + 1


async def test_push_button_during_initial_setup_creates_the_user(tmp_path: Path) -> None:
    async with jsonrpc_rig(tmp_path) as rig:
        client = await rig.connect()
        assert (await client.hello())["initialSetupRequired"] is True
        transaction_id = (await client.call("JSONRPC.RequestPushButtonAuth", {"deviceName": "setup"}))["transactionId"]
        await rig.door.push_button.grant(transaction_id)
        finished = await client.notification("JSONRPC.PushButtonAuthFinished")
        assert finished["success"] is True and finished["transactionId"] == transaction_id
        assert rig.security.has_users

        client.token = finished["token"]
        hello = await client.hello()
        assert hello["initialSetupRequired"] is False
        assert hello["authenticated"] is True
        assert "PermissionScopeAdmin" in hello["permissionScopes"]
        assert (await client.call("Integrations.GetThings"))["thingError"] == NO_ERROR

        late = await rig.connect()
        await late.hello()
        reply = await late.request("JSONRPC.CreateUser", {"username": "Dummy", "password": ADMIN_PASSWORD})
        assert reply == {"id": reply["id"], "status": "unauthorized", "error": INVALID_TOKEN}
        await late.wait_closed()


# ---------------------------------------------------------------- §6.17 and §3.5: Introspect, Version, KeepAlive


def _refs(value: Any) -> set[str]:
    if isinstance(value, str):
        return {value[5:]} if value.startswith("$ref:") else set()
    if isinstance(value, list):
        return set().union(*(_refs(item) for item in value)) if value else set()
    if isinstance(value, dict):
        return set().union(*(_refs(item) for item in value.values())) if value else set()
    return set()


def test_the_shipped_introspection_is_nymeas_file_byte_for_byte() -> None:
    assert hashlib.sha256(API_FILE.read_bytes()).hexdigest() == API_SHA256


async def test_introspect_is_nymeas_declaration_of_the_implemented_namespaces(tmp_path: Path) -> None:
    nymea = json.loads(API_FILE.read_text(encoding="utf-8"))
    async with jsonrpc_rig(tmp_path) as rig:
        client = await rig.admin()
        ours = await client.call("JSONRPC.Introspect")
    assert set(ours) == {"enums", "flags", "types", "methods", "notifications"}
    # Every $ref resolves within the reply, and no definition is itself a $ref.
    known = set(ours["enums"]) | set(ours["flags"]) | set(ours["types"])
    unresolved = _refs({key: ours[key] for key in ("methods", "notifications", "types", "flags")}) - known
    assert unresolved == set()
    for section in ("types", "enums", "flags"):
        for name, definition in ours[section].items():
            assert not (isinstance(definition, str) and definition.startswith("$ref:")), (section, name)
    # Each entry is exactly nymea's.
    for section in ("methods", "notifications", "types", "enums", "flags"):
        for name, definition in ours[section].items():
            assert name in nymea[section], (section, name)
            assert definition == nymea[section][name], (section, name)
    # The namespaces we serve are complete.
    for section in ("methods", "notifications"):
        declared = {name for name in nymea[section] if name.split(".", 1)[0] in IMPLEMENTED}
        assert set(ours[section]) == declared, section


async def test_every_declared_method_of_the_implemented_namespaces_is_served(tmp_path: Path) -> None:
    nymea = json.loads(API_FILE.read_text(encoding="utf-8"))
    declared = sorted(name for name in nymea["methods"] if name.split(".", 1)[0] in IMPLEMENTED)
    async with jsonrpc_rig(tmp_path) as rig:
        client = await rig.admin()
        for method in declared:
            # An unknown key is rejected by validation: the method exists, and nothing runs.
            reply = await client.request(method, {"zzz": 1})
            assert reply["status"] == "error", method
            assert reply["error"] == f"Invalid params: Invalid key: zzz in {method}, param zzz", reply
        await alive(client)


async def test_version_and_keep_alive(tmp_path: Path) -> None:
    async with jsonrpc_rig(tmp_path) as rig:
        client = await rig.admin()
        version = await client.call("JSONRPC.Version")
        assert version["version"] == thinggate.__version__
        assert version["protocol version"] == "9.0"
        assert isinstance(version["qtVersion"], str) and isinstance(version["qtBuildVersion"], str)
        assert await client.call("JSONRPC.KeepAlive", {"sessionId": "s-1 ✓"}) == {"success": True, "sessionId": "s-1 ✓"}


# ---------------------------------------------------------------- §3.3, §6.55-57: permissions


async def test_user_without_the_scope_gets_permission_denied_and_stays_connected(tmp_path: Path) -> None:
    async with jsonrpc_rig(tmp_path) as rig:
        await rig.ensure_admin()
        guest = await login_guest(rig, scopes=Scope.CONTROL_THINGS)
        denied = [
            ("Users.GetUsers", None),
            ("Users.CreateUser", {"username": "intruder", "password": "IntruderPW1!"}),
            ("JSONRPC.CreateUser", {"username": "intruder", "password": "IntruderPW1!"}),
            (
                "Integrations.AddThing",
                {
                    "name": "x",
                    "thingClassId": str(MOCK.id),
                    "thingParams": [{"paramTypeId": str(param_id(MOCK, "httpport")), "value": 6001}],
                },
            ),
            ("Integrations.SetPluginConfiguration", {"pluginId": str(PLUGIN.id), "configuration": []}),
        ]
        for method, params in denied:
            reply = await guest.request(method, params)
            assert reply == {"id": reply["id"], "status": "error", "error": PERMISSION_DENIED}, method
        assert not guest.closed.is_set()
        assert (await guest.call("Integrations.GetThings"))["thingError"] == NO_ERROR
        assert [u.username for u in rig.security.users()] == [ADMIN, GUEST]

        # ConfigureThings (with AccessAllThings) may add things but is still not an admin.
        await rig.security.create_user(
            "installer", "InstallerPW1!", scopes=Scope.CONFIGURE_THINGS | Scope.ACCESS_ALL_THINGS
        )
        installer = await rig.connect()
        await installer.login("installer", "InstallerPW1!")
        reply = await installer.request("Users.GetUsers")
        assert reply == {"id": reply["id"], "status": "error", "error": PERMISSION_DENIED}
        added = await installer.call(
            "Integrations.AddThing",
            {
                "name": "x",
                "thingClassId": str(MOCK.id),
                "thingParams": [{"paramTypeId": str(param_id(MOCK, "httpport")), "value": 6002}],
            },
        )
        assert added["thingError"] == NO_ERROR


async def test_restricted_user_sees_only_its_things_beside_an_admin(tmp_path: Path) -> None:
    async with jsonrpc_rig(tmp_path) as rig:
        admin = await rig.admin()
        hidden = await add_mock(rig, 6011, "A")
        allowed = await add_mock(rig, 6012, "B")
        guest = await login_guest(rig, allowed=[allowed])
        await admin.notify("Integrations")
        await guest.notify("Integrations")

        things = await guest.call("Integrations.GetThings")
        assert [cid(t["id"]) for t in things["things"]] == [str(allowed)]
        assert {cid(t["id"]) for t in (await admin.call("Integrations.GetThings"))["things"]} >= {
            str(hidden),
            str(allowed),
        }
        int_state = str(state_id(MOCK, "int"))
        not_found = {"thingError": "ThingErrorThingNotFound"}
        for method, params in (
            ("Integrations.GetThings", {"thingId": str(hidden)}),
            ("Integrations.GetStateValue", {"thingId": str(hidden), "stateTypeId": int_state}),
            ("Integrations.GetStateValues", {"thingId": str(hidden)}),
            ("Integrations.BrowseThing", {"thingId": str(hidden)}),
            ("Integrations.GetBrowserItem", {"thingId": str(hidden)}),
        ):
            reply = await guest.call(method, params)
            assert reply.get("thingError") == not_found["thingError"], (method, reply)
        assert (await guest.call("Integrations.GetThings", {"thingId": str(allowed)}))["thingError"] == NO_ERROR

        # Both connected at once: the admin hears about both things, the guest only about its own.
        control(rig).set_state(hidden, "int", 77)
        control(rig).set_state(allowed, "int", 78)

        def about(thing_id: uuid.UUID) -> Callable[[dict[str, Any]], bool]:
            return lambda p: cid(p["thingId"]) == str(thing_id) and cid(p["stateTypeId"]) == int_state

        assert (await admin.notification("Integrations.StateChanged", where=about(hidden)))["value"] == 77
        assert (await admin.notification("Integrations.StateChanged", where=about(allowed)))["value"] == 78
        heard = await guest.notification("Integrations.StateChanged")
        assert cid(heard["thingId"]) == str(allowed) and heard["value"] == 78
        await asyncio.sleep(0.2)
        while not guest.notifications.empty():
            message = guest.notifications.get_nowait()
            if "thingId" in message["params"]:
                assert cid(message["params"]["thingId"]) == str(allowed), message

        # Notification ids come from one counter on the server: the same notification has the same id
        # on both connections, and ids only grow.
        admin_ids = notification_ids(admin)
        guest_ids = notification_ids(guest)
        assert admin_ids == sorted(set(admin_ids)) and guest_ids == sorted(set(guest_ids))
        assert set(guest_ids) <= set(admin_ids)


async def test_hello_with_another_token_switches_the_connection_to_that_user(tmp_path: Path) -> None:
    async with jsonrpc_rig(tmp_path) as rig:
        client = await rig.admin()
        guest = await login_guest(rig)
        admin_token = client.token
        client.token = guest.token
        hello = await client.hello()
        assert hello["authenticated"] is True and hello["username"] == GUEST
        assert hello["permissionScopes"] == ["PermissionScopeControlThings"]
        reply = await client.request("Users.GetUsers")
        assert reply == {"id": reply["id"], "status": "error", "error": PERMISSION_DENIED}
        # The admin token is no longer this connection's token: using it is a mismatch.
        reply = await client.request("Users.GetUsers", token=admin_token)
        assert reply == {"id": reply["id"], "status": "unauthorized", "error": TOKEN_CHANGED}
        await client.wait_closed()


# ---------------------------------------------------------------- §1: the four transports


@pytest.mark.parametrize("tls", [False, True], ids=["plain", "tls"])
@pytest.mark.parametrize("kind", ["tcp", "ws"])
async def test_hello_call_and_notification_over_each_transport(tmp_path: Path, kind: str, tls: bool) -> None:
    async with jsonrpc_rig(tmp_path, tls=tls) as rig:
        client = await rig.admin(kind)  # the WebSocket client asserts that every frame ends in "\n"
        hello = await client.hello()
        assert hello["protocol version"] == "9.0" and hello["authenticated"] is True
        things = await client.call("Integrations.GetThings")
        assert str(auto_thing(rig)) in {cid(t["id"]) for t in things["things"]}
        await client.notify("Integrations")
        control(rig).set_state(auto_thing(rig), "int", 5)
        assert (await client.notification("Integrations.StateChanged"))["value"] == 5


async def test_websocket_binary_frames_are_ignored(tmp_path: Path) -> None:
    async with jsonrpc_rig(tmp_path) as rig:
        await rig.ensure_admin()
        async with aiohttp.ClientSession() as http, http.ws_connect(f"ws://127.0.0.1:{rig.ws_port}/") as socket_:
            await socket_.send_bytes(request_bytes(1, "JSONRPC.Hello") + b"\n")
            await socket_.send_str(request_bytes(2, "JSONRPC.Hello").decode() + "\n")
            frame = await socket_.receive(timeout=5)
            assert frame.type is aiohttp.WSMsgType.TEXT
            reply = json.loads(frame.data)
            assert reply["id"] == 2 and reply["status"] == "success"
            with pytest.raises(TimeoutError):
                await socket_.receive(timeout=0.2)


# ---------------------------------------------------------------- floods and bad peers


@pytest.mark.parametrize("limit", [1000, 100])
async def test_flood_of_connections_is_served_or_refused_and_others_go_on(tmp_path: Path, limit: int) -> None:
    # The door's own cap on clients; the listener's cap per address is lifted out of the way.
    limits = ListenerLimits(unauthenticated_per_address=1000)
    async with jsonrpc_rig(tmp_path, max_connections=limit, limits=limits) as rig:
        bystander = await rig.admin()
        clients = await asyncio.gather(*(rig.connect() for _ in range(200)))
        replies = await asyncio.gather(*(outcome(client, "JSONRPC.Hello") for client in clients))
        served = [reply for reply in replies if reply is not None]
        assert all(reply["status"] == "success" for reply in served)
        assert len(served) == min(200, limit - 1)  # the rest are dropped
        loop = asyncio.get_running_loop()
        started = loop.time()
        await alive(bystander)
        assert loop.time() - started < 1.0
        for client in clients:
            await client.close()
        await until(lambda: len(rig.door.sessions) == 1, what="the flood to go")
        await alive(await rig.admin())


async def test_flood_of_pipelined_requests_gets_every_reply_and_others_go_on(tmp_path: Path) -> None:
    async with jsonrpc_rig(tmp_path) as rig:
        bystander = await rig.admin()
        client = await rig.admin()
        thing_id = str(auto_thing(rig))
        int_state = str(state_id(AUTO_MOCK, "int"))
        requests: list[bytes] = []
        for n in range(1, 2001):
            request_id = 10_000 + n
            if n % 4 == 0:
                requests.append(request_bytes(request_id, "JSONRPC.Foobar", token=client.token))
            elif n % 4 == 1:
                requests.append(request_bytes(request_id, "JSONRPC.KeepAlive", {"sessionId": str(n)}, client.token))
            elif n % 4 == 2:
                params = {"thingId": thing_id, "stateTypeId": int_state}
                requests.append(request_bytes(request_id, "Integrations.GetStateValue", params, client.token))
            else:
                requests.append(request_bytes(request_id, "Integrations.GetThings", {"thingId": 5}, client.token))
        futures = {10_000 + n: client.expect(10_000 + n) for n in range(1, 2001)}
        flood = asyncio.ensure_future(client.send_raw(b"\n".join(requests) + b"\n"))
        loop = asyncio.get_running_loop()
        started = loop.time()
        await alive(bystander)
        assert loop.time() - started < 2.0
        await flood
        replies = await asyncio.wait_for(asyncio.gather(*futures.values()), 20)
        for n, reply in enumerate(replies, start=1):
            assert reply["id"] == 10_000 + n
            if n % 4 == 0:
                assert reply == {"id": reply["id"], "status": "error", "error": "No such method"}
            elif n % 4 == 1:
                assert reply["params"] == {"success": True, "sessionId": str(n)}
            elif n % 4 == 2:
                assert reply["params"] == {"thingError": NO_ERROR, "value": 10}
            else:
                assert reply["status"] == "error" and reply["error"].startswith("Invalid params: ")
        await alive(client)
        await alive(bystander)


async def test_client_that_stops_reading_is_dropped_and_others_are_served(tmp_path: Path) -> None:
    async with jsonrpc_rig(tmp_path) as rig:
        admin = await rig.admin()
        thing_id = await add_mock(rig, 6020)
        int_state = state_id(MOCK, "intWithLimits")
        token = await rig.security.create_token(ADMIN, "slow reader")

        loop = asyncio.get_running_loop()
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # a small window: the server notices sooner
        sock.setblocking(False)
        try:
            await loop.sock_connect(sock, ("127.0.0.1", rig.tcp_port))
            await loop.sock_sendall(
                sock,
                request_bytes(1, "JSONRPC.Hello", token=token)
                + b"\n"
                + request_bytes(2, "JSONRPC.SetNotificationStatus", {"namespaces": ["Integrations"]}, token)
                + b"\n",
            )
            received = b""
            while received.count(b"\n") < 2:
                received += await asyncio.wait_for(loop.sock_recv(sock, 65536), 5)
            assert all(json.loads(line)["status"] == "success" for line in received.splitlines())
            slow = next(s for s in rig.door.sessions.values() if s.token == token)
            sessions_before = len(rig.door.sessions)

            # From now on the socket is never read again.
            for n in range(400_000):
                rig.hub.set_state(thing_id, int_state, 1 + n % 2)
                if n % 250 == 0:
                    await asyncio.sleep(0)
                    if slow.closed:
                        break
            assert slow.closed, "the server kept buffering for a client that does not read"
            assert str(MAX_WRITE_BUFFER) in slow.close_reason

            started = loop.time()
            await alive(admin)
            assert loop.time() - started < 1.0
            await until(lambda: slow.id not in rig.door.sessions, what="the slow session to go")
            assert len(rig.door.sessions) == sessions_before - 1
        finally:
            sock.close()
