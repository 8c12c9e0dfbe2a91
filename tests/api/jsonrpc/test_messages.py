"""How nymea cuts the byte stream into messages (§6.3, 7, 8) and answers bad requests (§6.4-6)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import uuid
from typing import Any

import pytest

from tests.api.jsonrpc.protocol import (
    MISSING_ID,
    PARSE_FAILED,
    alive,
    auto_thing,
    raw_reply,
    request_bytes,
    settled,
    unmatched,
    until,
)
from tests.api.jsonrpc.rig import Closed, Rig
from thinggate.api.jsonrpc.framing import MAX_BUFFER, PRE_LOGIN_BUFFER
from thinggate.api.jsonrpc.schema import Schema, ValidationError
from thinggate.integrations.virtual.testbed import MOCK


@pytest.mark.parametrize("kind", ["tcp", "ws"])
@pytest.mark.parametrize("ending", ["", "\n", "\n\n\n\n"], ids=["bare", "newline", "newlines"])
async def test_request_with_or_without_trailing_newlines_is_answered(rig: Rig, kind: str, ending: str) -> None:
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
async def test_message_split_over_packets_gets_exactly_one_reply(rig: Rig, kind: str, pieces: int) -> None:
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
async def test_complete_message_followed_by_a_partial_one_answers_the_first(rig: Rig, kind: str) -> None:
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
async def test_more_than_one_mib_of_garbage_drops_the_connection(rig: Rig, kind: str) -> None:
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
async def test_before_login_a_client_gets_64_kib_of_patience_not_one_mib(rig: Rig, kind: str) -> None:
    # Issue 11: 20 clients streaming an endless message each made the hub hold and scan 1 MiB apiece.
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


async def test_garbage_below_one_mib_is_kept_until_it_completes(rig: Rig) -> None:
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
async def test_oversized_message_drops_the_connection(rig: Rig, kind: str) -> None:
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


@pytest.mark.parametrize("kind", ["tcp", "ws"])
async def test_missing_or_non_integer_id_gives_error_with_id_0(rig: Rig, kind: str) -> None:
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
async def test_broken_json_gives_parse_error_with_id_minus_1(rig: Rig, kind: str) -> None:
    client = await rig.admin(kind)
    for broken in ('{"id": 1, "method": "JSONRPC.Version",}\n', '{"id": 1 "method": "JSONRPC.Version"}\n'):
        client.unmatched.clear()
        await client.send_raw(broken)
        [reply] = await unmatched(client, 1)
        assert reply["id"] == -1
        assert reply["status"] == "error"
        assert reply["error"].startswith(PARSE_FAILED), reply
    await alive(client)


async def test_invalid_utf8_gets_a_parse_error_and_the_connection_stays(rig: Rig) -> None:
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
async def test_json_that_is_not_an_object_gets_an_error_and_the_connection_stays(rig: Rig, value: str) -> None:
    client = await rig.admin()
    await client.send_raw(value + "\n")
    [reply] = await unmatched(client, 1)
    assert reply["status"] == "error"
    assert reply["id"] in (-1, 0)
    assert reply["error"] == MISSING_ID or reply["error"].startswith(PARSE_FAILED), reply
    await alive(client)


async def test_bad_method_forms_unknown_namespaces_and_methods_get_errors_with_the_same_id(rig: Rig) -> None:
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


async def test_unknown_param_key_and_wrong_param_types_give_invalid_params(rig: Rig) -> None:
    client = await rig.admin()
    reply = await client.request("JSONRPC.Introspect", {"törööö": "chooo-chooo"})
    assert reply["status"] == "error"
    assert reply["error"] == "Invalid params: Invalid key: törööö in JSONRPC.Introspect, param törööö"

    reply = await client.request("Integrations.GetStateValue", {"thingId": str(auto_thing(rig))})
    assert reply == {
        "id": reply["id"],
        "status": "error",
        "error": "Invalid params: Missing required key: stateTypeId in Integrations.GetStateValue, param stateTypeId",
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
