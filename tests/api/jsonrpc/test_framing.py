"""Fuzzing nymea's incoming framing (reference/nymea-jsonrpc.md §1) and a live door with random requests.

MessageSplitter splits a client's byte stream on `}\\n{` and waits for more while the buffer does not end
in a complete message, up to 1 MiB. Whatever the packet boundaries, newline-separated messages must come
out exactly as sent; random bytes must never raise anything but BufferOverflow. A running door must keep
answering a connection whatever JSON objects it is sent. The splitter's work stays linear in the bytes fed
(counted: bytes handed to msgspec and to the scanner), and nesting deeper than MAX_DEPTH is a parse error
that never reaches msgspec.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from tests.api.jsonrpc.protocol import PARSE_FAILED, alive, unmatched
from tests.api.jsonrpc.rig import jsonrpc_rig
from thinggate.api.jsonrpc import framing
from thinggate.api.jsonrpc.framing import MAX_BUFFER, MAX_DEPTH, BufferOverflow, Garbage, MessageSplitter

API_FILE = Path(__file__).resolve().parents[3] / "thinggate" / "api" / "jsonrpc" / "nymea-api.json"
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


# ---------------------------------------------------------------- work per byte fed


@dataclass
class Work:
    """Bytes fed to a splitter, and bytes it handed to msgspec and to its scanner."""

    fed: int = 0
    decoded: int = 0
    scanned: int = 0


@pytest.fixture
def work(monkeypatch: pytest.MonkeyPatch) -> Work:
    """Counts what every MessageSplitter hands to the module's decoder and to its scanner."""
    counts = Work()
    decoder = framing._decoder
    scan = MessageSplitter._scan

    class CountingDecoder:
        def decode(self, chunk: bytes | bytearray | memoryview) -> Any:
            counts.decoded += len(chunk)
            return decoder.decode(chunk)

    def counting_scan(splitter: MessageSplitter, data: bytes, start: int, end: int) -> None:
        counts.scanned += end - start
        scan(splitter, data, start, end)

    monkeypatch.setattr(framing, "_decoder", CountingDecoder())
    monkeypatch.setattr(MessageSplitter, "_scan", counting_scan)
    return counts


def _feed_counted(work: Work, splitter: MessageSplitter, pieces: list[bytes]) -> list[Any]:
    work.fed += sum(map(len, pieces))
    return _feed_all(splitter, pieces)


_REQUEST = b'{"id": 1, "method": "JSONRPC.KeepAlive", "params": {"sessionId": "s"}}'
_NESTED_REQUEST = json.dumps({"id": 2, "params": {"list": [[i, {"k": [str(i)]}] for i in range(100)]}}).encode()
_QUOTED = '"}\\{'  # a quote, braces and a backslash: every piece below ends inside the string with a `}`

# name: (pieces fed one by one, what comes out of them all)
WORKLOADS: dict[str, tuple[list[bytes], list[Any]]] = {
    # The pattern: a buffer that never closes, grown by pieces that end in `}` (deeper than MAX_DEPTH).
    "unclosed braces": ([b"{" * 1023 + b"}"] * 256, []),
    # The same within the depth limit: an open array grown by items.
    "growing array": (
        [b'{"items": [{"k": "v"}', *[b', {"k": "v"}'] * 4000, b"]}"],
        [{"items": [{"k": "v"}] * 4001}],
    ),
    "a string of braces": (
        [b'{"text": "', *[b"{}}{ }"] * 4000, b'"}'],
        [{"text": "{}}{ }" * 4000}],
    ),
    "escapes in pieces": (
        [b'{"text": "', *[json.dumps(_QUOTED).encode()[1:-1] + b"}"] * 2000, b'"}'],
        [{"text": (_QUOTED + "}") * 2000}],
    ),
    "blank padding": (
        [b'{"id": 1,', *[b" " * 100] * 1000, b' "method": "JSONRPC.Version"}'],
        [{"id": 1, "method": "JSONRPC.Version"}],
    ),
    "broken, waiting for a brace": ([b"[1,]", *[b" x"] * 4000, b" }"], [Garbage("")]),
    "small messages, one per piece": ([_REQUEST + b"\n"] * 2000, [json.loads(_REQUEST)] * 2000),
    "small messages, all in one piece": ([b"\n".join([_REQUEST] * 2000)], [json.loads(_REQUEST)] * 2000),
    "a message split at every byte": (
        [_NESTED_REQUEST[i : i + 1] for i in range(len(_NESTED_REQUEST))],
        [json.loads(_NESTED_REQUEST)],
    ),
    "messages split at every byte": (
        [byte.to_bytes(1, "big") for byte in b"\n".join([_REQUEST] * 50)],
        [json.loads(_REQUEST)] * 50,
    ),
}


def _without_reasons(items: list[Any]) -> list[Any]:
    return [Garbage("") if isinstance(item, Garbage) else item for item in items]


