"""Every door's listening socket: TLS and plain on one port, guarded by the hub's ConnectionGuard.

A connection's first byte tells TLS (a ClientHello record starts with 0x16) from plain, so doors
whose originals serve both on one port (an Ezlo hub's ws:// and wss://, a Thinknx server's http://
and https://) get both; the JSON-RPC door's ports serve one of the two. Each accepted connection is
admitted by the guard first (per-address cap, login deadline), its TLS handshake is counted and
timed, and only then is it handed to the door's protocol factory.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import logging
import os
import socket
import ssl
import time
from collections.abc import Callable
from typing import Any

from thinggate.api.guard import Admission, ConnectionGuard

_LOG = logging.getLogger(__name__)

_TLS_RECORD_HANDSHAKE = 0x16
_OUT_OF_FILES = (errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM)


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
        guard: ConnectionGuard | None = None,
    ) -> None:
        if tls is None and not plain:
            raise ValueError(f"{name}: a port needs TLS or plain connections (or both)")
        self.protocol_factory = protocol_factory
        self.host = host
        self.port = port
        self.tls = tls
        self.plain = plain
        self.name = name
        self.guard = guard if guard is not None else ConnectionGuard()
        self._listener: socket.socket | None = None
        self._accepting: asyncio.Task[None] | None = None
        self._handshakes: set[asyncio.Task[None]] = set()
        # A descriptor held in reserve: when accept fails for want of descriptors, closing it lets
        # the waiting connection be accepted and closed, so the listener does not wake up for it again.
        self._reserve: int | None = None
        self._accept_failures_logged_at = 0.0

    async def start(self) -> None:
        """Listen (port 0: a free one, then in `port`)."""
        listener = socket.create_server((self.host, self.port), backlog=1024)
        listener.setblocking(False)
        self._listener = listener
        self.port = listener.getsockname()[1]
        self._reserve = _open_reserve()
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
        if self._reserve is not None:
            os.close(self._reserve)
            self._reserve = None

    async def _accept(self) -> None:
        assert self._listener is not None
        loop = asyncio.get_running_loop()
        while True:
            try:
                connection, address = await loop.sock_accept(self._listener)
            except OSError as exc:
                await self._accept_failed(exc)
                continue
            host = str(address[0]) if isinstance(address, tuple) and address else str(address or "")
            admission = self.guard.admit(host)
            if admission is None:
                _close_now(connection)
                continue
            task = loop.create_task(self._start_connection(connection, admission))
            self._handshakes.add(task)
            task.add_done_callback(self._handshakes.discard)

    async def _accept_failed(self, exc: OSError) -> None:
        now = time.monotonic()
        if now - self._accept_failures_logged_at >= 10.0:  # one line, not ten a second
            self._accept_failures_logged_at = now
            _LOG.warning("%s: accept failed: %s", self.name, exc)
        if exc.errno in _OUT_OF_FILES and self._reserve is not None and self._listener is not None:
            os.close(self._reserve)
            self._reserve = None
            with contextlib.suppress(OSError):
                connection, _ = self._listener.accept()
                _close_now(connection)
            self._reserve = _open_reserve()
        await asyncio.sleep(0.05)

    async def _start_connection(self, connection: socket.socket, admission: Admission) -> None:
        loop = asyncio.get_running_loop()
        guard = self.guard
        connection.setblocking(False)
        try:
            guard.register(admission, connection.getsockname(), connection.getpeername())
            if self.tls is not None and self.plain:  # both on this port: the first byte tells
                try:
                    first = await asyncio.wait_for(_peek(loop, connection), guard.limits.login_seconds)
                except (TimeoutError, OSError):
                    first = b""
                is_tls = bool(first) and first[0] == _TLS_RECORD_HANDSHAKE
            else:  # one kind only: the protocol (or the TLS handshake) times a silent client out
                is_tls = self.tls is not None
                first = b"\x16" if is_tls else b" "
            if not first or (is_tls and self.tls is None) or (not is_tls and not self.plain):
                _close_now(connection)  # silence, plain while only TLS is served, or TLS without a certificate
                guard.closed(admission)
                return
            if not is_tls:
                transport, _ = await loop.connect_accepted_socket(self.protocol_factory, connection)
                guard.handed_over(admission, transport)
                return
            with guard.handshake(admission.address) as allowed:
                if not allowed:
                    _close_now(connection)
                    guard.closed(admission)
                    return
                transport, _ = await loop.connect_accepted_socket(
                    self.protocol_factory,
                    connection,
                    ssl=self.tls,
                    ssl_handshake_timeout=guard.limits.tls_handshake_seconds,
                )
            guard.handed_over(admission, transport)
        except (OSError, ssl.SSLError, TimeoutError, ConnectionError) as exc:
            _LOG.debug("%s: connection from %s failed before it started: %s", self.name, admission.address, exc)
            _close_now(connection)
            guard.closed(admission)
        except asyncio.CancelledError:
            _close_now(connection)
            guard.closed(admission)
            raise


def _close_now(connection: socket.socket) -> None:
    with contextlib.suppress(OSError):
        connection.close()


def _open_reserve() -> int | None:
    try:
        return os.open(os.devnull, os.O_RDONLY | os.O_CLOEXEC)
    except OSError:
        return None


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
