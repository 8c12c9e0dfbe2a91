"""Fuzzing nymea's incoming framing (reference/nymea-jsonrpc.md §1) and a live door with random requests.

MessageSplitter splits a client's byte stream on `}\\n{` and waits for more while the buffer does not end
in a complete message, up to 1 MiB. Whatever the packet boundaries, newline-separated messages must come
out exactly as sent; random bytes must never raise anything but BufferOverflow. A running door must keep
answering a connection whatever JSON objects it is sent.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from tests.jsonrpc_tools import jsonrpc_rig
from thinggate.api.jsonrpc.framing import MAX_BUFFER, BufferOverflow, Garbage, MessageSplitter

API_FILE = Path(__file__).resolve().parent.parent / "thinggate" / "api" / "jsonrpc" / "nymea-api.json"
IMPLEMENTED = ("JSONRPC", "Integrations", "Users")

_text = st.text(st.characters(exclude_categories=["Cs"]), max_size=12)  # no lone surrogates: not UTF-8
_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**63 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | _text
)
json_values = st.recursive(
    _scalars,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(_text, children, max_size=4),
    max_leaves=12,
)
json_objects = st.dictionaries(_text, json_values, max_size=5)


def _encode(message: Any, indent: int | None) -> bytes:
    return json.dumps(message, ensure_ascii=False, indent=indent).encode()


def _pieces(data: bytes, cuts: set[int]) -> list[bytes]:
    bounds = [0, *sorted(cuts), len(data)]
    return [data[start:end] for start, end in itertools.pairwise(bounds)]


def _feed_all(splitter: MessageSplitter, pieces: list[bytes]) -> list[Any]:
    out: list[Any] = []
    for piece in pieces:
        out.extend(splitter.feed(piece))
    return out


@settings(max_examples=150, deadline=None)
@given(
    messages=st.lists(json_objects, max_size=6),
    trailing=st.sampled_from(["", "\n", "\n\n\n"]),
    indent=st.sampled_from([None, 2]),
    data=st.data(),
)
def test_any_split_of_newline_separated_messages_yields_exactly_those_messages(
    messages: list[dict[str, Any]], trailing: str, indent: int | None, data: st.DataObject
) -> None:
    stream = b"\n".join(_encode(message, indent) for message in messages) + trailing.encode()
    cuts = data.draw(st.sets(st.integers(min_value=0, max_value=len(stream)), max_size=10), label="cuts")
    splitter = MessageSplitter()
    out = _feed_all(splitter, _pieces(stream, cuts))
    assert out == messages
    assert splitter.pending == 0


@settings(max_examples=80, deadline=None)
@given(messages=st.lists(json_objects, min_size=1, max_size=6), indent=st.sampled_from([None, 2]))
def test_messages_without_separators_yield_those_messages_one_per_packet(
    messages: list[dict[str, Any]], indent: int | None
) -> None:
    # nymea's testBasicCall: a bare `{...}` with no newline is a message once it is complete.
    splitter = MessageSplitter()
    assert _feed_all(splitter, [_encode(message, indent) for message in messages]) == messages
    assert splitter.pending == 0


@settings(max_examples=60, deadline=None)
@given(messages=st.lists(json_objects, min_size=1, max_size=4))
def test_byte_by_byte_delivery_yields_exactly_those_messages(messages: list[dict[str, Any]]) -> None:
    stream = b"\n".join(_encode(message, None) for message in messages)
    splitter = MessageSplitter()
    out = _feed_all(splitter, [stream[i : i + 1] for i in range(len(stream))])
    assert out == messages


_jsonish = st.text(alphabet='{}[]":,\\ \n\tab1-.eE', max_size=200).map(str.encode)


@settings(max_examples=500, deadline=None)
@given(
    chunks=st.lists(st.binary(max_size=300) | _jsonish, max_size=20),
    limit=st.sampled_from([16, 256, MAX_BUFFER]),
)
@example(chunks=[b'{"a": "\x80"}'], limit=MAX_BUFFER)  # invalid UTF-8 inside a string
@example(chunks=[b'"\x80', b'"'], limit=16)
def test_random_bytes_never_raise_anything_but_buffer_overflow(chunks: list[bytes], limit: int) -> None:
    splitter = MessageSplitter(limit=limit)
    for chunk in chunks:
        try:
            out = splitter.feed(chunk)
        except BufferOverflow:
            assert splitter.pending == 0  # the buffer is dropped with the client
            continue
        for item in out:
            assert isinstance(item, Garbage | dict | list | str | int | float | bool) or item is None
        assert splitter.pending <= limit


def test_buffer_overflow_comes_just_past_one_mib() -> None:
    splitter = MessageSplitter()
    assert splitter.feed(b"{" + b"x" * (MAX_BUFFER - 1)) == []
    assert splitter.pending == MAX_BUFFER
    try:
        splitter.feed(b"x")
    except BufferOverflow:
        pass
    else:
        raise AssertionError("more than 1 MiB without a message was kept")


# ---------------------------------------------------------------- a live door with random requests


def _method_keys() -> dict[str, list[str]]:
    """Declared methods of the implemented namespaces and their param names (prefixes stripped)."""
    document = json.loads(API_FILE.read_text(encoding="utf-8"))
    methods: dict[str, list[str]] = {}
    for name, definition in document["methods"].items():
        # Two failed Authenticates in a row drop the client by design (the lockdown rule).
        if name.split(".", 1)[0] not in IMPLEMENTED or name == "JSONRPC.Authenticate":
            continue
        methods[name] = sorted(key.rsplit(":", 1)[-1] for key in definition["params"]) or ["unknown"]
    return methods


_METHODS = _method_keys()
_ids = st.integers(min_value=-(2**31), max_value=2**31 - 1)
# Well-formed requests of real methods with the declared keys (and others) holding random values...
_well_formed = st.sampled_from(sorted(_METHODS)).flatmap(
    lambda method: st.fixed_dictionaries(
        {"id": _ids, "method": st.just(method)},
        optional={
            "params": st.dictionaries(st.sampled_from(_METHODS[method]) | _text, json_values, max_size=4) | json_values
        },
    )
)
# ...requests with any of the keys missing or malformed...
_loose = st.fixed_dictionaries(
    {},
    optional={
        "id": _ids | json_values,
        "method": st.sampled_from([*_METHODS, "FOO.Bar", "JSONRPC", "a.b.c", ""]) | _text,
        "params": json_objects | json_values,
    },
)
# ...and any objects at all. None carries "token": a token other than the Hello's drops the client by design.
random_requests = _well_formed | _well_formed | _loose | json_objects.filter(lambda value: "token" not in value)


def test_random_json_requests_never_stop_a_connection_from_answering(tmp_path: Path) -> None:
    sentinels = itertools.count(1_900_000_000)

    with asyncio.Runner() as runner:
        stack = contextlib.AsyncExitStack()
        rig = runner.run(stack.enter_async_context(jsonrpc_rig(tmp_path, authentication=False)))
        try:
            client = runner.run(rig.connect())
            runner.run(client.hello())

            async def exchange(value: dict[str, Any]) -> None:
                before = len(client.unmatched)
                await client.send_raw(json.dumps(value) + "\n")
                # Every object gets exactly one reply (success, error, or a parse error for out-of-range numbers).
                async with asyncio.timeout(5):
                    while len(client.unmatched) == before:
                        assert not client.closed.is_set(), f"dropped after {value!r}"
                        await asyncio.sleep(0.001)
                assert len(client.unmatched) == before + 1, client.unmatched[before:]
                assert client.unmatched[-1]["status"] in ("success", "error"), client.unmatched[-1]
                request_id = next(sentinels)
                future = client.expect(request_id)
                sentinel = {"id": request_id, "method": "JSONRPC.KeepAlive", "params": {"sessionId": str(request_id)}}
                await client.send_raw(json.dumps(sentinel) + "\n")
                reply = await asyncio.wait_for(future, 5)
                assert reply == {
                    "id": request_id,
                    "status": "success",
                    "params": {"success": True, "sessionId": str(request_id)},
                }

            @settings(
                max_examples=60,
                deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
            )
            @given(value=random_requests)
            def check(value: dict[str, Any]) -> None:
                runner.run(exchange(value))
                seen.append(value)

            seen: list[dict[str, Any]] = []
            check()
            assert not client.closed.is_set()
            assert len(seen) >= 50
        finally:
            runner.run(stack.aclose())
