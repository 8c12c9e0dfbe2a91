"""WebSocket pieces the doors share: server-side text frames and a batching, bounded outbox."""

from __future__ import annotations

import asyncio
import struct
from collections.abc import Callable

MAX_UNREAD = 4 * 1024 * 1024
"""Bytes a client may leave unread before it is dropped: a stalled reader must not grow the hub."""


def text_frame(payload: bytes) -> bytes:
    """An unmasked, unfragmented WebSocket text frame (server to client)."""
    size = len(payload)
    if size < 126:
        return bytes((0x81, size)) + payload
    if size < 65536:
        return struct.pack("!BBH", 0x81, 126, size) + payload
    return struct.pack("!BBQ", 0x81, 127, size) + payload


class FrameOutbox:
    """Text frames for one client, written once per loop turn; overflowing it drops the client.

    aiohttp's `send_str` awaits per frame; a hub fanning one change out to hundreds of clients
    must not wait on any of them, so frames go straight to the transport, bounded.
    """

    def __init__(self, transport: asyncio.BaseTransport, *, on_overflow: Callable[[], None]) -> None:
        self._transport = transport
        self._on_overflow = on_overflow
        self._frames: list[bytes] = []
        self._size = 0
        self.closed = False

    def send(self, payload: bytes) -> bool:
        """Queue one message; False when the client is gone or was dropped for not reading."""
        if self.closed or self._transport.is_closing():
            return False
        buffered = self._transport.get_write_buffer_size()  # type: ignore[attr-defined]
        # What is already waiting counts, not this message: one big reply (100,000 items) must
        # go out whole; a client that does not read it is dropped at the next message.
        if buffered + self._size > MAX_UNREAD:
            self.closed = True
            self._frames.clear()
            self._on_overflow()
            return False
        if not self._frames:
            asyncio.get_running_loop().call_soon(self.flush)
        frame = text_frame(payload)
        self._frames.append(frame)
        self._size += len(frame)
        return True

    def flush(self) -> None:
        """Hand what is queued to the transport."""
        if not self._frames or self.closed or self._transport.is_closing():
            self._frames.clear()
            self._size = 0
            return
        data = b"".join(self._frames)
        self._frames.clear()
        self._size = 0
        self._transport.write(data)  # type: ignore[attr-defined]
