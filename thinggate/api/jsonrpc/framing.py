"""Incoming framing as nymea does it: a per-client buffer split on `}\\n{`, 1 MiB of patience.

nymea splits the buffer on `}\\n{` and parses what is left once it ends in `}`. Parsing the whole buffer again
for every packet costs time quadratic in its size, so a scanner carries its state from one packet to the next
(bracket depth, inside a string, after a backslash, what the chunk's top level holds) and looks at each byte a
bounded number of times. msgspec is handed a chunk only when it can be complete: a chunk that arrived in one
piece if it ends in a closing bracket (nymea's own test) and has too few brackets to nest too deep, so the usual
request needs no scanning; a chunk spread over packets once the scanner has seen its value end; a broken chunk
once more, to word the error. Nesting deeper than MAX_DEPTH is a parse error decided without msgspec, which
recurses once per level.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from itertools import accumulate
from typing import Any

import msgspec

MAX_BUFFER = 1024 * 1024
PRE_LOGIN_BUFFER = 64 * 1024
"""A client that has not logged in may only send Hello, Authenticate and the like: it gets this much patience."""
MAX_DEPTH = 64  # brackets open at once: nymea's requests use a handful; msgspec exhausts the stack near 1000
_SEPARATOR = b"}\n{"
_BLANKS = b" \t\n\r\x0b\x0c"  # what bytes.strip() removes, as nymea's trimmed() does
_decoder = msgspec.json.Decoder()

_QUOTE, _BACKSLASH, _CLOSING_BRACE = 0x22, 0x5C, 0x7D
_OPENING = b"{["
_CLOSINGS = (b"}", b"]")
# A string's rest after its opening quote, up to its closing quote (or a backslash whose escaped byte is yet to come).
_STRING_BODY = re.compile(rb'(?:[^"\\]++|\\.)*+', re.DOTALL)
# Inside brackets only brackets matter: skip other bytes and whole strings up to the next bracket, or to a quote
# whose string goes on past the end (no match: neither comes before the end).
_NESTED = re.compile(rb'(?:[^"\[\]{}]++|"(?:[^"\\]++|\\.)*+")*+(?:([\[\]{}])|")', re.DOTALL)
_NON_BLANK = re.compile(rb"[^ \t\n\r\x0b\x0c]")
_BARE_RUN = re.compile(rb'[^ \t\n\r\x0b\x0c"\[\]{}]++')
_NOT_BRACKETS = bytes(byte for byte in range(256) if byte not in b"{}[]")
_DEPTH_STEP = tuple(1 if byte in b"{[" else -1 if byte in b"}]" else 0 for byte in range(256))

# What a chunk's top level (outside any brackets) holds so far.
_BLANK = 0  # nothing but blanks
_VALUE = 1  # one object, array or string (perhaps unfinished), then only blanks
_TOKEN = 2  # one bare number or literal, and the last byte scanned belongs to it (it may go on)
_BROKEN = 3  # more than one value, or a bare word that is no JSON: never one JSON value, whatever follows


def _token_automaton() -> tuple[dict[tuple[int, int], int], frozenset[int]]:
    """Transitions over the prefixes of JSON numbers and of true/false/null, from state 0; and the complete states."""
    start, minus, zero, integer, dot, fraction, exponent, exponent_sign, exponent_digits = range(9)
    steps: dict[tuple[int, int], int] = {(start, ord("-")): minus}
    for state in (start, minus):
        steps[state, ord("0")] = zero
        steps.update({(state, digit): integer for digit in b"123456789"})
    for digit in b"0123456789":
        steps[integer, digit] = integer
        steps[dot, digit] = steps[fraction, digit] = fraction
        steps[exponent, digit] = steps[exponent_sign, digit] = steps[exponent_digits, digit] = exponent_digits
    for state in (zero, integer):
        steps[state, ord(".")] = dot
    for state in (zero, integer, fraction):
        steps[state, ord("e")] = steps[state, ord("E")] = exponent
    steps[exponent, ord("+")] = steps[exponent, ord("-")] = exponent_sign
    complete = {zero, integer, fraction, exponent_digits}
    next_state = exponent_digits + 1
    for word in (b"true", b"false", b"null"):
        state = start
        for byte in word:
            steps[state, byte] = state = next_state
            next_state += 1
        complete.add(state)
    return steps, frozenset(complete)


_TOKEN_STEPS, _TOKEN_COMPLETE = _token_automaton()
_NOT_A_TOKEN = -1


class BufferOverflow(Exception):
    """More than MAX_BUFFER bytes arrived without forming a message: the peer is dropped."""


@dataclass(frozen=True, slots=True)
class Garbage:
    """A complete chunk that is not JSON (answered with a parse error, then forgotten)."""

    reason: str


_TOO_DEEP = f"nested deeper than {MAX_DEPTH} levels"


def _decoded(chunk: bytes | bytearray | memoryview) -> Any:
    """The JSON value of `chunk`, or Garbage saying why it is none."""
    try:
        return _decoder.decode(chunk)
    except (msgspec.DecodeError, UnicodeDecodeError) as error:
        return Garbage(str(error))
    except RecursionError as error:
        # MAX_DEPTH keeps deep chunks away from msgspec; this is the last resort should the stack be short anyway.
        return Garbage(str(error))


def _cannot_be_too_deep(data: bytes, start: int, end: int) -> bool:
    """Whether data[start:end] has too few opening brackets (inside strings or not) to nest past MAX_DEPTH."""
    return data.count(b"{", start, end) + data.count(b"[", start, end) <= MAX_DEPTH


class MessageSplitter:
    """Turns a byte stream into decoded messages, whatever the packet boundaries."""

    __slots__ = (
        "_buffer",
        "_depth",
        "_escaped",
        "_in_string",
        "_last",
        "_shape",
        "_token",
        "_too_deep",
        "_unbalanced",
        "limit",
    )

    def __init__(self, limit: int = MAX_BUFFER) -> None:
        self.limit = limit
        self._buffer = bytearray()  # the pending chunk; the scanner's state below describes all of it
        self._start_chunk()

    def _start_chunk(self) -> None:
        """Forget the chunk: the next byte starts a new one."""
        self._buffer.clear()
        self._depth = 0
        self._in_string = False
        self._escaped = False
        self._shape = _BLANK
        self._token = 0  # the bare token's automaton state while the shape is _TOKEN
        self._too_deep = False
        self._unbalanced = False  # a closing bracket with none open: nymea's parse error once it ends in `}`
        self._last = -1  # the chunk's last byte that is not blank

    @property
    def pending(self) -> int:
        """Bytes waiting for the rest of a message."""
        return len(self._buffer)

    def feed(self, data: bytes) -> list[Any]:
        """Messages (decoded JSON values) and Garbage markers completed by `data`, in order."""
        if not data:
            return []
        if not self._buffer and (data[-1] == _CLOSING_BRACE or data.endswith(b"}\n")):
            # The usual case, one whole request in one packet: decoded once, as nymea would, with no scanning
            # (C-level checks only). Two requests in one packet, or a broken one, fail to decode (no JSON value
            # holds `}\n{` outside a string, nor a raw newline in one) and take the full path, which splits
            # them or words the error.
            if data.count(b"{") + data.count(b"[") <= MAX_DEPTH:
                try:
                    return [_decoder.decode(data)]
                except (msgspec.DecodeError, UnicodeDecodeError, RecursionError):
                    pass
        out: list[Any] = []
        start = self._separator_across_feeds(data, out) if self._buffer else 0
        count, find, decode = data.count, data.find, _decoder.decode
        while (cut := find(_SEPARATOR, start)) >= 0:
            end = cut + 1
            if not self._buffer and count(b"{", start, end) + count(b"[", start, end) <= MAX_DEPTH:
                # _separated's usual case inline (a client with many requests in flight sends them in one
                # packet): all in this feed, too few brackets to nest too deep, decoded as it is.
                try:
                    out.append(decode(memoryview(data)[start:end]))
                except (msgspec.DecodeError, UnicodeDecodeError, RecursionError):
                    out.append(_decoded(memoryview(data)[start:end]))  # worded as ever
            else:
                out.append(self._separated(data, start, end))
            start = cut + 2
        self._settle_tail(data, start, out)
        return out

    # -- chunks --------------------------------------------------------------------------------

    def _joined(self, data: bytes, start: int, end: int) -> bytes | bytearray | memoryview:
        """The current chunk: what is pending plus data[start:end] (copied only if something is pending)."""
        if self._buffer:
            self._buffer += data[start:end]
            return self._buffer
        if start == 0 and end == len(data):
            return data
        return memoryview(data)[start:end]

    def _separator_across_feeds(self, data: bytes, out: list[Any]) -> int:
        """Where data's unscanned part starts, after completing the pending chunk if a `}\\n{` straddles the feeds."""
        tail = self._buffer[-2:]
        if tail == b"}\n" and data.startswith(b"{"):
            chunk, start = self._buffer[:-1], 0
        elif tail.endswith(b"}") and data.startswith(b"\n{"):
            chunk, start = self._buffer, 1
        else:
            return 0
        # The newline already scanned changes no depth, the one thing a separated chunk needs from the scanner.
        out.append(self._complete(chunk))
        return start

    def _separated(self, data: bytes, start: int, end: int) -> Any:
        """The message or Garbage of the chunk that a separator ends at data[end - 1] (nymea parses it as it is)."""
        if not self._buffer and _cannot_be_too_deep(data, start, end):
            return _decoded(memoryview(data)[start:end])  # all in this feed: the scanner has nothing to add
        self._scan(data, start, end)
        return self._complete(self._joined(data, start, end))

    def _complete(self, chunk: bytes | bytearray | memoryview, failure: Garbage | None = None) -> Any:
        """The message or Garbage of a chunk taken as complete (`failure`: msgspec's verdict if already asked)."""
        result = Garbage(_TOO_DEEP) if self._too_deep else failure or _decoded(chunk)
        self._start_chunk()
        return result

    def _settle_tail(self, data: bytes, start: int, out: list[Any]) -> None:
        """Scan the chunk after the last separator and emit it if complete (or completely broken); else keep it."""
        end = len(data)
        trimmed = len(data.rstrip(_BLANKS)) if data[-1] in _BLANKS else end
        failure: Garbage | None = None
        if not self._buffer and data.endswith(_CLOSINGS, start, trimmed) and _cannot_be_too_deep(data, start, end):
            # A chunk that arrived whole is tried as nymea tries it, once it ends in a closing bracket: one
            # decode, and the usual request needs no scanning at all. Only a broken one is scanned (once).
            result = _decoded(memoryview(data)[start:] if start else data)
            if not isinstance(result, Garbage):
                out.append(result)
                return
            failure = result
        self._scan(data, start, end)
        if trimmed > start:
            self._last = data[trimmed - 1]
        chunk = self._joined(data, start, end)
        if self._shape == _BLANK:
            self._start_chunk()  # nothing but blanks: trimmed away, as nymea does
            return
        complete = False
        if self._unbalanced:
            # Never JSON; nymea parses (and fails) once the chunk ends in `}`, whatever the depth.
            complete = self._last == _CLOSING_BRACE
        elif self._in_string or self._depth:
            pass  # cannot be complete yet: no need to ask msgspec
        elif self._too_deep:
            complete = True  # closed again, by whichever bracket: answer now so that the next message starts clean
        elif self._shape == _VALUE or (self._shape == _TOKEN and self._token in _TOKEN_COMPLETE):
            result = failure or _decoded(chunk)
            if not isinstance(result, Garbage) or self._last == _CLOSING_BRACE:
                out.append(result)
                self._start_chunk()
                return
            # Broken for good (no suffix mends a value that is closed), but nymea waits for a `}` to say so.
            self._shape = _BROKEN
        elif self._shape == _BROKEN:
            complete = self._last == _CLOSING_BRACE
        if complete:
            out.append(self._complete(chunk, failure))
            return
        if chunk is not self._buffer:
            self._buffer += chunk
        if len(self._buffer) > self.limit:
            size = len(self._buffer)
            self._start_chunk()
            raise BufferOverflow(f"{size} bytes without a complete message")

    # -- the scanner ---------------------------------------------------------------------------

    def _scan(self, data: bytes, start: int, end: int) -> None:
        """Carry the chunk's state over data[start:end], looking at each byte a bounded number of times."""
        pos = start
        skimmed = False
        while pos < end:
            if self._in_string:
                if self._escaped:
                    self._escaped = False
                    pos += 1
                    continue
                body = _STRING_BODY.match(data, pos, end)
                assert body is not None  # it matches the empty string
                pos = body.end()
                if pos == end:
                    return
                if data[pos] == _BACKSLASH:  # the byte it escapes comes with the next feed
                    self._escaped = True
                    return
                self._in_string = False  # data[pos] is the closing quote
                pos += 1
            elif self._depth:
                # One try per call at most: a failed skim costs one more look at the bytes, never a quadratic.
                if not skimmed:
                    skimmed = True
                    if self._skim_nested(data, pos, end):
                        return
                pos = self._scan_nested(data, pos, end)
            else:
                pos = self._scan_top(data, pos, end)

    def _skim_nested(self, data: bytes, pos: int, end: int) -> bool:
        """Scan inside brackets to `end` with C-level bytes operations, for the common case; False to decline.

        Without backslashes, quotes alternate in and out of strings; the brackets outside them give the depths.
        Declined (nothing changed) when the region has a backslash, or closes the top-level value anywhere but
        at its last byte that is not blank (what follows needs the byte-wise scanner).
        """
        if data.find(b"\\", pos, end) >= 0:
            return False
        region = data if pos == 0 and end == len(data) else data[pos:end]
        pieces = region.split(b'"')
        brackets = b"".join(pieces[::2]).translate(None, _NOT_BRACKETS)
        in_string = len(pieces) % 2 == 0
        openings = brackets.count(b"{") + brackets.count(b"[")
        closings = len(brackets) - openings
        if closings < self._depth and (self._too_deep or self._depth + openings <= MAX_DEPTH):
            # The value cannot close in this region, and how deep it gets changes nothing: counts suffice
            # (a client streaming `{{{...}` costs C-level work per byte, not a Python step per bracket).
            self._depth += openings - closings
            self._in_string = in_string
            return True
        depths = list(accumulate(map(_DEPTH_STEP.__getitem__, brackets), initial=self._depth))
        if min(depths) <= 0 and (
            in_string or depths.index(0) != len(depths) - 1 or not region.rstrip(_BLANKS).endswith(_CLOSINGS)
        ):
            return False
        self._depth = depths[-1]
        self._in_string = in_string
        if max(depths) > MAX_DEPTH:
            self._too_deep = True
        return True

    def _scan_nested(self, data: bytes, pos: int, end: int) -> int:
        """Scan inside brackets from `pos`; where the depth is back to 0 or a string goes on (or `end`)."""
        # Locals, not attributes, in the loop: it runs once per bracket of every message.
        depth = deepest = self._depth
        nested = _NESTED.match
        while depth:
            found = nested(data, pos, end)
            if found is None:
                pos = end
                break
            pos = found.end()
            bracket = found.group(1)
            if bracket is None:
                self._in_string = True  # a quote whose string goes on
                break
            if bracket in _OPENING:
                depth += 1
                if depth > deepest:
                    deepest = depth
            else:
                depth -= 1
        self._depth = depth
        if deepest > MAX_DEPTH:
            self._too_deep = True
        return pos

    def _scan_top(self, data: bytes, pos: int, end: int) -> int:
        """Scan outside any brackets and strings from `pos`; where the nested scanner takes over (or `end`)."""
        found = _NON_BLANK.search(data, pos, end)
        if found is None or found.start() > pos:
            self._end_token()  # blanks end a bare number or literal
        if found is None:
            return end
        pos = found.start()
        byte = data[pos]
        if byte == _QUOTE or byte in _OPENING:
            self._shape = _VALUE if self._shape == _BLANK else _BROKEN
            if byte == _QUOTE:
                self._in_string = True
            else:
                self._open()
            return pos + 1
        if byte in b"}]":
            self._unbalanced = True
            self._shape = _BROKEN
            return pos + 1
        run = _BARE_RUN.match(data, pos, end)
        assert run is not None  # `byte` starts one
        if self._shape == _BLANK:
            self._shape, self._token = _TOKEN, 0
        if self._shape == _TOKEN:
            state = self._token
            for byte in data[pos : run.end()]:
                state = _TOKEN_STEPS.get((state, byte), _NOT_A_TOKEN)
                if state == _NOT_A_TOKEN:
                    self._shape = _BROKEN
                    break
            self._token = state
        else:
            self._shape = _BROKEN
        return run.end()

    def _end_token(self) -> None:
        """A bare token ends here: the chunk holds one complete value, or is broken."""
        if self._shape == _TOKEN:
            self._shape = _VALUE if self._token in _TOKEN_COMPLETE else _BROKEN

    def _open(self) -> None:
        """One more bracket open."""
        self._depth += 1
        if self._depth > MAX_DEPTH:
            self._too_deep = True
