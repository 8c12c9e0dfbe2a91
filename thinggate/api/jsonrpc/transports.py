"""The JSON-RPC door's listeners: raw TCP (nymea://, nymeas://) and WebSocket (ws://, wss://).

Both write compact JSON plus `\\n` straight onto the transport (a WebSocket text frame per
message, built here), so a notification costs one buffer append per client and a client that
stops reading is noticed by its transport's write buffer.
"""

from __future__ import annotations

import asyncio
import logging
import ssl
from collections.abc import Awaitable
from dataclasses import dataclass
from typing import Any

from aiohttp import WSMsgType, web

from thinggate.api.guard import ConnectionGuard
from thinggate.api.http import GuardedServer
from thinggate.api.jsonrpc.door import JsonRpcDoor
from thinggate.api.jsonrpc.framing import MAX_BUFFER, PRE_LOGIN_BUFFER, BufferOverflow, MessageSplitter
from thinggate.api.jsonrpc.session import Session
from thinggate.api.listener import SniffingListener
from thinggate.api.websocket import text_frame

_LOG = logging.getLogger(__name__)
_READ_SIZE = 64 * 1024
FLUSH_EVERY = 16
"""Replies that may wait for the rest of their chunk: past this many they leave at once. A client
with many requests in flight then works on the first replies while the rest are answered (one
write per chunk starves it; nymea's one write per reply costs a system call each)."""


@dataclass(frozen=True, slots=True)
class Listener:
    """One transport's settings."""

    port: int
    tls: ssl.SSLContext | None = None
    authentication: bool = True


def _peer_host(peername: object) -> str:
    if isinstance(peername, tuple) and peername:
        return str(peername[0])
    return str(peername or "unknown")


