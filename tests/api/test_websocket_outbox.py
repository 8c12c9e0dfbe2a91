"""The shared WebSocket outbox: one big message goes out whole; a client that leaves data unread is dropped."""

from __future__ import annotations

import asyncio

from thinggate.api.websocket import MAX_UNREAD, FrameOutbox, text_frame


class Transport(asyncio.Transport):
    """Records writes; `unread` stands for what the kernel would not take."""

    def __init__(self) -> None:
        super().__init__()
        self.written = b""
        self.unread = 0
        self.closing = False

    def write(self, data: bytes | bytearray | memoryview) -> None:
        self.written += bytes(data)

    def get_write_buffer_size(self) -> int:
        return self.unread

    def is_closing(self) -> bool:
        return self.closing


async def test_a_message_bigger_than_the_limit_goes_out_whole() -> None:
    transport, dropped = Transport(), []
    outbox = FrameOutbox(transport, on_overflow=lambda: dropped.append(True))
    big = b"x" * (MAX_UNREAD + 1000)
    assert outbox.send(big)
    await asyncio.sleep(0)
    assert transport.written == text_frame(big) and not dropped


async def test_a_client_with_a_backlog_past_the_limit_is_dropped_at_the_next_message() -> None:
    transport, dropped = Transport(), []
    outbox = FrameOutbox(transport, on_overflow=lambda: dropped.append(True))
    transport.unread = MAX_UNREAD + 1
    assert not outbox.send(b"{}")
    assert dropped == [True] and not outbox.send(b"{}")


async def test_messages_of_one_loop_turn_leave_in_one_write_in_order() -> None:
    transport = Transport()
    outbox = FrameOutbox(transport, on_overflow=lambda: None)
    for payload in (b"1", b"2", b"3"):
        outbox.send(payload)
    assert transport.written == b""
    await asyncio.sleep(0)
    assert transport.written == text_frame(b"1") + text_frame(b"2") + text_frame(b"3")
