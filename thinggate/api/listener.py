"""One TCP port for TLS and plain connections, told apart by their first byte (a TLS ClientHello is 0x16).

Doors whose originals serve both on one port (an Ezlo hub's ws:// and wss://, a Thinknx server's
http:// and https://) hand their aiohttp server here as the protocol factory.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import ssl
from collections.abc import Callable
from typing import Any

_LOG = logging.getLogger(__name__)

FIRST_BYTE_SECONDS = 10.0
"""A client that says nothing this long after connecting is dropped."""
_TLS_RECORD_HANDSHAKE = 0x16


class SniffingListener:
    """Accepts connections on one port and hands each to the protocol factory, with TLS or without."""

    def __init__(
        self,
        *,
        protocol_factory: Callable[[], asyncio.BaseProtocol],
        host: str,
        port: int,
        tls: ssl.SSLContext | None,
        plain: bool,
        name: str,
    ) -> None:
        if tls is None and not plain:
            raise ValueError(f"{name}: a port needs TLS or plain connections (or both)")
        self.protocol_factory = protocol_factory
        self.host = host
        self.port = port
        self.tls = tls
        self.plain = plain
        self.name = name
        self._listener: socket.socket | None = None
        self._accepting: asyncio.Task[None] | None = None
        self._handshakes: set[asyncio.Task[None]] = set()

    async def start(self) -> None:
        """Listen (port 0: a free one, then in `port`)."""
        listener = socket.create_server((self.host, self.port), backlog=1024)
        listener.setblocking(False)
        self._listener = listener
        self.port = listener.getsockname()[1]
        self._accepting = asyncio.get_running_loop().create_task(self._accept(), name=f"{self.name}-accept")

    async def stop(self) -> None:
        """Stop accepting (connections already handed over are the protocol's to close)."""
        if self._accepting is not None:
            self._accepting.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._accepting
            self._accepting = None
        for task in list(self._handshakes):
            task.cancel()
        if self._listener is not None:
            self._listener.close()
            self._listener = None

    async def _accept(self) -> None:
        assert self._listener is not None
        loop = asyncio.get_running_loop()
        while True:
            try:
                connection, _ = await loop.sock_accept(self._listener)
            except OSError as exc:  # e.g. out of file descriptors: keep serving those connected
                _LOG.warning("%s: accept failed: %s", self.name, exc)
                await asyncio.sleep(0.1)
                continue
            task = loop.create_task(self._start_connection(connection))
            self._handshakes.add(task)
            task.add_done_callback(self._handshakes.discard)

    async def _start_connection(self, connection: socket.socket) -> None:
        loop = asyncio.get_running_loop()
        connection.setblocking(False)
        try:
            first = await asyncio.wait_for(_peek(loop, connection), FIRST_BYTE_SECONDS)
        except (TimeoutError, OSError):
            connection.close()
            return
        is_tls = bool(first) and first[0] == _TLS_RECORD_HANDSHAKE
        if not first or (is_tls and self.tls is None) or (not is_tls and not self.plain):
            connection.close()  # plain while only TLS is served, or TLS without a certificate
            return
        try:
            await loop.connect_accepted_socket(self.protocol_factory, connection, ssl=self.tls if is_tls else None)
        except (OSError, ssl.SSLError) as exc:
            _LOG.debug("%s: connection failed in its handshake: %s", self.name, exc)
            connection.close()


async def _peek(loop: asyncio.AbstractEventLoop, connection: socket.socket) -> bytes:
    """The first byte the client sent, left in the socket for whoever reads it next."""
    ready: asyncio.Future[None] = loop.create_future()
    descriptor = connection.fileno()

    def readable() -> None:
        if not ready.done():
            ready.set_result(None)

    loop.add_reader(descriptor, readable)
    try:
        await ready
    finally:
        loop.remove_reader(descriptor)
    data: Any = connection.recv(1, socket.MSG_PEEK)
    return bytes(data)