class JsonRpcServer:
    """Serves a JsonRpcDoor on a TCP listener and a WebSocket listener (either may be absent)."""

    def __init__(
        self,
        door: JsonRpcDoor,
        *,
        host: str,
        tcp: Listener | None = None,
        websocket: Listener | None = None,
        guard: ConnectionGuard | None = None,
    ) -> None:
        self.door = door
        self.host = host
        self.tcp = tcp
        self.websocket = websocket
        self.tcp_port: int | None = None
        self.ws_port: int | None = None
        self.guard = guard if guard is not None else ConnectionGuard()
        self._tcp_listener: SniffingListener | None = None
        self._ws_listener: SniffingListener | None = None
        self._ws_server: GuardedServer | None = None
        self._connections: set[asyncio.Task[None]] = set()

    @property
    def connection_count(self) -> int:
        """Clients connected right now (TCP and WebSocket)."""
        return len(self.door.sessions)

    async def start(self) -> None:
        """Open the listeners; the bound ports are in tcp_port and ws_port."""
        if self.tcp is not None:
            self._tcp_listener = SniffingListener(
                protocol_factory=self._tcp_protocol,
                host=self.host,
                port=self.tcp.port,
                tls=self.tcp.tls,
                plain=self.tcp.tls is None,
                name="jsonrpc-tcp",
                guard=self.guard,
            )
            await self._tcp_listener.start()
            self.tcp_port = self._tcp_listener.port
        if self.websocket is not None:
            self._ws_server = GuardedServer(
                self._serve_websocket, name="jsonrpc-websocket", idle_seconds=self.guard.limits.idle_seconds
            )
            self._ws_listener = SniffingListener(
                protocol_factory=self._ws_server,
                host=self.host,
                port=self.websocket.port,
                tls=self.websocket.tls,
                plain=self.websocket.tls is None,
                name="jsonrpc-websocket",
                guard=self.guard,
            )
            await self._ws_listener.start()
            self.ws_port = self._ws_listener.port
        _LOG.info("jsonrpc door listening: tcp %s, websocket %s", self.tcp_port, self.ws_port)

    async def stop(self) -> None:
        """Close the listeners and every client."""
        self.door.close()
        if self._tcp_listener is not None:
            await self._tcp_listener.stop()
            # The door has closed every transport; a request some client runs in order may still finish.
            if self._connections:
                _, stuck = await asyncio.wait(list(self._connections), timeout=2)
                for task in stuck:
                    task.cancel()
        if self._ws_listener is not None:
            await self._ws_listener.stop()
        if self._ws_server is not None:
            await self._ws_server.shutdown(2.0)

    def _logged_in(self, transport: asyncio.BaseTransport, splitter: MessageSplitter) -> None:
        """The client acts as someone now: no login deadline, and nymea's 1 MiB of patience."""
        self.guard.authenticated(transport)
        splitter.limit = MAX_BUFFER

    # -- TCP -----------------------------------------------------------------------------------

    def _tcp_protocol(self) -> asyncio.Protocol:
        assert self.tcp is not None
        return _TcpConnection(self, self.tcp.authentication)

    # -- WebSocket -----------------------------------------------------------------------------

    async def _serve_websocket(self, request: web.BaseRequest) -> web.StreamResponse:
        assert self.websocket is not None
        if request.method != "GET" or request.path != "/":
            raise web.HTTPNotFound()
        socket = web.WebSocketResponse(compress=False, max_msg_size=MAX_BUFFER, autoping=True)
        await socket.prepare(request)
        transport = request.transport
        if transport is None:
            return socket

        def write(messages: list[bytes]) -> None:
            # One text frame per message, as nymea sends them; one write for all of them.
            if len(messages) == 1:
                transport.write(_framed(messages[0]))
            else:
                transport.write(b"".join([_framed(message) for message in messages]))

        def shutdown(graceful: bool) -> None:
            if graceful:
                asyncio.get_running_loop().create_task(socket.close())
            else:
                transport.abort()

        splitter = MessageSplitter(limit=PRE_LOGIN_BUFFER)
        session = self.door.open_session(
            peer=_peer_host(request.remote),
            transport_name="websocket",
            authentication_required=self.websocket.authentication,
            write=write,
            buffered=transport.get_write_buffer_size,
            shutdown=shutdown,
            on_authenticated=lambda: self._logged_in(transport, splitter),
        )
        if session is None:
            await socket.close()
            return socket
        handle = self.door.handle
        try:
            async for frame in socket:
                if frame.type is WSMsgType.TEXT:
                    try:
                        messages = splitter.feed(frame.data.encode("utf-8"))
                    except BufferOverflow as overflow:
                        session.close(f"garbage: {overflow}", graceful=False)
                        break
                    session.hold()
                    for message in messages:
                        waiting = handle(session, message)
                        if waiting is not None:
                            session.release()
                            await waiting
                            session.hold()
                        if session.closed:
                            break
                    if len(session.outbox) >= FLUSH_EVERY:
                        session.flush()
                    if _frames_waiting(socket):
                        # More requests came in the same read (a client with many in flight): their
                        # replies join these, all written by the loop's next turn, not one write each.
                        session.release_soon()
                    else:
                        session.release()
                elif frame.type is WSMsgType.BINARY:
                    _LOG.debug("jsonrpc websocket client %d sent a binary frame; ignored as nymea does", session.id)
                if session.closed:
                    break
        except ConnectionError:
            pass
        except Exception:
            _LOG.exception("jsonrpc websocket client %d: unexpected error; connection closed", session.id)
        finally:
            self.door.close_session(session)
        return socket


def _frames_waiting(socket: web.WebSocketResponse) -> bool:
    """Whether aiohttp holds more received frames, which the next receive returns without waiting."""
    # aiohttp's reader queue (WebSocketDataQueue._buffer, public in its compiled form too); were it
    # to go, every frame is answered with a write of its own, as before.
    buffer = getattr(getattr(socket, "_reader", None), "_buffer", None)
    return bool(buffer)


class _LastFrame:
    """The last message framed and its frame: a notification fanned out to many clients is one bytes object."""

    payload: bytes | None = None
    frame = b""


def _framed(payload: bytes) -> bytes:
    """The WebSocket text frame of a message, framed once for every client it goes to."""
    if payload is not _LastFrame.payload:
        if len(payload) > _READ_SIZE:
            return text_frame(payload)  # a big reply (Introspect): not kept alive for the next write
        _LastFrame.payload, _LastFrame.frame = payload, text_frame(payload)
    return _LastFrame.frame


