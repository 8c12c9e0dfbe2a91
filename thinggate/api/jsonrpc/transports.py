"""The JSON-RPC door's listeners: raw TCP (nymea://, nymeas://) and WebSocket (ws://, wss://).

Both write compact JSON plus `\\n` straight onto the transport (a WebSocket text frame per
message, built here), so a notification costs one buffer append per client and a client that
stops reading is noticed by its transport's write buffer.
"""

from __future__ import annotations

import asyncio
import logging
import ssl
from dataclasses import dataclass

from aiohttp import WSMsgType, web

from thinggate.api.guard import ConnectionGuard
from thinggate.api.http import GuardedServer
from thinggate.api.jsonrpc.door import JsonRpcDoor
from thinggate.api.jsonrpc.framing import MAX_BUFFER, PRE_LOGIN_BUFFER, BufferOverflow, MessageSplitter
from thinggate.api.listener import SniffingListener
from thinggate.api.websocket import text_frame

_LOG = logging.getLogger(__name__)
_READ_SIZE = 64 * 1024


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

    def _tcp_protocol(self) -> asyncio.StreamReaderProtocol:
        return asyncio.StreamReaderProtocol(asyncio.StreamReader(limit=_READ_SIZE), self._serve_tcp)

    async def stop(self) -> None:
        """Close the listeners and every client."""
        self.door.close()
        if self._tcp_listener is not None:
            await self._tcp_listener.stop()
            # The door has closed every transport: the readers see the end of input and finish.
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

    async def _serve_tcp(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        assert self.tcp is not None
        task = asyncio.current_task()
        if task is not None:
            self._connections.add(task)
        transport = writer.transport

        def shutdown(graceful: bool) -> None:
            if graceful:
                transport.close()  # sends what is buffered first
            else:
                transport.abort()

        # Before login a client may only say Hello and log in: small messages, so a small buffer.
        splitter = MessageSplitter(limit=PRE_LOGIN_BUFFER)
        session = self.door.open_session(
            peer=_peer_host(writer.get_extra_info("peername")),
            transport_name="tcp",
            authentication_required=self.tcp.authentication,
            write=lambda messages: transport.write(b"".join(messages)),
            buffered=transport.get_write_buffer_size,
            shutdown=shutdown,
            on_authenticated=lambda: self._logged_in(transport, splitter),
        )
        if session is None:
            transport.abort()
            if task is not None:
                self._connections.discard(task)
            return
        try:
            while not session.closed:
                data = await reader.read(_READ_SIZE)
                if not data:
                    break
                try:
                    messages = splitter.feed(data)
                except BufferOverflow as overflow:
                    session.close(f"garbage: {overflow}", graceful=False)
                    break
                for message in messages:
                    await self.door.handle(session, message)
                    if session.closed:
                        break
                # Replies to this chunk leave now rather than a loop turn later: lower latency.
                session.flush()
        except (ConnectionError, asyncio.IncompleteReadError, ssl.SSLError):
            pass
        except Exception:
            # A bug must cost this client its connection, never the listener or other clients.
            _LOG.exception("jsonrpc tcp client %d: unexpected error; connection closed", session.id)
        finally:
            self.door.close_session(session)
            if task is not None:
                self._connections.discard(task)

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
            transport.write(b"".join([text_frame(message) for message in messages]))

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
        try:
            async for frame in socket:
                if frame.type is WSMsgType.TEXT:
                    try:
                        messages = splitter.feed(frame.data.encode("utf-8"))
                    except BufferOverflow as overflow:
                        session.close(f"garbage: {overflow}", graceful=False)
                        break
                    for message in messages:
                        await self.door.handle(session, message)
                        if session.closed:
                            break
                    session.flush()
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
