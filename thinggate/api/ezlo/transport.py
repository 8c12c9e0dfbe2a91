"""The Ezlo WebSocket server: wss:// and (with insecure access on) ws:// on one port, as a hub has.

A connection's first byte tells TLS (a ClientHello record starts with 0x16) from a plain HTTP
upgrade; both then reach the same aiohttp application. The hub pings every 20 s (ezlo-hub-kit
reconnects after 60 s without one); frames larger than the limit close the connection (1009).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import ssl
from typing import Any

from aiohttp import WSCloseCode, WSMsgType, web

from thinggate.api.ezlo.door import EzloDoor
from thinggate.api.websocket import FrameOutbox

_LOG = logging.getLogger(__name__)

MAX_FRAME = 1024 * 1024
"""Largest request frame; Ezlo refuses bus messages past 100 K, so this leaves room."""
PING_SECONDS = 20.0
FIRST_BYTE_SECONDS = 10.0
"""A client that says nothing this long after connecting is dropped."""
_TLS_RECORD_HANDSHAKE = 0x16


class EzloServer:
    """Serves an EzloDoor on one TCP port: TLS when `tls` is given, plain when `insecure`."""

    def __init__(
        self,
        door: EzloDoor,
        *,
        host: str,
        port: int,
        tls: ssl.SSLContext | None,
        insecure: bool,
        ping_seconds: float = PING_SECONDS,
        max_frame: int = MAX_FRAME,
    ) -> None:
        if tls is None and not insecure:
            raise ValueError("the Ezlo door needs TLS or insecure access (or both)")
        self.door = door
        self.host = host
        self.port = port
        self.tls = tls
        self.insecure = insecure
        self.ping_seconds = ping_seconds
        self.max_frame = max_frame
        self._runner: web.AppRunner | None = None
        self._listener: socket.socket | None = None
        self._accepting: asyncio.Task[None] | None = None
        self._handshakes: set[asyncio.Task[None]] = set()

    async def start(self) -> None:
        """Listen."""
        app = web.Application()
        app.router.add_get("/", self._serve)
        app.router.add_get("/{tail:.*}", self._serve)
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await self._runner.setup()
        listener = socket.create_server((self.host, self.port), backlog=1024)
        listener.setblocking(False)
        self._listener = listener
        self.port = listener.getsockname()[1]
        self._accepting = asyncio.get_running_loop().create_task(self._accept(), name="ezlo-accept")
        _LOG.info("ezlo door listening on %s (tls %s, plain %s)", self.port, self.tls is not None, self.insecure)

    async def stop(self) -> None:
        """Close the listener and every client."""
        self.door.close()
        if self._accepting is not None:
            self._accepting.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._accepting
        for task in list(self._handshakes):
            task.cancel()
        if self._listener is not None:
            self._listener.close()
        if self._runner is not None:
            await self._runner.cleanup()

    async def _accept(self) -> None:
        assert self._listener is not None
        loop = asyncio.get_running_loop()
        while True:
            try:
                connection, _ = await loop.sock_accept(self._listener)
            except OSError as exc:  # e.g. out of file descriptors: keep serving those connected
                _LOG.warning("ezlo accept failed: %s", exc)
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
        if not first or (is_tls and self.tls is None) or (not is_tls and not self.insecure):
            connection.close()  # plain ws:// while insecure access is off, or TLS without a certificate
            return
        assert self._runner is not None and self._runner.server is not None
        try:
            await loop.connect_accepted_socket(self._runner.server, connection, ssl=self.tls if is_tls else None)
        except (OSError, ssl.SSLError) as exc:
            _LOG.debug("ezlo connection failed before the upgrade: %s", exc)
            connection.close()

    async def _serve(self, request: web.Request) -> web.StreamResponse:
        socket_response = web.WebSocketResponse(
            heartbeat=self.ping_seconds, max_msg_size=self.max_frame, compress=False, autoping=True
        )
        await socket_response.prepare(request)
        transport = request.transport
        if transport is None:
            return socket_response
        outbox = FrameOutbox(transport, on_overflow=transport.abort)
        session = self.door.open_session(peer=str(request.remote or ""), outbox=outbox)
        try:
            async for frame in socket_response:
                if frame.type is WSMsgType.TEXT:
                    await self.door.handle(session, frame.data)
                elif frame.type is WSMsgType.BINARY:
                    await socket_response.close(code=WSCloseCode.UNSUPPORTED_DATA, message=b"text frames only")
                    break
                elif frame.type is WSMsgType.ERROR:
                    break
        except ConnectionError:
            pass
        except Exception:
            # A bug must cost this client its connection, never the server or other clients.
            _LOG.exception("ezlo client %d: unexpected error; connection closed", session.id)
        finally:
            self.door.close_session(session)
        return socket_response


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
