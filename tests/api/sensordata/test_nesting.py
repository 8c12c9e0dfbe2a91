"""The door's bound on a body's nesting: the check on whole bytes agrees with the token scan, whatever the bytes."""

from __future__ import annotations

from hypothesis import example, given, settings
from hypothesis import strategies as st

from thinggate.api.http import json_nesting, nested_deeper_than

# Brackets, quotes and backslashes in any order: JSON, junk that does not balance, strings left open.
PIECES = st.sampled_from([b"[", b"]", b"{", b"}", b'"', b"\\", b"a", b",", b"[[[[", b"]]]]", b'"[', b'\\"'])
TEXT = st.lists(PIECES, max_size=120).map(b"".join)


@settings(max_examples=2000)
@given(TEXT, st.integers(min_value=0, max_value=10))
@example(b"[" * 5 + b"]" * 5, 4)
@example(b"[" * 5 + b"]" * 5, 5)
@example(b'{"a": "[[[[[[", "b": [1]}', 1)
@example(b'["\\"[[[[[[[", [[1]]]', 2)  # an escaped quote does not end the string
@example(b'["\\\\", [[1]]]', 2)  # an escaped backslash does not escape the quote after it
@example(b"]]]][[[[[", 4)  # junk counted as it comes: below zero, then up
@example(b'[[["[[[[[[[', 2)  # a string left open runs to the end
def test_the_check_on_whole_bytes_agrees_with_the_token_scan(raw: bytes, limit: int) -> None:
    assert nested_deeper_than(raw, limit) == (json_nesting(raw) > limit)
    assert nested_deeper_than(bytearray(raw), limit) == (json_nesting(raw) > limit)
