"""Incoming framing as nymea does it: a per-client buffer split on `}\\n{`, 1 MiB of patience."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import msgspec

MAX_BUFFER = 1024 * 1024
_SEPARATOR = b"}\n{"
_decoder = msgspec.json.Decoder()


class BufferOverflow(Exception):
    """More than MAX_BUFFER bytes arrived without forming a message: the peer is dropped."""


@dataclass(frozen=True, slots=True)
class Garbage:
    """A complete chunk that is not JSON (answered with a parse error, then forgotten)."""

    reason: str


def _balanced(chunk: bytes) -> bool:
    """Whether brackets outside strings close again by the end (a complete, if broken, text)."""
    depth = 0
    in_string = False
    escaped = False
    for byte in chunk:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:  # backslash
                escaped = True
            elif byte == 0x22:
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in (0x7B, 0x5B):
            depth += 1
        elif byte in (0x7D, 0x5D):
            depth -= 1
            if depth < 0:
                return True
    return depth == 0 and not in_string


class MessageSplitter:
    """Turns a byte stream into decoded messages, whatever the packet boundaries."""

    __slots__ = ("_buffer", "limit")

    def __init__(self, limit: int = MAX_BUFFER) -> None:
        self._buffer = b""
        self.limit = limit

    @property
    def pending(self) -> int:
        """Bytes waiting for the rest of a message."""
        return len(self._buffer)

    def feed(self, data: bytes) -> list[Any]:
        """Messages (decoded JSON values) and Garbage markers completed by `data`, in order."""
        buffer = self._buffer + data if self._buffer else data
        out: list[Any] = []
        while buffer:
            cut = buffer.find(_SEPARATOR)
            if cut >= 0:
                chunk, rest = buffer[: cut + 1], buffer[cut + 2 :]
            else:
                chunk, rest = buffer, b""
            try:
                out.append(_decoder.decode(chunk))
            except (msgspec.DecodeError, UnicodeDecodeError) as error:
                stripped = chunk.strip()
                if not stripped:
                    buffer = rest
                    continue
                if cut < 0 and not (stripped.endswith(b"}") and _balanced(stripped)):
                    # Not complete yet: wait for more, up to the limit.
                    if len(buffer) > self.limit:
                        self._buffer = b""
                        raise BufferOverflow(f"{len(buffer)} bytes without a complete message") from None
                    self._buffer = buffer
                    return out
                out.append(Garbage(str(error)))
            buffer = rest
        self._buffer = b""
        return out