@pytest.mark.parametrize("name", list(WORKLOADS))
def test_work_stays_within_twice_the_bytes_fed(work: Work, name: str) -> None:
    pieces, expected = WORKLOADS[name]
    splitter = MessageSplitter()
    assert _without_reasons(_feed_counted(work, splitter, pieces)) == expected
    # Each byte is scanned at most once and decoded at most twice (a broken chunk: once more for the reason).
    assert work.scanned <= work.fed, work
    assert work.decoded <= 2 * work.fed, work


# ---------------------------------------------------------------- nesting

TOO_DEEP = Garbage(f"nested deeper than {MAX_DEPTH} levels")
DEEP = {
    "arrays": b"[" * 100_000 + b"]" * 100_000,
    "objects": b'{"a":' * 100_000 + b"1" + b"}" * 100_000,
}


def _pieces_of(data: bytes, size: int | None) -> list[bytes]:
    return [data] if size is None else [data[i : i + size] for i in range(0, len(data), size)]


@pytest.mark.parametrize("size", [None, 4096, 7], ids=["whole", "4 KiB pieces", "7-byte pieces"])
@pytest.mark.parametrize("shape", sorted(DEEP))
def test_nesting_100000_deep_is_garbage_that_msgspec_never_sees(work: Work, shape: str, size: int | None) -> None:
    splitter = MessageSplitter()
    assert _feed_counted(work, splitter, _pieces_of(DEEP[shape] + b"\n", size)) == [TOO_DEEP]
    assert work.decoded == 0
    assert splitter.pending == 0
    # The next message starts clean.
    assert splitter.feed(_REQUEST) == [json.loads(_REQUEST)]


@pytest.mark.parametrize("size", [None, 1], ids=["whole", "1-byte pieces"])
def test_nesting_limit_counts_the_brackets_outside_strings(size: int | None) -> None:
    at_limit = b"[" * MAX_DEPTH + b"]" * MAX_DEPTH
    beyond = b'{"a":' * (MAX_DEPTH + 1) + b"null" + b"}" * (MAX_DEPTH + 1)
    in_strings = json.dumps({"text": "[{" * 1000, "list": json.loads(at_limit[2:-2])}).encode()
    for data, expected in (
        (at_limit, [json.loads(at_limit)]),
        (beyond, [TOO_DEEP]),
        (in_strings, [json.loads(in_strings)]),
    ):
        assert _feed_all(MessageSplitter(), _pieces_of(data, size)) == expected, data[:80]


@pytest.mark.parametrize("cut", [None, 0, 1], ids=["one piece", "before the newline", "after the newline"])
def test_too_deep_chunk_ended_by_nymeas_separator_spares_the_next_message(work: Work, cut: int | None) -> None:
    deep = DEEP["objects"]
    data = deep + b"\n" + _REQUEST
    pieces = [data] if cut is None else [data[: len(deep) + cut], data[len(deep) + cut :]]
    assert _feed_counted(work, MessageSplitter(), pieces) == [TOO_DEEP, json.loads(_REQUEST)]
    assert work.decoded <= len(b"\n" + _REQUEST)  # the request (perhaps with the newline), never the deep chunk


def test_a_recursion_error_from_msgspec_is_a_parse_error(monkeypatch: pytest.MonkeyPatch) -> None:
    class ShortStackDecoder:
        def decode(self, chunk: bytes | bytearray | memoryview) -> Any:
            raise RecursionError("maximum recursion depth exceeded while deserializing an object")

    monkeypatch.setattr(framing, "_decoder", ShortStackDecoder())
    splitter = MessageSplitter()
    # A chunk that arrived whole, two around a separator, and one that spans feeds.
    for pieces in ([b'{"a": [[1]]}\n'], [b'{"a": [1]}\n{"b": [2]}'], [b'{"a": ', b"[1]}"]):
        out = _feed_all(splitter, pieces)
        assert out and all(isinstance(item, Garbage) for item in out), out
        assert splitter.pending == 0


@pytest.mark.parametrize("kind", ["tcp", "ws"])
@pytest.mark.parametrize("shape", sorted(DEEP))
async def test_deep_nesting_gets_the_parse_error_and_the_connection_goes_on(
    tmp_path: Path, kind: str, shape: str, caplog: pytest.LogCaptureFixture
) -> None:
    async with jsonrpc_rig(tmp_path) as rig:
        client = await rig.admin(kind)
        await client.send_raw(DEEP[shape] + b"\n")
        [reply] = await unmatched(client, 1)
        assert reply == {"id": -1, "status": "error", "error": f"{PARSE_FAILED}nested deeper than {MAX_DEPTH} levels"}
        await alive(client)  # the next request on the same connection is answered
    assert [record.getMessage() for record in caplog.records if record.levelno >= logging.ERROR] == []


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