class _TcpConnection(asyncio.Protocol):
    """One TCP client: bytes in, the door's answers out, with no stream reader between.

    Requests are answered as their bytes arrive (data_received), and what they send leaves in one
    write when the chunk is done. A request the door says to wait for (JSONRPC.*, which change the
    session, or a client at its limit of requests in flight) continues in a task; the socket is not
    read meanwhile, so the client's later requests wait their turn and its bytes wait in the kernel.
    """

    def __init__(self, server: JsonRpcServer, authentication: bool) -> None:
        self.server = server
        self.authentication = authentication
        self.transport: asyncio.Transport | None = None
        self.session: Session | None = None
        # Before login a client may only say Hello and log in: small messages, so a small buffer.
        self.splitter = MessageSplitter(limit=PRE_LOGIN_BUFFER)
        self.waiting: asyncio.Task[None] | None = None  # answering in order, the socket not read meanwhile
        self.ended = False  # end of input or connection lost while waiting: the session ends after the wait
        self.over_tls = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        tcp: asyncio.Transport = transport  # type: ignore[assignment]  # uvloop's is no asyncio.Transport subclass
        self.transport = tcp
        splitter = self.splitter

        def shutdown(graceful: bool) -> None:
            if graceful:
                tcp.close()  # sends what is buffered first
            else:
                tcp.abort()

        self.session = self.server.door.open_session(
            peer=_peer_host(transport.get_extra_info("peername")),
            transport_name="tcp",
            authentication_required=self.authentication,
            write=lambda messages: tcp.write(b"".join(messages)),
            buffered=tcp.get_write_buffer_size,
            shutdown=shutdown,
            on_authenticated=lambda: self.server._logged_in(tcp, splitter),
        )
        if self.session is None:
            tcp.abort()
        self.over_tls = transport.get_extra_info("sslcontext") is not None

    def data_received(self, data: bytes) -> None:
        session = self.session
        if session is not None and not session.closed:
            self._consume(session, data)

    def _consume(self, session: Session, data: bytes) -> None:
        """Split and answer what arrived, in pieces of at most 64 KiB as a stream reader would read them
        (the splitter's patience is counted per piece); what follows a request to wait for waits too."""
        while data:
            if len(data) > _READ_SIZE:
                piece, data = data[:_READ_SIZE], data[_READ_SIZE:]
            else:
                piece, data = data, b""
            try:
                messages = self.splitter.feed(piece)
            except BufferOverflow as overflow:
                session.close(f"garbage: {overflow}", graceful=False)
                return
            try:
                pending = self._answer(session, messages, 0)
            except Exception:
                self._failed(session)
                return
            if pending is not None:
                assert self.transport is not None
                self.transport.pause_reading()
                self.waiting = asyncio.get_running_loop().create_task(self._in_order(session, messages, *pending, data))
                self.server._connections.add(self.waiting)
                return
            if session.closed:
                return

    def _answer(self, session: Session, messages: list[Any], start: int) -> tuple[Awaitable[None], int] | None:
        """Answer messages[start:] until one must be waited for: then that and where to go on after it."""
        handle = self.server.door.handle
        # Replies to this chunk leave together at its end (or before a wait), not a loop turn later.
        session.hold()
        try:
            for index in range(start, len(messages)):
                waiting = handle(session, messages[index])
                if waiting is not None:
                    return waiting, index + 1
                if session.closed:
                    break
                if len(session.outbox) >= FLUSH_EVERY:
                    session.flush()
            return None
        finally:
            session.release()

    async def _in_order(
        self, session: Session, messages: list[Any], waiting: Awaitable[None], start: int, rest: bytes
    ) -> None:
        """Wait for a request, answer the chunk's later ones (waiting again as told), then read on."""
        try:
            while True:
                await waiting
                if session.closed:
                    break
                pending = self._answer(session, messages, start)
                if pending is None:
                    break
                waiting, start = pending
        except Exception:
            self._failed(session)
        finally:
            task, self.waiting = self.waiting, None
            if task is not None:
                self.server._connections.discard(task)
        if self.ended or session.closed:
            self.server.door.close_session(session)
            return
        if rest:
            self._consume(session, rest)  # bytes that came with the chunk, after the requests answered now
        if self.waiting is None and self.transport is not None and not self.transport.is_closing():
            self.transport.resume_reading()

    def _failed(self, session: Session) -> None:
        # A bug must cost this client its connection, never the listener or other clients.
        _LOG.exception("jsonrpc tcp client %d: unexpected error; connection closed", session.id)
        self.server.door.close_session(session)

    def eof_received(self) -> bool:
        self._end()
        # Half open, the answer to a request under way still reaches the client; the session closes the
        # transport. TLS has no half-open connection (asyncio would warn of a True): as StreamReaderProtocol.
        return not self.over_tls

    def connection_lost(self, exc: Exception | None) -> None:
        self._end()

    def _end(self) -> None:
        session = self.session
        if session is None:
            return
        if self.waiting is not None:
            self.ended = True  # the request under way finishes first, unanswered if the client is gone
            return
        self.server.door.close_session(session)
